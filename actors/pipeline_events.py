"""The ML pipeline's events on ``ops``: each becomes one log line and a metric sample.

DVC stages publish them through ``footcast pipeline event`` (the stages never import the
bus); ``model_promoted`` has its own actor (``actors.model_events``). The counters live in
the worker's default Prometheus registry, where the worker's metrics exposition finds them.
"""

from __future__ import annotations

from typing import Any

import dramatiq
import structlog
from prometheus_client import Counter, Histogram

from actors.contracts import PIPELINE_EVENTS, ContractError, check_payload

log = structlog.get_logger("footcast.pipeline")

#: Stage durations (s): seconds-long exports up to hours-long backtests.
STAGE_BUCKETS_S = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0)

EVENTS = Counter("footcast_pipeline_events", "Pipeline events seen on the bus", ["event", "stage"])
STAGE_SECONDS = Histogram(
    "footcast_pipeline_stage_duration_seconds",
    "Time a DVC stage took",
    ["stage"],
    buckets=STAGE_BUCKETS_S,
)


def observe(event: str, data: Any) -> dict[str, Any]:
    """Check an event's payload, log it and count it; return what was logged."""
    data = check_payload(data, PIPELINE_EVENTS[event])
    fields = {k: v for k, v in data.items() if k != "v"}
    stage = str(fields.get("stage", ""))
    EVENTS.labels(event=event, stage=stage).inc()
    if event == "stage_finished":
        STAGE_SECONDS.labels(stage=stage).observe(float(fields["seconds"]))
    if event == "pipeline_failed":
        log.error(event, **fields)
    else:
        log.info(event, **fields)
    return {"event": event, **fields}


def _event_actor(event: str) -> dramatiq.Actor[[Any], None]:
    def handle(data: Any) -> None:
        observe(event, data)

    handle.__doc__ = f"Log and count ``{event}``."
    declare = dramatiq.actor(
        actor_name=event,
        queue_name="ops",
        max_retries=3,
        min_backoff=1_000,
        time_limit=10_000,
        throws=(ContractError,),
    )
    return declare(handle)


pipeline_started = _event_actor("pipeline_started")
stage_finished = _event_actor("stage_finished")
challenger_registered = _event_actor("challenger_registered")
pipeline_failed = _event_actor("pipeline_failed")
