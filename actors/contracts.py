"""Message contracts: queue names, actor names and payload schema versions.

Producers build messages here without importing any actor module, so the API and the DAGs
never pay for pandas or the models, and a worker can refuse a payload it does not know.
"""

from __future__ import annotations

from datetime import datetime
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


#: Codes of the error item a ``predict`` result holds for a fixture it could not forecast;
#: the API answers each with the status its table gives (``api/errors.py``).
NO_MODEL = "no_model"
UNKNOWN_TEAM = "unknown_team"
UNKNOWN_COMPETITION = "unknown_competition"
UNKNOWN_MATCH = "unknown_match"
SAME_TEAM = "same_team"
INVALID_FIXTURE = "invalid_fixture"


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


def validate_batch(batch_id: int) -> Message[Any]:
    """Run the validation gate on one stored ingest batch."""
    return message("validate", "validate_batch", payload(batch_id=int(batch_id)))


def model_promoted(version: str, previous: str | None) -> Message[Any]:
    """``champion`` of footcast-outcome now names ``version`` (``previous`` before, if any)."""
    return message("ops", "model_promoted", payload(version=str(version), previous=previous))


def featurise(fixtures: list[dict[str, Any]]) -> Message[Any]:
    """Compute (and cache) the features of normalised fixtures (``core.fixtures``)."""
    return message("ml", "featurise", payload(fixtures=fixtures))


def predict(fixtures: list[dict[str, Any]], sent_at: float) -> Message[Any]:
    """Forecast normalised fixtures (``core.fixtures``), up to a matchday of them at once;
    ``sent_at`` (unix seconds) lets the worker report how long the message queued."""
    return message("ml", "predict", payload(fixtures=fixtures, sent_at=sent_at))


def invalidate_cache(keep_version: str) -> Message[Any]:
    """Drop cached predictions of every model but ``keep_version`` (its cache key,
    ``<version>-<run id>``)."""
    return message("ops", "invalidate_cache", payload(keep_version=str(keep_version)))


def run_pipeline(reason: str) -> Message[Any]:
    """Run the DVC pipeline (``dvc repro``) once; ``reason`` is kept with the run's record."""
    return message("pipeline", "run_pipeline", payload(reason=str(reason)))


def pipeline_event(event: str, fields: dict[str, Any]) -> Message[Any]:
    """One of ``PIPELINE_EVENTS`` with its fields, checked before it leaves the producer."""
    if event not in PIPELINE_EVENTS:
        raise ContractError(f"unknown pipeline event {event!r}; one of {sorted(PIPELINE_EVENTS)}")
    return message("ops", event, check_payload(payload(**fields), PIPELINE_EVENTS[event]))
