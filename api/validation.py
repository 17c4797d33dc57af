"""Request helpers that turn bad input (body or query) into 4xx errors naming what is wrong."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import falcon

from api.errors import ApiError, invalid_field

#: What a competition query parameter may be (the document states the same pattern).
COMPETITION_PATTERN = r"^[A-Za-z0-9 .\-]{1,40}$"
_CODE = re.compile(COMPETITION_PATTERN)


def json_object(req: falcon.Request) -> dict[str, Any]:
    """The body as a JSON object; 415 for another media type, 400 for malformed or empty JSON."""
    if not req.content_type or not req.content_type.startswith(falcon.MEDIA_JSON):
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    try:
        body = req.get_media()
    except falcon.MediaNotFoundError:
        raise ApiError(400, "empty_body", "the request body is empty") from None
    except falcon.MediaMalformedError:
        raise ApiError(400, "malformed_json", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_body", "the request body must be a JSON object")
    return body


def competition_param(req: falcon.Request, required: bool = False) -> str | None:
    """The ``competition`` query parameter: a code such as E0 (None when absent)."""
    value = req.get_param("competition")
    if value is None:
        if required:
            raise invalid_field("competition", "competition is required")
        return None
    if not _CODE.fullmatch(value):
        raise invalid_field("competition", "competition must be a code such as E0")
    return value


def date_param(req: falcon.Request, name: str) -> dt.date | None:
    """The ``name`` query parameter as a date (None when absent)."""
    value = req.get_param(name)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise invalid_field(name, f"{name} must be a date (YYYY-MM-DD)") from None
