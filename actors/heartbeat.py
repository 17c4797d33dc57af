"""``record_heartbeat``: a beat through the bus into PostgreSQL, on ``ops``.

An unreachable database is an outage and is retried with backoff; a bad payload is not. The
write is keyed on the beat, so a redelivery or a replay changes nothing.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

import dramatiq
import structlog

from actors import runtime
from actors.contracts import ContractError, check_payload
from core.db import connect
from etl.heartbeats import record_heartbeat as store_heartbeat


@dramatiq.actor(
    actor_name="record_heartbeat",
    queue_name="ops",
    max_retries=10,
    min_backoff=500,
    max_backoff=10_000,
    time_limit=30_000,
    throws=(ContractError,),
    store_results=True,
)
def record_heartbeat(data: Any) -> dict[str, Any]:
    """Store ``{source, beat_at}`` once; report whether this delivery stored it."""
    data = check_payload(data, ("source", "beat_at"))
    try:
        beat_at = datetime.fromisoformat(str(data["beat_at"]))
    except ValueError:
        raise ContractError(f"beat_at is not an ISO time: {data['beat_at']!r}") from None
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    with connect(runtime.settings()) as conn:
        stored = store_heartbeat(
            conn, str(data["source"]), beat_at, f"{socket.gethostname()}:{os.getpid()}", request_id
        )
    return {"source": data["source"], "beat_at": beat_at.isoformat(), "stored": stored}
