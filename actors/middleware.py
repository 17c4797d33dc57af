"""Worker middleware of our own: dead-letter reasons and request tracing."""

from __future__ import annotations

import json
import time
import traceback
from typing import Any

import redis
import structlog
from dramatiq import Middleware
from dramatiq.broker import Broker, MessageProxy

#: Key prefix of dead-letter reasons in the results Redis, followed by the message id.
REASON_KEY_PREFIX = "footcast:dead-letter:"
#: How long a reason is kept (ms): as long as RabbitMQ keeps the dead letter itself.
REASON_TTL_MS = 7 * 24 * 3600 * 1000


def reason_key(message_id: str) -> str:
    return f"{REASON_KEY_PREFIX}{message_id}"


class DeadLetterReason(Middleware):
    """Records why a message was dead-lettered, since RabbitMQ keeps only the bare body.

    Every rejection passes through ``before_nack``: retries exhausted, an error the actor
    declares permanent, or a message naming an actor this worker does not know. The reason
    is stored before the rejection, so whoever finds the message in ``.XQ`` finds its reason.
    """

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def before_nack(self, broker: Broker, message: MessageProxy) -> None:
        exception = message._exception
        if message.actor_name not in broker.actors:
            error_type, error, trace = "ActorNotFound", f"no actor {message.actor_name!r}", ""
        elif exception is not None:
            error_type, error = type(exception).__name__, str(exception)
            trace = "".join(traceback.format_exception(exception, limit=20))
        else:
            error_type, error, trace = "Rejected", "rejected without an exception", ""
        reason = {
            "message_id": message.message_id,
            "queue": message.queue_name,
            "actor": message.actor_name,
            "error_type": error_type,
            "error": error,
            "traceback": trace,
            "retries": message.options.get("retries", 0),
            "request_id": message.options.get("request_id"),
            "failed_at": time.time(),
        }
        self.client.set(reason_key(message.message_id), json.dumps(reason), px=REASON_TTL_MS)
        structlog.get_logger("footcast.dead_letter").error(
            "message dead-lettered", **{k: v for k, v in reason.items() if k != "traceback"}
        )


class TraceContext(Middleware):
    """Binds a message's ``request_id`` to every log line its actor writes, and passes the
    request id bound where a message is sent (an API request, an actor) on to that message."""

    def before_enqueue(self, broker: Broker, message: Any, delay: int | None) -> None:
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id and "request_id" not in message.options:
            message.options["request_id"] = request_id

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            message_id=message.message_id,
            actor=message.actor_name,
            request_id=message.options.get("request_id"),
        )

    def after_ack(self, broker: Broker, message: MessageProxy) -> None:
        # Only once the message is acked or rejected: dramatiq calls ``after_*`` hooks in
        # reverse order, so clearing earlier would strip the ids from the retry, time-limit
        # and dead-letter lines that follow the actor.
        structlog.contextvars.clear_contextvars()

    after_nack = after_ack
