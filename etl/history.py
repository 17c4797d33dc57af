"""Historical import from football-data.co.uk: fetch → archive → parse → resolve → store → gate.

Each file is one ingest batch written in one transaction. A file that cannot be parsed,
or names a team that only nearly matches a known one, writes no rows: its batch is
quarantined with the reason, the raw bytes stay archived, and the typed error is raised
(``import_file``) or reported (``import_history``, which carries on with the next file).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
import structlog

from core.seasons import season_start_year
from etl.competitions import ensure_competition, ensure_season
from etl.errors import EtlError, MissingSource, ParseError, UnknownTeam
from etl.sources import football_data
from etl.store.batches import Batch, open_batch, set_status
from etl.store.writes import WriteCounts, write_matches
from etl.teams import resolve_team, seed_aliases

log = structlog.get_logger("footcast.history")
_SEASON_FILE = re.compile(r"^mmz4281/(\d{4})/([A-Z]+\d)\.csv$")


@dataclass(frozen=True)
class FileResult:
    league: str
    season: str
    batch_id: int | None
    status: str  #: pending | validated | quarantined
    matches: int = 0
    matches_new: int = 0
    matches_updated: int = 0
    odds_written: int = 0
    error: str | None = None


@dataclass
class ImportSummary:
    files: list[FileResult] = field(default_factory=list)

    @property
    def matches(self) -> int:
        return sum(f.matches for f in self.files)

    @property
    def matches_new(self) -> int:
        return sum(f.matches_new for f in self.files)

    @property
    def matches_updated(self) -> int:
        return sum(f.matches_updated for f in self.files)

    @property
    def quarantined(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "quarantined"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": len(self.files),
            "matches": self.matches,
            "matches_new": self.matches_new,
            "matches_updated": self.matches_updated,
            "batches": {
                status: sum(1 for f in self.files if f.status == status)
                for status in sorted({f.status for f in self.files})
            },
            "quarantined": [asdict(f) for f in self.quarantined],
        }


def available_seasons(base_url: str) -> list[tuple[str, str]]:
    """(league, season) of every season file under a ``file://`` base, oldest first.

    The live site has no listing to read; ``--all`` therefore needs the mirror.
    """
    parts = urlsplit(base_url)
    if parts.scheme != "file":
        raise MissingSource(f"cannot list {base_url}: --all needs a file:// mirror")
    root = Path(unquote(parts.path))
    found = []
    for path in root.glob("mmz4281/*/*.csv"):
        match = _SEASON_FILE.match(path.relative_to(root).as_posix())
        if match:
            found.append((match.group(2), match.group(1)))
    return sorted(found, key=lambda ls: (season_start_year(ls[1]), ls[0]))


def import_file(
    conn: psycopg.Connection,
    base_url: str,
    league: str,
    season: str,
    *,
    validate: bool = True,
    raise_errors: bool = True,
) -> FileResult:
    """Import one season file as one batch.

    A file that cannot be parsed or resolved quarantines its batch and raises its typed
    error (or, without ``raise_errors``, returns the quarantined result). With ``validate``
    the gate runs here; without it a new batch stays ``pending`` for ``validate_batch``.
    Re-importing the same bytes changes nothing.
    """
    fetched = asyncio.run(football_data.fetch_season(base_url, league, season))
    with conn.transaction():
        raw_id = football_data.archive(conn, fetched)
        batch = open_batch(
            conn,
            source=football_data.SOURCE,
            batch_key=football_data.season_path(league, season),
            content_sha256=hashlib.sha256(fetched.body).hexdigest(),
            competition_code=league,
            season_code=season,
            raw_page_id=raw_id,
        )
    try:
        parsed = football_data.parse_csv(fetched.body, league, season)
        with conn.transaction():
            counts = _store(conn, batch, parsed)
            status = batch.status
            if status != "validated" or counts.changed:
                status = "pending"
                set_status(
                    conn,
                    batch.id,
                    status,
                    row_count=len(parsed.rows),
                    summary={**asdict(counts), "blank_rows": parsed.blank_rows},
                )
    except (ParseError, UnknownTeam) as exc:
        with conn.transaction():
            set_status(conn, batch.id, "quarantined", reason=_describe(exc))
        log.warning("batch quarantined", batch_id=batch.id, league=league, season=season,
                    error=str(exc))  # fmt: skip
        if raise_errors:
            raise
        return FileResult(league, season, batch.id, "quarantined", error=_describe(exc))
    if validate and status == "pending":
        from etl.validation import validate_batch

        status = "validated" if validate_batch(conn, batch.id).success else "quarantined"
    return FileResult(
        league,
        season,
        batch.id,
        status,
        len(parsed.rows),
        counts.matches_new,
        counts.matches_updated,
        counts.odds_written,
    )


def _store(conn: psycopg.Connection, batch: Batch, parsed: football_data.ParsedFile) -> WriteCounts:
    competition_id = ensure_competition(conn, parsed.league)
    season_id = ensure_season(conn, competition_id, parsed.season)
    names = sorted({r.home for r in parsed.rows} | {r.away for r in parsed.rows})
    team_ids = {
        name: resolve_team(conn, football_data.SOURCE, name, parsed.league) for name in names
    }
    return write_matches(
        conn,
        batch_id=batch.id,
        competition_id=competition_id,
        season_id=season_id,
        rows=parsed.rows,
        team_ids=team_ids,
        stats_source=football_data.SOURCE,
    )


def import_history(
    conn: psycopg.Connection,
    base_url: str,
    files: Sequence[tuple[str, str]],
    *,
    validate: bool = True,
    on_file: Callable[[FileResult], None] | None = None,
) -> ImportSummary:
    """Import many (league, season) files; one failing file does not stop the others.

    Files the source does not have, parse errors and unresolved team names are reported
    as quarantined results; an unreachable source (``SourceUnavailable``) stops the run.
    The gates run once at the end over every new or changed batch (see
    ``etl.validation.validate_batches``); ``on_file`` sees each file before its gate.
    """
    seed_aliases(conn)
    summary = ImportSummary()
    for league, season in files:
        try:
            result = import_file(conn, base_url, league, season, validate=False, raise_errors=False)
        except MissingSource as exc:
            result = FileResult(league, season, None, "quarantined", error=_describe(exc))
        summary.files.append(result)
        if on_file is not None:
            on_file(result)
    pending = [f.batch_id for f in summary.files if f.status == "pending" and f.batch_id]
    if validate and pending:
        from etl.validation import validate_batches

        reports = validate_batches(conn, pending)
        summary.files = [
            replace(f, status="validated" if reports[f.batch_id].success else "quarantined")
            if f.batch_id in reports
            else f
            for f in summary.files
        ]
    return summary


def _describe(exc: EtlError) -> str:
    return f"{type(exc).__name__}: {exc}"


def expand(leagues: Iterable[str], seasons: Iterable[str]) -> list[tuple[str, str]]:
    """Every (league, season) pair, oldest season first."""
    return sorted(
        {(league, season) for league in leagues for season in seasons},
        key=lambda ls: (season_start_year(ls[1]), ls[0]),
    )
