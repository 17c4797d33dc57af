"""What RabbitMQ says about footcast's queues: messages waiting, consumers attached, dead
letters parked, asked with passive declarations (which never create or change a queue).

The API uses ``ConsumerWatch`` to answer at once when no worker consumes the queue a request
needs, instead of holding the client for the full timeout; readiness, metrics and the page
read ``queue_status``.
"""

from __future__ import annotations

import contextlib
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
from actors.errors import broker_unavailable
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
    """A connection for questions to the broker; ``BusUnavailable`` if down."""
    params = pika.URLParameters(settings.broker_url)
    params.connection_attempts = 1
    params.socket_timeout = timeout_s
    params.blocked_connection_timeout = timeout_s
    try:
        return pika.BlockingConnection(params)
    except (pika.exceptions.AMQPError, OSError) as exc:
        raise broker_unavailable(exc) from exc


@contextmanager
def broker_session(settings: Settings, timeout_s: float = 5.0) -> Iterator[pika.BlockingConnection]:
    """A connection for a few questions or publications, closed after; a broker error
    inside becomes ``BusUnavailable``."""
    connection = broker_connection(settings, timeout_s)
    try:
        yield connection
    except pika.exceptions.AMQPError as exc:
        raise broker_unavailable(exc) from exc
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

    One thread asks while the others go on with the counts read before, so a request never
    waits for the broker's answer except the first of the process. The question goes over
    one connection kept open (opening one each time cost the API and RabbitMQ more than the
    question); a broken one is replaced once, at once. A failed question is remembered for
    ``ttl_s``, so a broker outage costs one connection attempt per second, not one per
    request.
    """

    def __init__(self, settings: Settings, ttl_s: float = CONSUMERS_TTL_S) -> None:
        self.settings = settings
        self.ttl_s = ttl_s
        self._asking = threading.Lock()
        self._asked = -ttl_s
        self._counts: dict[str, int] | None = None
        self._error: BusUnavailable | None = None
        self._connection: pika.BlockingConnection | None = None

    def consumers(self, queue: str) -> int:
        """Consumers attached to ``queue`` now (within ``ttl_s``); ``BusUnavailable`` if the
        broker cannot be asked."""
        due = time.monotonic() - self._asked >= self.ttl_s
        first = self._counts is None and self._error is None
        if (due or first) and self._asking.acquire(blocking=first):
            try:
                if time.monotonic() - self._asked >= self.ttl_s:
                    self._ask()
            finally:
                self._asking.release()
        if self._error is not None:
            raise self._error
        return (self._counts or {}).get(queue, 0)

    def _ask(self) -> None:
        self._asked = time.monotonic()
        kept = self._connection is not None and self._connection.is_open
        try:
            try:
                found = self._declared()
            except BusUnavailable:
                if not kept:
                    raise
                found = self._declared()  # the kept one was dropped: once more on a new one
        except BusUnavailable as exc:
            self._error = exc
            return
        self._counts = {q: consumers for q, (_, consumers) in found.items()}
        self._error = None

    def _declared(self) -> dict[str, tuple[int, int]]:
        """``declared`` of the queues, over the kept connection (opened if there is none);
        a connection that fails is closed."""
        if self._connection is None or not self._connection.is_open:
            self._connection = broker_connection(
                self.settings, self.settings.health_timeout_ms / 1000
            )
        try:
            return declared(self._connection, QUEUES)
        except (pika.exceptions.AMQPError, OSError) as exc:
            self._close()
            raise broker_unavailable(exc) from exc

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and connection.is_open:
            with contextlib.suppress(pika.exceptions.AMQPError, OSError):
                connection.close()
