"""``data_changed``: new results or fixtures reach serving at once, on the ``ops`` queue.

Serving checks the store for new data only every ``data_check_interval_s``; an import that
changed results publishes ``data_changed`` so the process that takes it folds the store in
now, and its feature and prediction cache keys (which carry the data version) move with it.
"""

from __future__ import annotations

from typing import Any

import dramatiq

from actors.contracts import ContractError, check_payload
from actors.predict import serving


def fold_in_new_data() -> dict[str, Any]:
    """Reload this process's serving state if the store's validated results changed.

    A process that has not loaded its serving state yet will read the new data when it
    does: there is nothing to fold.
    """
    current = serving.loaded()
    if current is None:
        return {"reloaded": False, "data_version": None, "previous_data_version": None}
    before = current.predictor.data_version
    reloaded = current.refresh(force=True, data=True)
    return {"reloaded": reloaded, "data_version": current.predictor.data_version,
            "previous_data_version": before}  # fmt: skip


@dramatiq.actor(
    actor_name="data_changed",
    queue_name="ops",
    max_retries=5,
    min_backoff=1_000,
    time_limit=300_000,
    throws=(ContractError,),
)
def data_changed(data: Any) -> dict[str, Any]:
    """Fold the batches' new results into serving now, not at the next periodic check."""
    data = check_payload(data, ("batch_ids",))
    return {"batch_ids": data["batch_ids"], **fold_in_new_data()}
