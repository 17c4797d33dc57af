"""``model_promoted`` and ``invalidate_cache``: the model lifecycle on the ``ops`` queue.

``model_promoted`` is taken by one ``ops`` process, which holds no model: it broadcasts the
event to every ``ml`` process (``actors.broadcasts``), and each of those switches to the new
champion and drops the older models' predictions (``actors.serving_events``).
"""

from __future__ import annotations

from typing import Any

import dramatiq

from actors import runtime
from actors.broadcasts import broadcast
from actors.contracts import ContractError, check_payload
from core.cache import Cache


@dramatiq.actor(
    actor_name="model_promoted",
    queue_name="ops",
    max_retries=5,
    min_backoff=1_000,
    time_limit=60_000,
    throws=(ContractError,),
)
def model_promoted(data: Any) -> dict[str, Any]:
    """Tell every ``ml`` process to serve the new champion now."""
    data = check_payload(data, ("version",))
    broadcast(runtime.settings(), "model_promoted", data)
    return {"version": data["version"], "previous": data.get("previous"), "broadcast": True}


@dramatiq.actor(
    actor_name="invalidate_cache",
    queue_name="ops",
    max_retries=5,
    min_backoff=1_000,
    time_limit=120_000,
    store_results=True,
    throws=(ContractError,),
)
def invalidate_cache(data: Any) -> dict[str, Any]:
    """Delete cached predictions of every model but the one named (by its cache key)."""
    data = check_payload(data, ("keep_version",))
    dropped = Cache.from_settings(runtime.settings()).drop_predictions(str(data["keep_version"]))
    return {"keep_version": data["keep_version"], "dropped": dropped}
