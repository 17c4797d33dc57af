"""Checks a response against ``GET /openapi.json``'s document: its path, method and status
must be documented, and a JSON body must match the documented schema."""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import jsonschema

from api.openapi import document


@cache
def _doc() -> dict[str, Any]:
    doc = document()
    jsonschema.Draft202012Validator.check_schema({"components": doc["components"]})
    return doc


def _template(path: str) -> str | None:
    """The documented path template ``path`` falls under (a literal path wins)."""
    paths = _doc()["paths"]
    if path in paths:
        return path
    for template in paths:
        pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template))
        if "{" in template and re.fullmatch(pattern, path):
            return str(template)
    return None


def check_response(method: str, url: str, status: int, body: Any) -> None:
    """Raise AssertionError (or a jsonschema error) when the response is not documented."""
    path = urlsplit(url).path
    template = _template(path)
    doc = _doc()
    if template is None:
        assert status == 404, f"{path} is not in the OpenAPI document"
        jsonschema.Draft202012Validator(
            {"$ref": "#/components/schemas/Error", "components": doc["components"]}
        ).validate(body)
        return
    operation = doc["paths"][template].get(method.lower())
    assert operation is not None, f"{method} {path} is not documented"
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method} {path} → {status} is not documented"
    if "$ref" in response:
        response = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    content = response.get("content", {})
    if "application/json" not in content:
        return
    schema = {**content["application/json"]["schema"], "components": doc["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)
