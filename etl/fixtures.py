"""Upcoming fixtures from football-data.co.uk's ``fixtures.csv``: fetch → archive → parse →
resolve → store → gate, one batch per distinct file.

The matches are upserted by the season importer's natural key (competition, season, home,
away, kick-off date), so a fixture and its result, imported later from the season file, are
one row. Each reading of the file adds a snapshot of its prices, dated ``as_of`` (the moment
it was read; by default when these bytes were first seen), so re-importing the same bytes
changes nothing and two downloads keep two snapshots. Divisions footcast does not import are
skipped and counted. A file that does not parse, or names a team that only nearly matches a
known one, writes nothing and quarantines its batch, as a season file would.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import psycopg
import structlog

from etl.competitions import COMPETITIONS, ensure_competition, ensure_season
from etl.errors import ParseError, UnknownTeam
from etl.records import FixtureRow
from etl.sources import football_data
from etl.store.batches import Batch, open_batch, set_status
from etl.store.writes import FixtureCounts, write_fixtures
from etl.teams import resolve_team

log = structlog.get_logger("footcast.fixtures")


@dataclass(frozen=True)
class FixturesResult:
    path: str
    batch_id: int | None
    status: str  #: pending | validated | quarantined
    seen_at: datetime | None = None
    fixtures: int = 0  #: rows of the divisions imported
    matches_new: int = 0
    matches_updated: int = 0
    already_played: int = 0
    snapshots_added: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  #: rows per division not imported
    error: str | None = None

    @property
    def changed(self) -> bool:
        """Whether fixtures were added or moved (what serving's data must fold in)."""
        return bool(self.matches_new or self.matches_updated)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["seen_at"] = None if self.seen_at is None else self.seen_at.isoformat()
        return out


def import_fixtures(
    conn: psycopg.Connection,
    base_url: str,
    *,
    path: str = football_data.FIXTURES_PATH,
    as_of: datetime | None = None,
    leagues: Collection[str] | None = None,
    validate: bool = True,
    raise_errors: bool = True,
) -> FixturesResult:
    """Import ``<base_url>/<path>`` as one batch; ``leagues`` narrows the divisions imported
    (default: every competition footcast knows).

    ``as_of`` dates the price snapshots (a replay passes the day the file stands for). A
    file that cannot be parsed or resolved quarantines its batch and raises its typed error
    (or, without ``raise_errors``, returns the quarantined result). With ``validate`` the
    gate runs here; without it a new batch stays ``pending`` for ``validate_batch``.
    """
    fetched = asyncio.run(football_data.fetch(base_url, path))
    with conn.transaction():
        raw_id = football_data.archive(conn, fetched)
        batch = open_batch(
            conn,
            source=football_data.SOURCE,
            batch_key=path,
            content_sha256=hashlib.sha256(fetched.body).hexdigest(),
            raw_page_id=raw_id,
        )
    seen_at = as_of or batch.created_at
    covered = set(COMPETITIONS if leagues is None else leagues)
    try:
        parsed = football_data.parse_fixtures(fetched.body, path, covered)
        with conn.transaction():
            counts = _store(conn, batch, parsed.rows, seen_at)
            scheduled = len(parsed.rows) - counts.already_played
            status = batch.status
            if not scheduled:
                # Nothing left to play (an off-season file): nothing for the gate to check.
                status = "validated"
                set_status(conn, batch.id, status, row_count=0, summary=_summary(counts, parsed))
            elif status != "validated" or counts.changed or counts.snapshots_added:
                status = "pending"
                set_status(
                    conn, batch.id, status, row_count=scheduled, summary=_summary(counts, parsed)
                )
    except (ParseError, UnknownTeam) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        with conn.transaction():
            set_status(conn, batch.id, "quarantined", reason=reason)
        log.warning("batch quarantined", batch_id=batch.id, path=path, error=str(exc))
        if raise_errors:
            raise
        return FixturesResult(path, batch.id, "quarantined", seen_at, error=reason)
    if validate and status == "pending":
        from etl.validation import validate_batch

        report = validate_batch(conn, batch.id)
        status = "validated" if report.success else "quarantined"
    return FixturesResult(
        path,
        batch.id,
        status,
        seen_at,
        len(parsed.rows),
        counts.matches_new,
        counts.matches_updated,
        counts.already_played,
        counts.snapshots_added,
        parsed.skipped,
    )


def _store(
    conn: psycopg.Connection,
    batch: Batch,
    rows: list[FixtureRow],
    seen_at: datetime,
) -> FixtureCounts:
    season_ids = {}
    for league, season in sorted({(r.league, r.season) for r in rows}):
        competition_id = ensure_competition(conn, league)
        season_ids[league, season] = (competition_id, ensure_season(conn, competition_id, season))
    names = sorted({(r.league, name) for r in rows for name in (r.match.home, r.match.away)})
    team_ids = {
        (league, name): resolve_team(conn, football_data.SOURCE, name, league)
        for league, name in names
    }
    return write_fixtures(
        conn,
        batch_id=batch.id,
        fixtures=rows,
        season_ids=season_ids,
        team_ids=team_ids,
        seen_at=seen_at,
    )


def _summary(counts: FixtureCounts, parsed: football_data.ParsedFixtures) -> dict[str, Any]:
    return {**asdict(counts), "skipped": parsed.skipped}
