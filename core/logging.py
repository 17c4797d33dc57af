"""Structured logging, configured once per process by its entry point.

Every record, ours or a library's (dramatiq, gunicorn), goes through the same processors,
so secret values are redacted everywhere, not only in our own log calls.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import orjson
import structlog

from core.settings import Settings

#: Keys whose values are always masked, whatever they hold.
SECRET_KEY_PATTERN = re.compile(r"pass(word)?|secret|token|api_?key|credential", re.IGNORECASE)
MASK = "***"
#: Chatty libraries whose INFO lines are connection chatter, not events.
QUIET_LOGGERS = ("pika", "botocore", "urllib3", "alembic", "git", "great_expectations")


@functools.lru_cache(maxsize=4096)
def _secret_key(key: str) -> bool:
    """Whether a key names a secret (asked of every key of every line: a few keys recur)."""
    return SECRET_KEY_PATTERN.search(key) is not None


class SecretRedactor:
    """A structlog processor that masks secret values wherever they appear in an event."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, _logger: Any, _method: str, event: MutableMapping[str, Any]) -> Any:
        for key, value in list(event.items()):
            if _secret_key(key) and value is not None:
                event[key] = MASK
            elif isinstance(value, str):
                event[key] = self.redact(value)
        return event

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text


def _json_line(event: Any, **dumps_kw: Any) -> str:
    """An event as one JSON line: orjson's (a fraction of the stdlib's time, on every request
    logged), the stdlib's for what orjson refuses (an integer past 64 bits)."""
    try:
        return orjson.dumps(
            event, default=dumps_kw["default"], option=orjson.OPT_NON_STR_KEYS
        ).decode()
    except orjson.JSONEncodeError:
        return json.dumps(event, **dumps_kw)


def configure_logging(settings: Settings, stream: Any = None) -> None:
    """Route structlog and stdlib logging through one redacting renderer."""
    stream = stream or sys.stderr
    as_json = settings.log_format == "json" or (
        settings.log_format == "auto" and not getattr(stream, "isatty", lambda: False)()
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        SecretRedactor(settings.secret_values()),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_json_line)
        if as_json
        else structlog.dev.ConsoleRenderer(colors=getattr(stream, "isatty", lambda: False)())
    )
    structlog.configure(
        # a call below the level is dropped before any processor runs (stamping, redacting):
        # the access log line alone cost a request 5 % of its time at WARNING
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
