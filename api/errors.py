"""The one place where errors become HTTP responses, all in one JSON shape.

Every 4xx/5xx body is ``{"error": {"code", "message", "field"?}}``; no stack trace leaves
the process.
"""

from __future__ import annotations

import re
from typing import Any

import falcon
import structlog

from actors.bus import ActorFailed, BusUnavailable, NoConsumer, ResultNotReady
from actors.contracts import ContractError
from core.fixtures import InvalidFixture, SameTeam

#: Seconds a client should wait before retrying after a 503.
RETRY_AFTER_S = 1


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


def invalid_field(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_field", message, field=field)


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
    raise ApiError(
        503,
        f"{exc.component}_unavailable",
        f"the {exc.component} is unavailable; retry shortly",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _no_consumer(req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any) -> None:
    assert isinstance(exc, NoConsumer)
    raise ApiError(
        503,
        "no_worker",
        f"no worker serves the {exc.queue} queue right now; retry shortly",
        headers={"Retry-After": str(RETRY_AFTER_S)},
        extra={"queue": exc.queue},
    )


def _result_not_ready(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    raise ApiError(504, "timeout", "the result did not arrive in time")


def _actor_failed(req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any) -> None:
    raise ApiError(502, "actor_failed", str(exc))


def _contract_error(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    raise ApiError(422, "invalid_message", str(exc))


def _invalid_fixture(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any
) -> None:
    assert isinstance(exc, InvalidFixture)
    if isinstance(exc, SameTeam):
        raise ApiError(404, exc.code, str(exc), field=exc.field)
    raise invalid_field(exc.field, str(exc))


def _unexpected(req: falcon.Request, resp: falcon.Response, exc: Exception, params: Any) -> None:
    if isinstance(exc, falcon.HTTPError):
        raise exc
    structlog.get_logger("footcast.api").exception("unhandled error", path=req.path)
    raise ApiError(500, "internal_error", "internal error; see the server log for the request id")


def install_error_handling(app: falcon.App) -> None:
    """Register the serializer and the domain-error → HTTP translations."""
    app.set_error_serializer(serialize_error)
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(BusUnavailable, _bus_unavailable)
    app.add_error_handler(NoConsumer, _no_consumer)
    app.add_error_handler(ResultNotReady, _result_not_ready)
    app.add_error_handler(ActorFailed, _actor_failed)
    app.add_error_handler(ContractError, _contract_error)
    app.add_error_handler(InvalidFixture, _invalid_fixture)
