"""``data_changed``: new results or fixtures reach every serving process at once.

Serving checks the store for new data only every ``data_check_interval_s``; an import that
changed results publishes ``data_changed``. One ``ops`` process takes it and broadcasts it
(``actors.broadcasts``) to every ``ml`` process, which folds the store in now, so its
feature and prediction cache keys (which carry the data version) move with the data.
"""

from __future__ import annotations

from typing import Any

import dramatiq

from actors import runtime
from actors.broadcasts import broadcast
from actors.contracts import ContractError, check_payload


@dramatiq.actor(
    actor_name="data_changed",
    queue_name="ops",
    max_retries=5,
    min_backoff=1_000,
    time_limit=60_000,
    throws=(ContractError,),
)
def data_changed(data: Any) -> dict[str, Any]:
    """Tell every serving process about the batches' new results."""
    data = check_payload(data, ("batch_ids",))
    broadcast(runtime.settings(), "data_changed", data)
    return {"batch_ids": data["batch_ids"], "broadcast": True}
