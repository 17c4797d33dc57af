"""``run_pipeline``: the DVC pipeline, one run at a time, on the ``pipeline`` queue.

The run's own time limit comes from the settings (``FOOTCAST_PIPELINE_TIME_LIMIT_S``) and
kills ``dvc repro``; the actor's limit is the ceiling the settings may not exceed. A run is
never retried by the bus: a failed one is recorded, and its stage has already published
``pipeline_failed`` (a time-out, which kills the stage, is published here).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import dramatiq
import structlog

from actors import contracts, runtime
from actors.contracts import ContractError, check_payload
from core.settings import MAX_PIPELINE_TIME_LIMIT_S
from ml.pipeline_run import run_pipeline as run

log = structlog.get_logger("footcast.pipeline")


@dramatiq.actor(
    actor_name="run_pipeline",
    queue_name="pipeline",
    max_retries=0,
    time_limit=int(MAX_PIPELINE_TIME_LIMIT_S * 1000),
    notify_shutdown=True,  # a stopping worker kills dvc's process group (it is its own)
    throws=(ContractError,),
)
def run_pipeline(data: Any) -> None:
    """Run ``dvc repro`` for ``{reason}`` unless a run is in progress."""
    data = check_payload(data, ("reason", "requested_at"))
    try:
        requested_at = datetime.fromisoformat(str(data["requested_at"]))
    except ValueError:
        raise ContractError(f"requested_at is not an ISO time: {data['requested_at']!r}") from None
    result = run(runtime.settings(), str(data["reason"]), requested_at)
    if result.timed_out:
        failed = contracts.pipeline_event(
            "pipeline_failed", {"stage": result.stage or "repro", "error": result.error}
        )
        dramatiq.get_broker().enqueue(failed)
    log.info("run_pipeline", **asdict(result))
