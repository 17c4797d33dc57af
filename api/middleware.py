"""Request id, body-size limit and structured access logs."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import falcon
import structlog

from api.errors import coded_error

#: Largest request body accepted (bytes).
MAX_BODY_BYTES = 64 * 1024
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

access_log = structlog.get_logger("footcast.access")


class RequestId:
    """Takes a sane ``X-Request-ID`` from the client or makes one, and echoes it back."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        given = req.get_header("X-Request-ID") or ""
        req.context.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        req.context.started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=req.context.request_id)
        resp.set_header("X-Request-ID", req.context.request_id)


class BodyLimit:
    """Refuses bodies over ``MAX_BODY_BYTES`` before anything reads them."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if req.content_length and req.content_length > MAX_BODY_BYTES:
            raise coded_error("body_too_large", f"request body over {MAX_BODY_BYTES} bytes")


class AccessLog:
    """One log line per request, after the response is complete."""

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        started = getattr(req.context, "started", None)
        elapsed_ms = (time.perf_counter() - started) * 1000 if started else None
        access_log.info(
            "request",
            method=req.method,
            path=req.path,
            route=getattr(req, "uri_template", None),
            status=resp.status_code,
            duration_ms=round(elapsed_ms, 2) if elapsed_ms is not None else None,
        )
