"""What RabbitMQ says about footcast's queues: messages waiting, consumers attached, dead
letters parked, asked with passive declarations (which never create or change a queue).

The API uses ``ConsumerWatch`` to answer at once when no worker consumes the queue a request
needs, instead of holding the client for the full timeout; readiness, metrics and the page
read ``queue_status``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pika
import pika.exceptions
from dramatiq.common import xq_name

from actors.bus import BusUnavailable
from actors.contracts import QUEUES
from core.settings import Settings

#: How long a process trusts the consumer counts it read (s).
CONSUMERS_TTL_S = 1.0


@dataclass(frozen=True)
class QueueStatus:
    queue: str
    messages: int  #: ready to be delivered (not counting those being processed)
    consumers: int  #: worker channels attached (one per worker process)
    dead_letters: int  #: messages parked in ``<queue>.XQ``


def broker_connection(settings: Settings, timeout_s: float = 5.0) -> pika.BlockingConnection:
    """A short-lived connection for questions to the broker; ``BusUnavailable`` if down."""
    params = pika.URLParameters(settings.broker_url)
    params.connection_attempts = 1
    params.socket_timeout = timeout_s
    params.blocked_connection_timeout = timeout_s
    try:
        return pika.BlockingConnection(params)
    except (pika.exceptions.AMQPError, OSError) as exc:
        raise BusUnavailable("broker", str(exc) or type(exc).__name__) from exc


@contextmanager
def broker_session(settings: Settings, timeout_s: float = 5.0) -> Iterator[pika.BlockingConnection]:
    """A connection for a few questions or publications, closed after; a broker error
    inside becomes ``BusUnavailable``."""
    connection = broker_connection(settings, timeout_s)
    try:
        yield connection
    except pika.exceptions.AMQPError as exc:
        raise BusUnavailable("broker", str(exc) or type(exc).__name__) from exc
    finally:
        if connection.is_open:
            connection.close()


class _MissingQueueNotice(logging.Filter):
    """Drops pika's warning about a queue that does not exist yet: asking is how ``declared``
    finds out, and the answer (nothing waiting, nobody consuming) is not a problem."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "NOT_FOUND - no queue" not in record.getMessage()


def _quiet_missing_queues() -> None:
    logger = logging.getLogger("pika.channel")
    if not any(isinstance(f, _MissingQueueNotice) for f in logger.filters):
        logger.addFilter(_MissingQueueNotice())


def declared(
    connection: pika.BlockingConnection, names: Iterable[str]
) -> dict[str, tuple[int, int]]:
    """``(messages, consumers)`` of each named queue that exists; a missing one is left out
    (asking for it closes the channel, so the next is asked on a fresh one)."""
    _quiet_missing_queues()
    channel = connection.channel()
    found: dict[str, tuple[int, int]] = {}
    for name in names:
        try:
            method = channel.queue_declare(name, passive=True).method
        except pika.exceptions.ChannelClosedByBroker:
            channel = connection.channel()
            continue
        found[name] = (method.message_count, method.consumer_count)
    if channel.is_open:
        channel.close()
    return found


def queue_status(
    settings: Settings, queues: Iterable[str] = QUEUES, timeout_s: float = 5.0
) -> dict[str, QueueStatus]:
    """Depth, consumers and dead letters of each queue (zeros for one never declared)."""
    queues = tuple(queues)
    with broker_session(settings, timeout_s) as connection:
        found = declared(connection, [*queues, *(xq_name(q) for q in queues)])
    return {
        q: QueueStatus(q, *found.get(q, (0, 0)), dead_letters=found.get(xq_name(q), (0, 0))[0])
        for q in queues
    }


class ConsumerWatch:
    """Consumer counts of every queue, asked at most once per ``ttl_s`` by this process.

    A failed question is remembered for as long, so a broker outage costs one connection
    attempt per second, not one per request.
    """

    def __init__(self, settings: Settings, ttl_s: float = CONSUMERS_TTL_S) -> None:
        self.settings = settings
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._asked = -ttl_s
        self._counts: dict[str, int] = {}
        self._error: BusUnavailable | None = None

    def consumers(self, queue: str) -> int:
        """Consumers attached to ``queue`` now (within ``ttl_s``); ``BusUnavailable`` if the
        broker cannot be asked."""
        with self._lock:
            now = time.monotonic()
            if now - self._asked >= self.ttl_s:
                self._asked = now
                try:
                    status = queue_status(
                        self.settings, timeout_s=self.settings.health_timeout_ms / 1000
                    )
                    self._counts = {q: s.consumers for q, s in status.items()}
                    self._error = None
                except BusUnavailable as exc:
                    self._error = exc
            if self._error is not None:
                raise self._error
            return self._counts.get(queue, 0)
