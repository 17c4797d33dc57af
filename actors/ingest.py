"""``import_history``: one football-data.co.uk season file into the store, on ``etl``.

The batch is stored ``pending`` and gated by ``validate_batch``. A file that does not parse,
names an unresolvable team or does not exist is quarantined and not retried (a retry cannot
fix it); an unreachable source is retried with backoff. Replaying a message changes nothing.
"""

from __future__ import annotations

from typing import Any

import dramatiq

from actors import contracts
from actors.contracts import ContractError, check_payload
from core.db import connect
from core.errors import InvalidSeason
from core.settings import Settings
from etl.errors import MissingSource, ParseError, UnknownTeam, ValidationFailed
from etl.history import import_file

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
    settings = Settings.from_env()
    with connect(settings, autocommit=True) as conn:
        result = import_file(
            conn, settings.football_data_url, str(data["league"]), str(data["season"]),
            validate=False,
        )  # fmt: skip
    if result.status == "pending" and result.batch_id is not None:
        dramatiq.get_broker().enqueue(contracts.validate_batch(result.batch_id))
    return {"batch_id": result.batch_id, "status": result.status, "new": result.matches_new,
            "updated": result.matches_updated}  # fmt: skip
