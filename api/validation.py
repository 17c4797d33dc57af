"""Request-body helpers that turn bad input into 4xx errors naming what is wrong."""

from __future__ import annotations

from typing import Any

import falcon

from api.errors import coded_error


def json_object(req: falcon.Request) -> dict[str, Any]:
    """The body as a JSON object; 415 for another media type, 400 for malformed or empty JSON."""
    if not req.content_type or not req.content_type.startswith(falcon.MEDIA_JSON):
        raise coded_error("unsupported_media_type", "send the body as application/json")
    try:
        body = req.get_media()
    except falcon.MediaNotFoundError:
        raise coded_error("empty_body", "the request body is empty") from None
    except falcon.MediaMalformedError:
        raise coded_error("malformed_json", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise coded_error("invalid_body", "the request body must be a JSON object")
    return body
