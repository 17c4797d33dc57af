"""Fixtures as plain rows: the API lists them and serving holds them in memory, so
neither pays for importing pandas."""

from __future__ import annotations

import datetime as dt
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


def stored_matches(conn: psycopg.Connection) -> list[tuple[int, FixtureKey]]:
    """Every stored match, played or scheduled, by id and natural key: serving holds them
    in memory and places a fixture without a round trip."""
    rows = conn.execute(
        "SELECT m.id, c.code, ht.name, at.name, m.kickoff_date FROM matches m"
        " JOIN competitions c ON c.id = m.competition_id"
        " JOIN teams ht ON ht.id = m.home_team_id JOIN teams at ON at.id = m.away_team_id"
    ).fetchall()
    return [(int(i), (code, home, away, day)) for i, code, home, away, day in rows]
