"""``ping``: the smallest actor, proving producer → broker → worker → results end to end."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import dramatiq

from actors.contracts import ContractError, check_payload


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
    """Echo the payload with where and when it was handled; ``fail=true`` raises on purpose."""
    data = check_payload(data)
    if data.get("fail"):
        raise RuntimeError(f"ping asked to fail: {data.get('fail')}")
    return {
        "pong": True,
        "echo": data,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "handled_at": time.time(),
    }
