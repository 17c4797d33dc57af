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


class LineWriter(structlog.WriteLogger):
    """The logger our own structlog loggers write through: each rendered line straight to
    the stream, under the lock of the handler that writes library records there, so lines
    never interleave. Going through the standard library's records and handlers cost the
    access line (one per request) two thirds of its time."""

    def __init__(self, handler: logging.StreamHandler[Any], name: str) -> None:
        super().__init__(handler.stream)
        self._lock = handler.lock  # type: ignore[assignment]  # a handler always has its lock
        self.name = name  # read by ``add_logger_name``


def configure_logging(settings: Settings, stream: Any = None) -> None:
    """Route our structlog loggers and stdlib logging through one redacting renderer."""
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

    def line_writer(name: str = "", *_: Any) -> LineWriter:
        return LineWriter(handler, name)

    structlog.configure(
        processors=[*shared, renderer],
        logger_factory=line_writer,
        # a call below the level is a no-op method: no processor runs (stamping, redacting)
        wrapper_class=structlog.make_filtering_bound_logger(root.level),
        # not kept from a logger's first use (1 µs a line): every line follows the last
        # configuration, as a command run again in one process (or a test) expects
        cache_logger_on_first_use=False,
    )
