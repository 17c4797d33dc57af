"""Every error the bus side raises, under one root, so a caller can tell the bus's faults
from the data's (``etl.errors``) and the models' (``ml.errors``) with one ``except``."""

from __future__ import annotations

from dramatiq.middleware import SkipMessage


class BusError(Exception):
    """Root of every error raised by ``actors``: producers, contracts, dead letters."""


class BusUnavailable(BusError):
    """Raised when the broker or the results backend cannot be reached."""

    def __init__(self, component: str, detail: str) -> None:
        self.component = component
        super().__init__(f"{component} unavailable: {detail}")


def broker_unavailable(exc: Exception) -> BusUnavailable:
    """The error for a broker that refused, dropped or failed a connection."""
    return BusUnavailable("broker", str(exc) or type(exc).__name__)


class NoConsumer(BusError):
    """Raised instead of sending when no worker consumes the message's queue: the message
    would only wait, and its sender with it."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        super().__init__(f"no worker consumes the {queue} queue")


class ResultNotReady(BusError):
    """Raised when a result did not arrive in time; the message is still queued or running."""


class ActorFailed(BusError):
    """Raised when the actor failed for good; carries the actor's error message."""


class ContractError(BusError, ValueError):
    """Raised when a payload does not follow its message contract."""


class DeadLetterNotFound(BusError):
    """Raised when no dead-letter queue holds a message with the given id."""


class ReplayFailed(BusError):
    """Raised when RabbitMQ did not confirm a republished message; it stays dead-lettered."""


class DeliveryLimitExceeded(BusError, SkipMessage):
    """Raised when a message was started more often than allowed without ever finishing."""
