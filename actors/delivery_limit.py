"""Bounded redeliveries: a message that keeps killing its worker is dead-lettered.

RabbitMQ redelivers a message whose worker died before acknowledging it (out of memory,
crash, SIGKILL), and ``Retries`` never sees such a death, so without a bound one poisonous
message would take workers down forever. RabbitMQ marks such a message ``redelivered``;
each start of a redelivered message increments a counter in the results Redis, and a start
that ends, with a result or an error, removes it. A first delivery is not counted (two
Redis round trips on every message otherwise): the counter counts the starts after it, and
past the limit the message is dead-lettered unrun. A message that was only prefetched by
the worker that died counts as started once.
"""

from __future__ import annotations

from typing import Any

import redis
import structlog
from dramatiq import Middleware
from dramatiq.broker import Broker, MessageProxy

from actors.errors import DeliveryLimitExceeded

#: Key prefix of delivery counters in the results Redis, followed by the message id.
DELIVERIES_KEY_PREFIX = "footcast:deliveries:"
#: How long a counter outlives its last delivery (s); longer than any redelivery delay.
DELIVERIES_TTL_S = 24 * 3600

log = structlog.get_logger("footcast.delivery_limit")


def deliveries_key(message_id: str) -> str:
    return f"{DELIVERIES_KEY_PREFIX}{message_id}"


class DeliveryLimit(Middleware):
    """Dead-letters a message after ``max_deliveries`` starts that never finished.

    Counting is best effort: with the results Redis down the message runs uncounted (that
    outage already fails the messages that store results, and is visible on its own).
    """

    def __init__(self, client: redis.Redis, max_deliveries: int) -> None:
        self.client = client
        self.max_deliveries = max_deliveries

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        if not getattr(message, "redelivered", False):
            return
        key = deliveries_key(message.message_id)
        try:
            pipe = self.client.pipeline()
            pipe.incr(key)
            pipe.expire(key, DELIVERIES_TTL_S)
            started, _ = pipe.execute()
        except redis.RedisError as exc:
            log.warning("delivery not counted", error=str(exc))
            return
        started += 1  # the first delivery, uncounted
        if started > self.max_deliveries:
            message.fail()
            raise DeliveryLimitExceeded(
                f"exceeded {self.max_deliveries} deliveries (worker crashed while processing)"
            )
        log.warning("message redelivered after its worker died", delivery=started)

    def after_process_message(self, broker: Broker, message: MessageProxy, **_: Any) -> None:
        if not getattr(message, "redelivered", False):
            return
        try:
            self.client.delete(deliveries_key(message.message_id))
        except redis.RedisError as exc:
            log.warning("delivery count not cleared", error=str(exc))

    after_skip_message = after_process_message
