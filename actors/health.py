"""``ping``: the smallest actor, proving producer → broker → worker → results end to end."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import dramatiq
import structlog

from actors.contracts import ContractError, check_payload

#: Longest pause a ping may ask for (ms), well inside its time limit.
MAX_SLEEP_MS = 5_000

log = structlog.get_logger("footcast.actors.health")


@dramatiq.actor(
    actor_name="ping",
    queue_name="ops",
    max_retries=3,
    min_backoff=100,
    time_limit=10_000,
    store_results=True,
    throws=(ContractError,),
)
def ping(data: Any) -> dict[str, Any]:
    """Echo the payload with where and when it was handled.

    ``fail`` raises on purpose; ``sleep_ms`` (at most ``MAX_SLEEP_MS``) holds the message in
    flight, so operators and fault tests can stop a worker in the middle of one.
    """
    data = check_payload(data)
    if data.get("fail"):
        raise RuntimeError(f"ping asked to fail: {data.get('fail')}")
    sleep_ms = data.get("sleep_ms", 0)
    if not isinstance(sleep_ms, int) or not 0 <= sleep_ms <= MAX_SLEEP_MS:
        raise ContractError(f"sleep_ms must be an integer from 0 to {MAX_SLEEP_MS}")
    time.sleep(sleep_ms / 1000)
    log.info("ping answered", slept_ms=sleep_ms)
    return {
        "pong": True,
        "echo": data,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "handled_at": time.time(),
    }
