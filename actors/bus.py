"""The producer side of the bus: send a message, wait for or poll its result.

Used by the API and the CLI; it never imports actor modules, only their contracts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from dramatiq import Message
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.errors import BrokerError
from dramatiq.results import ResultFailure, ResultMissing, ResultTimeout
from dramatiq.results.backends.redis import RedisBackend

from actors.broker import build_broker, results_backend

# The producer's errors are defined with every other bus error, and reachable from here.
from actors.errors import ActorFailed as ActorFailed
from actors.errors import BusError as BusError
from actors.errors import BusUnavailable as BusUnavailable
from actors.errors import NoConsumer as NoConsumer
from actors.errors import ResultNotReady as ResultNotReady
from actors.errors import broker_unavailable
from core.settings import Settings


class Bus:
    """A broker and a results backend, shared by one producer process.

    With ``consumers`` (a queue's consumer count, e.g. ``ConsumerWatch.consumers``) a message
    for a queue no worker consumes is refused with ``NoConsumer`` rather than sent: producers
    that wait for answers (the API) fail fast; the CLI queues work for workers to come.
    """

    def __init__(
        self,
        broker: RabbitmqBroker,
        backend: RedisBackend,
        consumers: Callable[[str], int] | None = None,
    ) -> None:
        self.broker = broker
        self.backend = backend
        self.consumers = consumers

    @classmethod
    def from_settings(
        cls, settings: Settings, consumers: Callable[[str], int] | None = None
    ) -> Bus:
        return cls(build_broker(settings), results_backend(settings), consumers)

    def send(self, message: Message[Any]) -> Message[Any]:
        """Publish with confirms; raise ``BusUnavailable`` rather than hang if RabbitMQ is down,
        and ``NoConsumer`` if consumers are watched and none serves the message's queue."""
        if self.consumers is not None and self.consumers(message.queue_name) == 0:
            raise NoConsumer(message.queue_name)
        try:
            return self.broker.enqueue(message)
        except (BrokerError, OSError) as exc:
            raise broker_unavailable(exc) from exc

    def wait(self, message: Message[Any], timeout_ms: int) -> Any:
        """Block until the message's result is stored, for at most ``timeout_ms``."""
        return self._result(message, block=True, timeout_ms=timeout_ms)

    def poll(self, message: Message[Any]) -> Any:
        """The result if it is there; ``ResultNotReady`` if not (yet)."""
        return self._result(message, block=False, timeout_ms=0)

    def _result(self, message: Message[Any], *, block: bool, timeout_ms: int) -> Any:
        try:
            if block:
                return self._blocking_get(message, timeout_ms)
            return self.backend.get_result(message, block=False)
        except (ResultTimeout, ResultMissing) as exc:
            raise ResultNotReady(message.message_id) from exc
        except ResultFailure as exc:
            raise ActorFailed(exc.orig_exc_msg or str(exc)) from exc
        except redis.RedisError as exc:
            raise BusUnavailable("results", str(exc)) from exc

    def _blocking_get(self, message: Message[Any], timeout_ms: int) -> Any:
        """The result, waited for ``timeout_ms`` to the millisecond: dramatiq's backend rounds
        a blocking wait down to whole seconds, and one under a second to no wait at all;
        BRPOPLPUSH takes fractional seconds (Redis 6 and later)."""
        key = self.backend.build_message_key(message)
        seconds = max(timeout_ms, 1) / 1000  # redis-py's typing allows whole seconds only
        data = self.backend.client.execute_command("BRPOPLPUSH", key, key, seconds)
        if data is None:
            raise ResultTimeout(message)
        return self.backend.unwrap_result(self.backend.encoder.decode(data))

    def close(self) -> None:
        self.broker.close()
