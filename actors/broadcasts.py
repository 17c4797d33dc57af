"""Lifecycle events for every ``ml`` process: a RabbitMQ fanout exchange.

A message on a work queue reaches one consumer; a promotion or new data must reach every
process that holds a serving state. So the ``ops`` actors that receive those events
re-publish them on the fanout exchange ``footcast.lifecycle``, and each ``ml`` process
listens on a queue of its own (server-named, exclusive, deleted with its connection) bound
to it. The bus stays the one transport (no dependency on the optional cache Redis); a
process that is down when an event passes misses nothing it needs, since it loads the
champion and the data when it starts and its champion watch checks every few seconds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pika
import pika.exceptions
import structlog

from actors.bus import BusUnavailable
from actors.queue_status import broker_connection, broker_session
from core.settings import Settings

EXCHANGE = "footcast.lifecycle"
#: Wait between reconnection attempts of a listener whose broker went away (s).
RECONNECT_S = 2.0

Handler = Callable[[dict[str, Any]], None]
log = structlog.get_logger("footcast.broadcasts")


def broadcast(settings: Settings, event: str, data: dict[str, Any]) -> None:
    """Publish ``event`` (its payload ``data``) to every listening process, confirmed."""
    with broker_session(settings) as connection:
        channel = connection.channel()
        channel.exchange_declare(EXCHANGE, exchange_type="fanout", durable=True)
        channel.confirm_delivery()
        channel.basic_publish(
            EXCHANGE,
            "",
            json.dumps({"event": event, "data": data}).encode(),
            pika.BasicProperties(content_type="application/json"),
        )


class Listener:
    """Receives broadcast events in this process and calls the handler of each by name.

    A handler that fails is logged; the event is not redelivered (the champion watch and the
    data check catch up), so one bad event cannot wedge the listener.
    """

    def __init__(self, settings: Settings, handlers: dict[str, Handler]) -> None:
        self.settings = settings
        self.handlers = handlers
        self.bound = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self.run, name="footcast-lifecycle", daemon=True).start()

    def run(self) -> None:
        """Listen forever, reconnecting after a broker outage."""
        while True:
            try:
                self._listen()
            except (BusUnavailable, pika.exceptions.AMQPError, OSError) as exc:
                self.bound.clear()
                log.warning("lifecycle listener disconnected", error=str(exc))
            time.sleep(RECONNECT_S)

    def _listen(self) -> None:
        connection = broker_connection(self.settings)
        try:
            channel = connection.channel()
            channel.exchange_declare(EXCHANGE, exchange_type="fanout", durable=True)
            queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
            channel.queue_bind(queue, EXCHANGE)
            self.bound.set()
            for _method, _properties, body in channel.consume(queue, auto_ack=True):
                self.dispatch(body)
        finally:
            if connection.is_open:
                connection.close()

    def dispatch(self, body: bytes) -> None:
        try:
            message = json.loads(body)
            handler = self.handlers.get(message["event"])
            if handler is None:
                return
            handler(message["data"])
            log.info("lifecycle event handled", lifecycle_event=message["event"])
        except Exception:
            log.exception("lifecycle event failed", body=body[:200].decode("utf-8", "replace"))
