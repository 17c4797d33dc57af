"""``check_drift``: the daily feature drift check, on the ``ml`` queue because it reads the
serving state (the champion's features of the coming fixtures) that ``ml`` processes hold."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

import dramatiq
import structlog

from actors.contracts import ContractError, check_payload
from actors.predict import serving
from ml.drift import check_drift as run_check

log = structlog.get_logger("footcast.actors.drift")


@dramatiq.actor(
    actor_name="check_drift",
    queue_name="ml",
    max_retries=3,
    min_backoff=60_000,
    time_limit=10 * 60_000,
    store_results=True,
    throws=(ContractError,),
)
def check_drift(data: Any) -> dict[str, Any]:
    """Check the fixtures from ``{day}``; the report, also logged."""
    data = check_payload(data, ("day",))
    try:
        day = dt.date.fromisoformat(str(data["day"]))
    except ValueError:
        raise ContractError(f"day is not an ISO date: {data['day']!r}") from None
    served = serving.get()
    report = run_check(served.settings, served, day)
    worst = max(report.psi.items(), key=lambda item: item[1], default=(None, None))
    log.info("drift checked", fixtures=report.fixtures, worst_feature=worst[0], worst_psi=worst[1])
    return {**asdict(report), "day": report.day.isoformat()}
