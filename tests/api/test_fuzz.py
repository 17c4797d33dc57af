"""Schemathesis fuzzes every operation of ``GET /openapi.json`` on the real stack.

A gunicorn API and a dramatiq worker (every queue, so pings of any queue are answered)
serve a champion trained on three real Premier League seasons. Cases are generated from
the document the API serves, valid and invalid alike; every answer must be documented
(status, content type, headers) and match its schema, and none may be a 5xx. A request
the document refuses must be refused with a 4xx, and one it allows must not be: only the
codes of ``SEMANTIC_REFUSALS`` may refuse it. Generation is derandomized and bounded per
operation, so the same few hundred cases run every time.
"""

import json
from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.generation.meta import REQUEST_SHAPE_PROBES, coverage_scenario
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from actors.contracts import QUEUES
from api.errors import STATUS_OF_CODE
from api.openapi import document
from core.fixtures import (
    COMPETITION_NOT_COVERED,
    IMPLAUSIBLE_PRICES,
    SAME_TEAM,
    UNKNOWN_COMPETITION,
    UNKNOWN_MATCH,
    UNKNOWN_TEAM,
)
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
#: The error codes that may refuse a request the document allows, each with its status
#: (``api/errors.py``): the request is well formed but names a team, competition, match or
#: task the service does not know (or a team playing itself), a competition the champion does
#: not forecast, or prices whose overround, a rule across three fields, JSON Schema cannot
#: state. Any other refusal of such a request says the document is looser than the API.
SEMANTIC_REFUSALS: dict[str, int] = {
    code: STATUS_OF_CODE[code]
    for code in (
        UNKNOWN_TEAM,
        UNKNOWN_COMPETITION,
        UNKNOWN_MATCH,
        SAME_TEAM,
        "unknown_prediction",
        COMPETITION_NOT_COVERED,
        IMPLAUSIBLE_PRICES,
    )
}


def refused_as_malformed(status: int, body: bytes) -> str | None:
    """What is wrong with this answer to a schema-valid request, or None if nothing: a 4xx
    must carry one of ``SEMANTIC_REFUSALS`` with its status. A 2xx passes; a 5xx is
    ``not_a_server_error``'s to report."""
    if not 400 <= status < 500:
        return None
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = None
    if isinstance(code, str) and SEMANTIC_REFUSALS.get(code) == status:
        return None
    return f"Refused as malformed: {status} {code or '(no error code)'}"


def positive_data_acceptance_by_code(ctx: CheckContext, response: Response, case: Case) -> None:
    """Schemathesis's ``positive_data_acceptance``, told apart by error code: it accepts any 404
    and has no way to tell a 422 ``invalid_field`` (the document is looser than the API) from
    a 422 ``implausible_prices`` (a rule the document states only in words), so a case
    generated to match the document passes only with a 2xx or a ``SEMANTIC_REFUSALS`` code.
    Probes of the request's shape (undeclared methods, content types) are not such cases."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    if coverage_scenario(case) in REQUEST_SHAPE_PROBES:
        return
    problem = refused_as_malformed(response.status_code, response.content)
    if problem is not None:
        allowed = ", ".join(f"{status} {code}" for code, status in SEMANTIC_REFUSALS.items())
        raise RejectedPositiveData(
            operation=case.operation.label,
            message=f"Valid data should have been accepted\n{problem}\nAllowed: 2xx, {allowed}",
            status_code=response.status_code,
            allowed_statuses=["2xx", *sorted({str(s) for s in SEMANTIC_REFUSALS.values()})],
        )


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance_by_code,
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


def test_a_valid_request_may_be_refused_only_for_what_it_names():
    for code, status in SEMANTIC_REFUSALS.items():
        assert refused_as_malformed(status, json.dumps({"error": {"code": code}}).encode()) is None
    assert refused_as_malformed(200, b"{}") is None
    assert refused_as_malformed(503, b"{}") is None  # not_a_server_error's
    for status, code in ((422, "invalid_field"), (404, "not_found"), (422, "unknown_team")):
        body = json.dumps({"error": {"code": code}}).encode()
        assert refused_as_malformed(status, body) == f"Refused as malformed: {status} {code}"
    assert refused_as_malformed(400, b"not json") is not None


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
