"""WhoScored records into the store: fixtures and match-centre results, upserts only.

A fixture finds its match by WhoScored id, else by the natural key (a match football-data
already imported gains its WhoScored id), else becomes a new match. Rows are rewritten only
when a value changed, so scraping the same pages again leaves the store exactly as it was.
The caller owns the transaction: one batch, one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from etl.competitions import competition_code, ensure_competition, ensure_season
from etl.sources.whoscored import SITE_TZ, Fixture, MatchCentre, shots_on_target, stat
from etl.teams import resolve_team

SOURCE = "whoscored"

_MATCH_FIELDS = ("kickoff_date", "kickoff_at", "status", "home_goals", "away_goals")
_CENTRE_FIELDS = (
    "status", "home_goals", "away_goals", "ht_home_goals", "ht_away_goals", "referee",
    "venue", "attendance",
)  # fmt: skip
_STAT_COLUMNS = (
    "home_shots", "away_shots", "home_shots_on_target", "away_shots_on_target",
    "home_corners", "away_corners", "home_fouls", "away_fouls", "home_yellow", "away_yellow",
    "home_red", "away_red", "home_possession", "away_possession", "extra",
)  # fmt: skip


@dataclass(frozen=True)
class FixtureCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class StoredMatch:
    """A match the store knows by its WhoScored id, with where it belongs."""

    id: int
    competition_code: str
    season_code: str
    status: str


def upsert_fixtures(
    conn: psycopg.Connection,
    *,
    competition: str,
    season_code: str,
    fixtures: Iterable[Fixture],
    batch_id: int,
) -> FixtureCounts:
    """Write fixtures of one competition season; team names resolve through the aliases."""
    code = competition_code(competition)
    competition_id = ensure_competition(conn, code)
    season_id = ensure_season(conn, competition_id, season_code)
    new = updated = unchanged = 0
    for fixture in fixtures:
        home = resolve_team(conn, SOURCE, fixture.home_name, code)
        away = resolve_team(conn, SOURCE, fixture.away_name, code)
        values: dict[str, Any] = {
            "kickoff_date": fixture.kickoff_utc.astimezone(SITE_TZ).date(),
            "kickoff_at": fixture.kickoff_utc,
            "status": "scheduled" if fixture.status == "live" else fixture.status,
            "home_goals": fixture.home_goals,
            "away_goals": fixture.away_goals,
        }
        existing = _find_match(
            conn, fixture.match_id, competition_id, season_id, home, away, values
        )
        if existing is None:
            conn.execute(
                "INSERT INTO matches (competition_id, season_id, home_team_id, away_team_id,"
                " whoscored_id, batch_id, " + ", ".join(_MATCH_FIELDS) + ")"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (competition_id, season_id, home, away, fixture.match_id, batch_id,
                 *values.values()),
            )  # fmt: skip
            new += 1
            continue
        match_id, current = existing
        # A source that knows no score never erases one another source gave.
        for name in ("home_goals", "away_goals"):
            if values[name] is None:
                values[name] = current[name]
        if current == {**values, "whoscored_id": fixture.match_id, "home": home, "away": away}:
            unchanged += 1
            continue
        conn.execute(
            "UPDATE matches SET home_team_id = %s, away_team_id = %s, whoscored_id = %s,"
            " batch_id = %s, updated_at = now(), "
            + ", ".join(f"{name} = %s" for name in _MATCH_FIELDS)
            + " WHERE id = %s",
            (home, away, fixture.match_id, batch_id, *values.values(), match_id),
        )
        updated += 1
    return FixtureCounts(new, updated, unchanged)


def _find_match(
    conn: psycopg.Connection,
    whoscored_id: int,
    competition_id: int,
    season_id: int,
    home: int,
    away: int,
    values: dict[str, Any],
) -> tuple[int, dict[str, Any]] | None:
    columns = "id, whoscored_id, home_team_id, away_team_id, " + ", ".join(_MATCH_FIELDS)
    row = conn.execute(
        f"SELECT {columns} FROM matches WHERE whoscored_id = %s", (whoscored_id,)
    ).fetchone()
    if row is None:
        row = conn.execute(
            f"SELECT {columns} FROM matches WHERE competition_id = %s AND season_id = %s"
            " AND home_team_id = %s AND away_team_id = %s AND kickoff_date = %s",
            (competition_id, season_id, home, away, values["kickoff_date"]),
        ).fetchone()
    if row is None:
        return None
    current = dict(zip(("whoscored_id", "home", "away", *_MATCH_FIELDS), row[1:], strict=True))
    return int(row[0]), current


def find_match(conn: psycopg.Connection, whoscored_id: int) -> StoredMatch | None:
    row = conn.execute(
        "SELECT m.id, c.code, s.code, m.status FROM matches m"
        " JOIN competitions c ON c.id = m.competition_id JOIN seasons s ON s.id = m.season_id"
        " WHERE m.whoscored_id = %s",
        (whoscored_id,),
    ).fetchone()
    return None if row is None else StoredMatch(int(row[0]), row[1], row[2], row[3])


def store_match_centre(
    conn: psycopg.Connection, *, match_id: int, centre: MatchCentre, batch_id: int
) -> bool:
    """Results, officials and team stats of one match; True if anything changed."""
    home, away = centre.home, centre.away
    values = {
        "status": "scheduled" if centre.status == "live" else centre.status,
        "home_goals": home.goals,
        "away_goals": away.goals,
        "ht_home_goals": home.ht_goals,
        "ht_away_goals": away.ht_goals,
        "referee": centre.referee,
        "venue": centre.venue,
        "attendance": centre.attendance,
    }
    changed = conn.execute(
        "UPDATE matches SET batch_id = %s, updated_at = now(), "
        + ", ".join(f"{name} = %s" for name in _CENTRE_FIELDS)
        + " WHERE id = %s AND ("
        + ", ".join(_CENTRE_FIELDS)
        + ") IS DISTINCT FROM ("
        + ", ".join(f"%s::{_TYPES[name]}" for name in _CENTRE_FIELDS)
        + ")",
        (batch_id, *values.values(), match_id, *values.values()),
    ).rowcount
    if not home.totals and not away.totals:
        return bool(changed)
    stats = (
        stat(home, "shotsTotal"), stat(away, "shotsTotal"),
        shots_on_target(home), shots_on_target(away),
        stat(home, "cornersTotal"), stat(away, "cornersTotal"),
        stat(home, "foulsCommited"), stat(away, "foulsCommited"),
        home.yellow_cards, away.yellow_cards, home.red_cards, away.red_cards,
        home.possession_pct, away.possession_pct, Jsonb(_extra(centre)),
    )  # fmt: skip
    written = conn.execute(
        "INSERT INTO match_stats (match_id, source, " + ", ".join(_STAT_COLUMNS) + ")"
        " VALUES (%s, %s, " + ", ".join(["%s"] * len(_STAT_COLUMNS)) + ")"
        " ON CONFLICT (match_id, source) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in _STAT_COLUMNS)
        + " WHERE ("
        + ", ".join(f"match_stats.{name}" for name in _STAT_COLUMNS)
        + ")"
        " IS DISTINCT FROM (" + ", ".join(f"excluded.{name}" for name in _STAT_COLUMNS) + ")",
        (match_id, SOURCE, *stats),
    ).rowcount
    return bool(changed or written)


_TYPES = {
    "status": "text", "home_goals": "smallint", "away_goals": "smallint",
    "ht_home_goals": "smallint", "ht_away_goals": "smallint", "referee": "text",
    "venue": "text", "attendance": "int",
}  # fmt: skip


def _extra(centre: MatchCentre) -> dict[str, Any]:
    """What the match centre adds beyond the common stat columns."""
    return {
        "whoscored_team_ids": [centre.home.team_id, centre.away.team_id],
        "team_names": [centre.home.name, centre.away.name],
        "formations": [list(centre.home.formations), list(centre.away.formations)],
        "managers": [centre.home.manager, centre.away.manager],
        "event_count": centre.event_count,
        "totals": [centre.home.totals, centre.away.totals],
    }


def matches_to_scrape(conn: psycopg.Connection, whoscored_ids: Iterable[int]) -> list[int]:
    """Of these WhoScored ids, the finished matches with no WhoScored stats stored yet."""
    rows = conn.execute(
        "SELECT m.whoscored_id FROM matches m WHERE m.whoscored_id = ANY(%s)"
        " AND m.status = 'finished' AND NOT EXISTS (SELECT 1 FROM match_stats x"
        "   WHERE x.match_id = m.id AND x.source = %s) ORDER BY m.kickoff_at, m.whoscored_id",
        (list(whoscored_ids), SOURCE),
    ).fetchall()
    return [int(row[0]) for row in rows]


def start_run(conn: psycopg.Connection, competition: str, season: str) -> int:
    row = conn.execute(
        "INSERT INTO scrape_runs (source, competition, season) VALUES (%s, %s, %s) RETURNING id",
        (SOURCE, competition, season),
    ).fetchone()
    assert row is not None
    return int(row[0])


def finish_run(
    conn: psycopg.Connection, run_id: int, status: str, pages: int, error: str | None = None
) -> None:
    conn.execute(
        "UPDATE scrape_runs SET finished_at = now(), status = %s, pages = %s, error = %s"
        " WHERE id = %s",
        (status, pages, error, run_id),
    )


def last_block(conn: psycopg.Connection) -> datetime | None:
    """When WhoScored last answered with its bot-protection page, as scrape runs recorded."""
    row = conn.execute(
        "SELECT max(finished_at) FROM scrape_runs WHERE source = %s AND status = 'blocked'",
        (SOURCE,),
    ).fetchone()
    return None if row is None else row[0]
