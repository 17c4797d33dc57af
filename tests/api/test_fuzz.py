"""Schemathesis fuzzes every operation of ``GET /openapi.json`` on the real stack.

A gunicorn API and a dramatiq worker (every queue, so pings of any queue are answered)
serve a champion trained on three real Premier League seasons. Cases are generated from
the document the API serves, valid and invalid alike; every answer must be documented
(status, content type, headers) and match its schema, schema-valid requests must not be
refused as invalid (the document states every rule the API checks), and none may be a 5xx.
Generation is derandomized and bounded per operation, so the same few hundred cases run
every time.
"""

from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from actors.contracts import QUEUES
from api.openapi import document
from tests.serving_fixtures import (
    FIXTURE,
    Api,
    rabbitmq_vhost,
    running_stack,
    serving_world,
    wait_answered,
)

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]
__all__ = ["serving_world"]

#: Generated cases per operation (each phase); about 400 requests over the 12 operations.
MAX_EXAMPLES = 25
#: Stateful scenarios and the most calls in one.
STATEFUL_SCENARIOS, STATEFUL_STEPS = 15, 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
]


@pytest.fixture(scope="module")
def fuzzed_stack(serving_world, tmp_path_factory) -> Iterator[Api]:
    with rabbitmq_vhost() as broker_url:
        settings = serving_world.replace(broker_url=broker_url)
        log_dir = tmp_path_factory.mktemp("fuzz")
        with running_stack(settings, log_dir, queues=QUEUES) as api:
            wait_answered(api, FIXTURE)
            yield api


#: The document ``GET /openapi.json`` serves (checked below), loaded at collection so each
#: operation is a test of its own.
schema = schemathesis.openapi.from_dict(document(), config=schemathesis.Config(seed=20240817))
schema.config.update(request_timeout=60)
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")


def test_the_fuzzed_document_is_the_one_the_api_serves(fuzzed_stack):
    status, _, served = fuzzed_stack.call("GET", "/openapi.json")
    assert status == 200 and served == schema.raw_schema


@schema.parametrize()
def test_every_generated_request_gets_a_documented_answer_and_never_a_5xx(case, fuzzed_stack):
    case.call_and_validate(base_url=fuzzed_stack.base, checks=CHECKS)


def test_queued_predictions_polled_by_their_id_get_documented_answers(fuzzed_stack):
    """Stateful: ``POST /v1/predictions`` then ``GET`` of the id it answered (the document's
    ``poll`` link), in generated sequences of calls."""

    class Flow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"base_url": fuzzed_stack.base}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Flow.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
