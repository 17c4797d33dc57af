"""The one place where errors become HTTP responses, all in one JSON shape.

Every 4xx/5xx body is ``{"error": {"code", "message", "field"?}}``; no stack trace leaves
the process.
"""

from __future__ import annotations

import re
from typing import Any

import falcon
import structlog

from actors.errors import ActorFailed, BusUnavailable, ContractError, NoConsumer, ResultNotReady
from core import fixtures
from core.errors import StoreUnavailable
from core.fixtures import IMPLAUSIBLE_PRICES, ImplausiblePrices, InvalidFixture, SameTeam

#: Seconds a client should wait before retrying after a 503.
RETRY_AFTER_S = 1

#: The HTTP status of every error code the API answers with, its own and the ones a worker
#: puts in a fixture's error item; a 503 always carries ``Retry-After``.
STATUS_OF_CODE: dict[str, int] = {
    "empty_body": 400,
    "malformed_json": 400,
    "unknown_prediction": 404,
    "body_too_large": 413,
    "unsupported_media_type": 415,
    "invalid_body": 422,
    "invalid_field": 422,
    "invalid_message": 422,
    IMPLAUSIBLE_PRICES: 422,  # each price well formed, the three together not one market's
    fixtures.UNKNOWN_TEAM: 404,
    fixtures.UNKNOWN_COMPETITION: 404,
    fixtures.UNKNOWN_MATCH: 404,
    fixtures.SAME_TEAM: 404,
    fixtures.INVALID_FIXTURE: 404,
    fixtures.COMPETITION_NOT_COVERED: 422,  # known, but not one the champion forecasts
    "actor_failed": 502,
    fixtures.NO_MODEL: 503,
    "no_worker": 503,
    "broker_unavailable": 503,
    "results_unavailable": 503,
    "store_unavailable": 503,
    "registry_unavailable": 503,
    "timeout": 504,
    "internal_error": 500,
}


class ApiError(falcon.HTTPError):
    """An HTTP error with a machine-readable code and, for input errors, the field at fault."""

    def __init__(
        self,
        status: str | int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(status, title=code, description=message, headers=headers)
        self.error_code = code
        self.field = field
        self.extra = extra or {}


def coded_error(
    code: str, message: str, *, field: str | None = None, extra: dict[str, Any] | None = None
) -> ApiError:
    """The answer for an error ``code``, with the status the table gives it."""
    status = STATUS_OF_CODE[code]
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
    return ApiError(status, code, message, field=field, headers=headers, extra=extra)


def item_error(error: dict[str, Any]) -> ApiError:
    """A worker's error item for a fixture it could not forecast, as the client's answer."""
    code = error.get("code", fixtures.INVALID_FIXTURE)
    if code not in STATUS_OF_CODE:
        code = fixtures.INVALID_FIXTURE
    extra: dict[str, Any] = {k: error[k] for k in ("candidates", "competitions") if k in error}
    return coded_error(code, error.get("message", code), field=error.get("field"), extra=extra)


def invalid_field(field: str, message: str) -> ApiError:
    return coded_error("invalid_field", message, field=field)


def _code_from_title(title: str | None) -> str:
    phrase = re.sub(r"^\d+\s*", "", title or "error")
    return re.sub(r"[^a-z0-9]+", "_", phrase.lower()).strip("_") or "error"


def serialize_error(req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError) -> None:
    body: dict[str, Any] = {
        "code": getattr(exc, "error_code", None) or _code_from_title(exc.title),
        "message": exc.description or exc.title or "error",
    }
    if getattr(exc, "field", None):
        body["field"] = exc.field  # type: ignore[attr-defined]
    body.update(getattr(exc, "extra", {}))
    resp.media = {"error": body}
    resp.content_type = falcon.MEDIA_JSON


def _bus_unavailable(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    assert isinstance(exc, BusUnavailable)
    raise coded_error(
        f"{exc.component}_unavailable", f"the {exc.component} is unavailable; retry shortly"
    )


def _store_unavailable(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    raise coded_error("store_unavailable", "the store is unavailable; retry shortly")


def _no_consumer(req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any) -> None:
    assert isinstance(exc, NoConsumer)
    raise coded_error(
        "no_worker",
        f"no worker serves the {exc.queue} queue right now; retry shortly",
        extra={"queue": exc.queue},
    )


def _result_not_ready(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    raise coded_error("timeout", "the result did not arrive in time")


def _actor_failed(req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any) -> None:
    raise coded_error("actor_failed", str(exc))


def _contract_error(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    raise coded_error("invalid_message", str(exc))


def _invalid_fixture(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    assert isinstance(exc, InvalidFixture)
    if isinstance(exc, SameTeam | ImplausiblePrices):  # well formed, refused for what it says
        raise coded_error(exc.code, str(exc), field=exc.field)
    raise invalid_field(exc.field, str(exc))


def _unexpected(req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any) -> None:
    if isinstance(exc, falcon.HTTPError):
        raise exc
    structlog.get_logger("footcast.api").exception("unhandled error", path=req.path)
    raise coded_error("internal_error", "internal error; see the server log for the request id")


def install_error_handling(app: falcon.App) -> None:
    """Register the serializer and the domain-error → HTTP translations."""
    app.set_error_serializer(serialize_error)
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(BusUnavailable, _bus_unavailable)
    app.add_error_handler(StoreUnavailable, _store_unavailable)
    app.add_error_handler(NoConsumer, _no_consumer)
    app.add_error_handler(ResultNotReady, _result_not_ready)
    app.add_error_handler(ActorFailed, _actor_failed)
    app.add_error_handler(ContractError, _contract_error)
    app.add_error_handler(InvalidFixture, _invalid_fixture)
