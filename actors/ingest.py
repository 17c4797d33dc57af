"""``import_history`` (one football-data.co.uk season file) and ``import_fixtures`` (its
``fixtures.csv``) into the store, on ``etl``.

The batch is stored ``pending`` and gated by ``validate_batch``, which tells serving about
the new data (``data_changed``) once the gate passes. A file that does not parse,
names an unresolvable team or does not exist is quarantined and not retried (a retry cannot
fix it); an unreachable source is retried with backoff. Replaying a message changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dramatiq

from actors import contracts, runtime
from actors.contracts import ContractError, check_payload
from core.db import connect
from core.errors import InvalidSeason
from etl.errors import MissingSource, ParseError, UnknownTeam, ValidationFailed
from etl.fixtures import import_fixtures as import_fixtures_file
from etl.history import import_file
from etl.sources.football_data import FIXTURES_PATH

#: Errors a retry cannot fix.
PERMANENT = (ParseError, ValidationFailed, UnknownTeam, MissingSource, ContractError, InvalidSeason)


@dramatiq.actor(
    actor_name="import_history",
    queue_name="etl",
    max_retries=5,
    min_backoff=10_000,
    max_backoff=30 * 60_000,
    time_limit=10 * 60_000,
    store_results=True,
    throws=PERMANENT,
)
def import_history(data: Any) -> dict[str, Any]:
    """Import ``{league, season}``; ask for the gate when the batch is new or changed."""
    data = check_payload(data, ("league", "season"))
    settings = runtime.settings()
    with connect(settings, autocommit=True) as conn:
        result = import_file(
            conn, settings.football_data_url, str(data["league"]), str(data["season"]),
            validate=False,
        )  # fmt: skip
    if result.status == "pending" and result.batch_id is not None:
        dramatiq.get_broker().enqueue(contracts.validate_batch(result.batch_id))
    return {"batch_id": result.batch_id, "status": result.status, "new": result.matches_new,
            "updated": result.matches_updated}  # fmt: skip


@dramatiq.actor(
    actor_name="import_fixtures",
    queue_name="etl",
    max_retries=5,
    min_backoff=10_000,
    max_backoff=30 * 60_000,
    time_limit=5 * 60_000,
    store_results=True,
    throws=PERMANENT,
)
def import_fixtures(data: Any) -> dict[str, Any]:
    """Import ``{path?, as_of?}``; ask for the gate when the batch is new or changed."""
    data = check_payload(data)
    settings = runtime.settings()
    try:
        as_of = datetime.fromisoformat(data["as_of"]) if data.get("as_of") else None
    except (TypeError, ValueError) as exc:
        raise ContractError(f"as_of is not an ISO time: {data.get('as_of')!r}") from exc
    with connect(settings, autocommit=True) as conn:
        result = import_fixtures_file(
            conn, settings.football_data_url, path=str(data.get("path") or FIXTURES_PATH),
            as_of=as_of, validate=False,
        )  # fmt: skip
    if result.status == "pending" and result.batch_id is not None:
        dramatiq.get_broker().enqueue(contracts.validate_batch(result.batch_id))
    return {"batch_id": result.batch_id, "status": result.status, "new": result.matches_new,
            "updated": result.matches_updated, "snapshots": result.snapshots_added,
            "skipped": result.skipped}  # fmt: skip
