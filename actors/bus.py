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
from core.settings import Settings


class BusError(Exception):
    """Root of the errors a producer sees."""


class BusUnavailable(BusError):
    """Raised when the broker or the results backend cannot be reached."""

    def __init__(self, component: str, detail: str) -> None:
        self.component = component
        super().__init__(f"{component} unavailable: {detail}")


class NoConsumer(BusError):
    """Raised instead of sending when no worker consumes the message's queue: the message
    would only wait, and its sender with it."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        super().__init__(f"no worker consumes the {queue} queue")


class ResultNotReady(BusError):
    """Raised when a result did not arrive in time; the message is still queued or running."""


class ActorFailed(BusError):
    """Raised when the actor failed for good; carries the actor's error message."""


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
            raise BusUnavailable("broker", str(exc) or type(exc).__name__) from exc

    def wait(self, message: Message[Any], timeout_ms: int) -> Any:
        """Block until the message's result is stored, for at most ``timeout_ms``."""
        return self._result(message, block=True, timeout_ms=timeout_ms)

    def poll(self, message: Message[Any]) -> Any:
        """The result if it is there; ``ResultNotReady`` if not (yet)."""
        return self._result(message, block=False, timeout_ms=0)

    def _result(self, message: Message[Any], *, block: bool, timeout_ms: int) -> Any:
        try:
            return self.backend.get_result(message, block=block, timeout=timeout_ms)
        except (ResultTimeout, ResultMissing) as exc:
            raise ResultNotReady(message.message_id) from exc
        except ResultFailure as exc:
            raise ActorFailed(exc.orig_exc_msg or str(exc)) from exc
        except redis.RedisError as exc:
            raise BusUnavailable("results", str(exc)) from exc

    def close(self) -> None:
        self.broker.close()
