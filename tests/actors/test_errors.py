"""Every error the bus side raises has one root, so callers can catch them at once."""

import inspect

from actors import errors
from actors.errors import BusError, ContractError, DeliveryLimitExceeded


def test_every_bus_error_derives_from_one_root():
    classes = [
        c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__
    ]
    assert len(classes) >= 8
    assert all(issubclass(c, BusError) for c in classes)


def test_a_broken_contract_is_still_a_value_error_and_a_delivery_limit_still_skips_the_message():
    from dramatiq.middleware import SkipMessage

    assert issubclass(ContractError, ValueError)
    assert issubclass(DeliveryLimitExceeded, SkipMessage)
