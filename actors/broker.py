"""The one place the RabbitMQ broker and its middleware are built."""

from __future__ import annotations

import dramatiq
import orjson
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.encoder import JSONEncoder, MessageData
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from dramatiq.results import Results
from dramatiq.results.backends.redis import RedisBackend

from actors.after_result import AfterResult
from actors.contracts import QUEUES
from actors.delivery_limit import DeliveryLimit
from actors.middleware import DeadLetterReason, TraceContext
from core.redis import results_client
from core.settings import Settings

#: Defaults for actors that do not set their own; every footcast actor sets its own anyway.
DEFAULT_MAX_RETRIES = 5
DEFAULT_MIN_BACKOFF_MS = 500
DEFAULT_MAX_BACKOFF_MS = 60_000
DEFAULT_TIME_LIMIT_MS = 60_000


class ResultEncoder(JSONEncoder):
    """JSON by orjson: a batch's result (a hundred forecasts) took 2 ms to encode with the
    standard library and as long again to decode. Anything orjson cannot write or read
    (a NaN written by the standard library, say) goes through the standard library."""

    def encode(self, data: MessageData) -> bytes:
        try:
            return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
        except TypeError:
            return super().encode(data)

    def decode(self, data: bytes) -> MessageData:
        try:
            decoded: MessageData = orjson.loads(data)
        except orjson.JSONDecodeError:
            return super().decode(data)
        return decoded


def results_backend(settings: Settings) -> RedisBackend:
    return RedisBackend(client=results_client(settings), encoder=ResultEncoder())


def build_broker(settings: Settings) -> RabbitmqBroker:
    """A broker with publisher confirms, retries with backoff, time limits, results (and
    work left for after them), and a bound on redeliveries of a message whose worker dies
    while running it."""
    broker = RabbitmqBroker(
        url=settings.broker_url,
        confirm_delivery=True,
        middleware=[
            AgeLimit(),
            TimeLimit(time_limit=DEFAULT_TIME_LIMIT_MS),
            ShutdownNotifications(),
            Callbacks(),
            Pipelines(),
            Retries(
                max_retries=DEFAULT_MAX_RETRIES,
                min_backoff=DEFAULT_MIN_BACKOFF_MS,
                max_backoff=DEFAULT_MAX_BACKOFF_MS,
            ),
        ],
    )
    broker.add_middleware(
        Results(backend=results_backend(settings), result_ttl=settings.result_ttl_ms)
    )
    broker.add_middleware(AfterResult(), before=Results)
    broker.add_middleware(TraceContext())
    broker.add_middleware(DeliveryLimit(results_client(settings), settings.max_deliveries))
    broker.add_middleware(DeadLetterReason(results_client(settings)))
    for queue in QUEUES:
        broker.declare_queue(queue)
    return broker


def install_broker(settings: Settings) -> RabbitmqBroker:
    """Build the broker and make it dramatiq's global one; call before importing actors."""
    broker = build_broker(settings)
    dramatiq.set_broker(broker)
    return broker
