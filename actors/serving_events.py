"""How every ``ml`` process reacts to lifecycle events (``actors.broadcasts``).

``model_promoted``: serve the new champion in this process now, then drop every cached
prediction of another model, so the API (which may trust its serving record for a fraction
of a second longer) finds nothing stale to serve; ``invalidate_cache`` sweeps again once
every process has switched, in case one cached an old answer meanwhile.
``data_changed``: fold the new results into this process's feature state now.
"""

from __future__ import annotations

import os
from typing import Any

import dramatiq
import structlog
from dramatiq import Broker, Middleware

from actors import contracts, runtime
from actors.broadcasts import Handler, Listener
from actors.predict import serving
from actors.readiness import prepare

log = structlog.get_logger("footcast.serving_events")


def on_model_promoted(data: dict[str, Any]) -> None:
    settings = runtime.settings()
    current = serving.get()
    current.refresh(force=True)
    served = current.keeper.current.model
    dropped = current.cache.drop_predictions(served.key)
    sweep_after_ms = int((settings.model_check_interval_s + 1) * 1000)
    dramatiq.get_broker().enqueue(contracts.invalidate_cache(served.key), delay=sweep_after_ms)
    log.info("champion switched", version=data.get("version"), serving=served.version,
             dropped=dropped, pid=os.getpid())  # fmt: skip


def on_data_changed(data: dict[str, Any]) -> None:
    """Fold the store in now; a process still loading its state reads the new data anyway."""
    current = serving.loaded()
    if current is None:
        return
    before = current.keeper.data_version
    current.refresh(force=True, data=True)
    log.info("data folded in", batch_ids=data.get("batch_ids"), pid=os.getpid(),
             previous=before, data_version=current.keeper.data_version)  # fmt: skip


HANDLERS: dict[str, Handler] = {
    "model_promoted": on_model_promoted,
    "data_changed": on_data_changed,
}


class ListenForLifecycle(Middleware):
    """Starts this process's lifecycle listener as the worker process boots; the process
    consumes only once the listener is bound, so no promotion after that passes it by."""

    def __init__(self) -> None:
        self.listener = Listener(runtime.settings(), HANDLERS)
        prepare(self.listener.bound.wait)

    def before_worker_boot(self, broker: Broker, worker: Any) -> None:
        self.listener.start()


dramatiq.get_broker().add_middleware(ListenForLifecycle())
