"""``scrape_fixtures`` and ``scrape_match``: the WhoScored scraper on the ``etl`` queue.

Outages (timeouts, 5xx after the client's own retries) are retried by the broker with a
long backoff; a page that does not parse, a bot-protection page or a bad payload is not
(retrying cannot fix it): the message goes to ``etl.XQ`` with its reason, the page stays
archived and its batch quarantined.
"""

from __future__ import annotations

from typing import Any

import dramatiq

from actors import contracts, runtime
from actors.contracts import ContractError, check_payload
from core.errors import InvalidSeason
from etl.errors import BlockedError, MissingSource, ParseError, UnknownMatch, UnknownTeam
from etl.sources import whoscored_scrape

#: Errors a retry cannot fix (``RobotsDisallowed`` is a ``BlockedError``).
PERMANENT = (
    ParseError,
    BlockedError,
    MissingSource,
    ContractError,
    UnknownTeam,
    UnknownMatch,
    InvalidSeason,
)


@dramatiq.actor(
    actor_name="scrape_fixtures",
    queue_name="etl",
    max_retries=4,
    min_backoff=60_000,
    max_backoff=60 * 60_000,
    time_limit=30 * 60_000,
    throws=PERMANENT,
    store_results=True,
)
def scrape_fixtures(data: Any) -> dict[str, Any]:
    """Upsert a season's fixtures, ask for their gates and for every finished match that has
    no match stats yet; then fail the message if a page was quarantined."""
    data = check_payload(data, ("competition", "season"))
    base_url = data.get("base_url")
    report = whoscored_scrape.scrape_fixtures(
        runtime.settings(), str(data["competition"]), str(data["season"]), base_url=base_url
    )
    broker = dramatiq.get_broker()
    for batch_id in report.pending:
        broker.enqueue(contracts.validate_batch(batch_id))
    for match_id in report.to_scrape:
        broker.enqueue(contracts.scrape_match(match_id, base_url))
    report.raise_first_failure()
    return {"fixtures": report.fixtures, "new": report.new, "to_scrape": len(report.to_scrape)}


@dramatiq.actor(
    actor_name="scrape_match",
    queue_name="etl",
    max_retries=4,
    min_backoff=60_000,
    max_backoff=60 * 60_000,
    time_limit=15 * 60_000,
    throws=PERMANENT,
    store_results=True,
)
def scrape_match(data: Any) -> dict[str, Any]:
    """Store one match centre's results, officials and team stats."""
    data = check_payload(data, ("match_id",))
    if not isinstance(data["match_id"], int):
        raise ContractError("match_id must be an integer")
    report = whoscored_scrape.scrape_match(
        runtime.settings(), data["match_id"], base_url=data.get("base_url")
    )
    if report.changed and report.batch_status == "pending":
        dramatiq.get_broker().enqueue(contracts.validate_batch(report.batch_id))
    return {"match_id": report.match_id, "changed": report.changed}
