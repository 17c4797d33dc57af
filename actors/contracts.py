"""Message contracts: queue names, actor names and payload schema versions.

Producers build messages here without importing any actor module, so the API and the DAGs
never pay for pandas or the models, and a worker can refuse a payload it does not know.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dramatiq import Message

from actors.errors import ContractError as ContractError

#: Payload schema version; a worker dead-letters a message whose version it does not know.
SCHEMA_VERSION = 1

QUEUES = ("etl", "validate", "ml", "ops", "pipeline")

#: The pipeline's events on ``ops`` (DVC stages publish them through ``footcast pipeline
#: event``) and the fields each one carries.
PIPELINE_EVENTS: dict[str, tuple[str, ...]] = {
    "pipeline_started": (),
    "stage_finished": ("stage", "seconds"),
    "challenger_registered": ("version", "metrics"),
    "pipeline_failed": ("stage", "error"),
}


def payload(**fields: Any) -> dict[str, Any]:
    """A payload dict stamped with the schema version."""
    return {"v": SCHEMA_VERSION, **fields}


def check_payload(data: Any, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return ``data`` if it is a payload of a known version holding ``required`` fields."""
    if not isinstance(data, dict):
        raise ContractError(f"payload must be an object, got {type(data).__name__}")
    if data.get("v") != SCHEMA_VERSION:
        raise ContractError(f"unknown payload schema version {data.get('v')!r}")
    missing = [name for name in required if name not in data]
    if missing:
        raise ContractError(f"payload lacks {', '.join(missing)}")
    return data


def message(queue: str, actor: str, data: dict[str, Any], **options: Any) -> Message[Any]:
    """A message for ``actor`` on ``queue``; the worker resolves the actor by name."""
    if queue not in QUEUES:
        raise ContractError(f"unknown queue {queue!r}")
    return Message(queue_name=queue, actor_name=actor, args=(data,), kwargs={}, options=options)


def ping(queue: str = "ops", **fields: Any) -> Message[Any]:
    """A ``ping`` on any queue: proves producer → broker → worker → results end to end."""
    return message(queue, "ping", payload(**fields))


def heartbeat(source: str, beat_at: datetime) -> Message[Any]:
    """A beat recorded once in PostgreSQL: proves the path producer → worker → store."""
    return message("ops", "record_heartbeat", payload(source=source, beat_at=beat_at.isoformat()))


def scrape_fixtures(competition: str, season: str, base_url: str | None = None) -> Message[Any]:
    """Scrape a competition season's WhoScored fixtures (``ENG-Premier League``, ``2021``).

    ``base_url`` points the worker at another host than its configured one (a mirror).
    """
    fields = {"base_url": base_url} if base_url else {}
    return message(
        "etl", "scrape_fixtures", payload(competition=competition, season=season, **fields)
    )


def scrape_match(match_id: int, base_url: str | None = None) -> Message[Any]:
    """Scrape one WhoScored match centre; ``match_id`` is WhoScored's id."""
    fields = {"base_url": base_url} if base_url else {}
    return message("etl", "scrape_match", payload(match_id=int(match_id), **fields))


def import_history(league: str, season: str) -> Message[Any]:
    """Import one football-data.co.uk season file (``E0``, ``2324``)."""
    return message("etl", "import_history", payload(league=league, season=season))


def import_fixtures(path: str | None = None, as_of: str | None = None) -> Message[Any]:
    """Import football-data.co.uk's ``fixtures.csv`` (or ``path`` below the base URL, e.g. a
    mirror's ``fixtures/fixtures_2024-05-16.csv``); ``as_of`` (ISO time) dates its prices."""
    fields = {k: v for k, v in (("path", path), ("as_of", as_of)) if v is not None}
    return message("etl", "import_fixtures", payload(**fields))


def data_changed(batch_ids: list[int]) -> Message[Any]:
    """Validated batches changed results or fixtures: serving folds the store in now."""
    return message("ops", "data_changed", payload(batch_ids=[int(b) for b in batch_ids]))


def validate_batch(batch_id: int) -> Message[Any]:
    """Run the validation gate on one stored ingest batch."""
    return message("validate", "validate_batch", payload(batch_id=int(batch_id)))


def model_promoted(version: str, previous: str | None) -> Message[Any]:
    """``champion`` of footcast-outcome now names ``version`` (``previous`` before, if any)."""
    return message("ops", "model_promoted", payload(version=str(version), previous=previous))


def featurise(fixtures: list[dict[str, Any]]) -> Message[Any]:
    """Compute (and cache) the features of normalised fixtures (``core.fixtures``)."""
    return message("ml", "featurise", payload(fixtures=fixtures))


def predict(
    fixtures: list[dict[str, Any]], sent_at: float, missed_at: str | None = None
) -> Message[Any]:
    """Forecast normalised fixtures (``core.fixtures``), up to a matchday of them at once;
    ``sent_at`` (unix seconds) lets the worker report how long the message queued, and
    ``missed_at`` names the data version under which the sender just found none of them in
    the feature cache (a worker serving that version does not look again)."""
    fields = payload(fixtures=fixtures, sent_at=sent_at)
    if missed_at is not None:
        fields["missed_at"] = missed_at
    return message("ml", "predict", fields)


def log_served(rows: list[dict[str, Any]]) -> Message[Any]:
    """Write served forecasts (``ServedForecast.to_message``) to the prediction log: the
    rows a worker served but could not log at once."""
    return message("ml", "log_served", payload(rows=rows))


def check_drift(day: str) -> Message[Any]:
    """Compare the features of the fixtures from ``day`` (ISO) with the year before the last
    result, and record the check (``ml.drift``)."""
    return message("ml", "check_drift", payload(day=day))


def invalidate_cache(keep_version: str) -> Message[Any]:
    """Drop cached predictions of every model but ``keep_version`` (its cache key,
    ``<version>-<run id>``)."""
    return message("ops", "invalidate_cache", payload(keep_version=str(keep_version)))


def run_pipeline(reason: str) -> Message[Any]:
    """Run the DVC pipeline (``dvc repro``) once; ``reason`` is kept with the run's record."""
    fields = payload(reason=str(reason), requested_at=datetime.now(UTC).isoformat())
    return message("pipeline", "run_pipeline", fields)


def pipeline_event(event: str, fields: dict[str, Any]) -> Message[Any]:
    """One of ``PIPELINE_EVENTS`` with its fields, checked before it leaves the producer."""
    if event not in PIPELINE_EVENTS:
        raise ContractError(f"unknown pipeline event {event!r}; one of {sorted(PIPELINE_EVENTS)}")
    return message("ops", event, check_payload(payload(**fields), PIPELINE_EVENTS[event]))


def season_results(leagues: list[str], season: str) -> list[Message[Any]]:
    """Each league's results file of one season (the daily DAG's part besides WhoScored's)."""
    return [import_history(league, season) for league in leagues]


def daily_ingest(leagues: list[str], season: str) -> list[Message[Any]]:
    """What the daily calendar asks for without Airflow: fixtures.csv with its prices, then
    each league's results file of the current season."""
    return [import_fixtures(), *season_results(leagues, season)]


def weekly_retrain(reason: str) -> list[Message[Any]]:
    """What the weekly schedule asks for: one pipeline run."""
    return [run_pipeline(reason)]
