"""Work an actor leaves for after its result is stored: the waiting client has its answer
first, and the work still runs before the message is acked, so a worker that dies between
the two gets the message redelivered and the work done again.

``predict`` leaves its prediction log rows here: the log is written durably (a commit,
flushed to disk), and that flush no longer delays the answer it records.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import structlog
from dramatiq import Middleware
from dramatiq.broker import Broker, MessageProxy

_local = threading.local()
log = structlog.get_logger("footcast.after_result")


def after_result(work: Callable[[], None]) -> None:
    """Run ``work`` once the result of the message this thread processes is stored; at once
    when the thread processes no message (an actor called as a function)."""
    pending: list[Callable[[], None]] | None = getattr(_local, "pending", None)
    if pending is None:
        work()
    else:
        pending.append(work)


class AfterResult(Middleware):
    """Runs the work actors left with ``after_result``. The broker places it before
    ``Results``: dramatiq runs ``after_*`` hooks in reverse order, so the result is stored
    by then. Work that raises fails the message, which is rejected into its dead-letter
    queue with the reason (``DeadLetterReason``), for an operator to replay."""

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        _local.pending = []

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        pending: list[Callable[[], None]] = getattr(_local, "pending", None) or []
        _local.pending = None
        if exception is not None:
            return
        for work in pending:
            try:
                work()
            except Exception as exc:
                log.error("work after the result failed", error=str(exc))
                message.stuff_exception(exc)
                message.fail()
                return

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        _local.pending = None
