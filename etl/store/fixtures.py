"""Fixtures as plain rows: the API lists them and serving looks them up per request, so
neither pays for importing pandas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row


def upcoming_fixtures(
    conn: psycopg.Connection,
    *,
    competition: str | None,
    start: dt.date,
    end: dt.date,
    limit: int,
) -> list[dict[str, Any]]:
    """Scheduled matches kicking off from ``start`` to ``end`` (inclusive), soonest first.

    Fixtures are not gated by validation: they carry no result to check.
    """
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT m.id AS match_id, c.code AS competition, s.code AS season,"
            " m.kickoff_date, m.kickoff_at, ht.name AS home_team, at.name AS away_team"
            " FROM matches m JOIN competitions c ON c.id = m.competition_id"
            " JOIN seasons s ON s.id = m.season_id"
            " JOIN teams ht ON ht.id = m.home_team_id JOIN teams at ON at.id = m.away_team_id"
            " WHERE m.status = 'scheduled' AND m.kickoff_date BETWEEN %(start)s AND %(end)s"
            " AND (%(code)s::text IS NULL OR c.code = %(code)s)"
            " ORDER BY m.kickoff_date, m.id LIMIT %(limit)s",
            {"start": start, "end": end, "code": competition, "limit": limit},
        )
        return cur.fetchall()


#: A fixture as the store keys a match: (competition code, home team, away team, kickoff date).
FixtureKey = tuple[str, str, str, dt.date]


def stored_matches(
    conn: psycopg.Connection, keys: Sequence[FixtureKey]
) -> dict[FixtureKey, tuple[int, dt.datetime | None]]:
    """(match id, kickoff time if known) of each fixture the store holds, by its natural key."""
    if not keys:
        return {}
    rows = conn.execute(
        "SELECT c.code, ht.name, at.name, m.kickoff_date, m.id, m.kickoff_at"
        " FROM unnest(%s::text[], %s::text[], %s::text[], %s::date[]) AS f(code, home, away, day)"
        " JOIN competitions c ON c.code = f.code"
        " JOIN teams ht ON ht.name = f.home JOIN teams at ON at.name = f.away"
        " JOIN matches m ON m.competition_id = c.id AND m.home_team_id = ht.id"
        "  AND m.away_team_id = at.id AND m.kickoff_date = f.day",
        [list(column) for column in zip(*keys, strict=True)],
    ).fetchall()
    return {(code, home, away, day): (int(i), at) for code, home, away, day, i, at in rows}


def stored_match(conn: psycopg.Connection, match_id: int) -> dict[str, Any] | None:
    """A stored match as a fixture (competition, teams, kickoff date and time), or None."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT c.code AS competition, ht.name AS home_team, at.name AS away_team,"
            " m.kickoff_date, m.kickoff_at FROM matches m"
            " JOIN competitions c ON c.id = m.competition_id"
            " JOIN teams ht ON ht.id = m.home_team_id JOIN teams at ON at.id = m.away_team_id"
            " WHERE m.id = %s",
            (match_id,),
        )
        return cur.fetchone()
