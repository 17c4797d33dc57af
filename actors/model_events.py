"""``model_promoted`` and ``invalidate_cache``: the model lifecycle on the ``ops`` queue.

``model_promoted`` reaches one worker process: it reloads that process's predictor at once
and, in the same breath, drops every cached prediction of older models, so the API (which
may trust its serving record for a fraction of a second longer) finds nothing stale to
serve. The other processes notice the new champion by their own rate-limited version check;
``invalidate_cache`` sweeps again once they all have, in case one cached an old answer
meanwhile.
"""

from __future__ import annotations

from typing import Any

import dramatiq

from actors import contracts
from actors.contracts import ContractError, check_payload
from actors.predict import serving
from core.cache import Cache
from core.settings import Settings


@dramatiq.actor(
    actor_name="model_promoted",
    queue_name="ops",
    max_retries=5,
    min_backoff=1_000,
    time_limit=300_000,
    throws=(ContractError,),
)
def model_promoted(data: Any) -> dict[str, Any]:
    """Serve the new champion in this process now, then drop the old model's predictions."""
    data = check_payload(data, ("version",))
    settings = Settings.from_env()
    current = serving.get()
    current.refresh(force=True)
    served = current.predictor.snapshot.model
    dropped = Cache.from_settings(settings).drop_predictions(served.key)
    sweep_after_ms = int((settings.model_check_interval_s + 1) * 1000)
    dramatiq.get_broker().enqueue(contracts.invalidate_cache(served.key), delay=sweep_after_ms)
    return {
        "version": data["version"],
        "previous": data.get("previous"),
        "serving": served.version,
        "dropped": dropped,
    }


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
    dropped = Cache.from_settings(Settings.from_env()).drop_predictions(str(data["keep_version"]))
    return {"keep_version": data["keep_version"], "dropped": dropped}
