"""What the store holds, per competition and season (``footcast store stats``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg


@dataclass(frozen=True)
class SeasonStats:
    competition: str
    season: str
    matches: int
    finished: int
    with_stats: int
    with_odds: int
    teams: int
    batches: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def store_stats(conn: psycopg.Connection) -> list[SeasonStats]:
    """One entry per (competition, season) with matches or batches, in code order."""
    counts = conn.execute(
        "SELECT c.code, s.code, count(*), count(*) FILTER (WHERE m.status = 'finished'),"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM match_stats x WHERE x.match_id = m.id)),"
        " count(*) FILTER (WHERE EXISTS (SELECT 1 FROM odds o WHERE o.match_id = m.id)),"
        " (SELECT count(DISTINCT t) FROM matches m2,"
        "   unnest(ARRAY[m2.home_team_id, m2.away_team_id]) t WHERE m2.season_id = s.id)"
        " FROM matches m JOIN seasons s ON s.id = m.season_id"
        " JOIN competitions c ON c.id = m.competition_id GROUP BY c.code, s.code, s.id"
    ).fetchall()
    batches = conn.execute(
        "SELECT competition_code, season_code, status, count(*) FROM ingest_batches"
        " WHERE competition_code IS NOT NULL GROUP BY 1, 2, 3"
    ).fetchall()
    by_key: dict[tuple[str, str], dict[str, int]] = {}
    for competition, season, status, n in batches:
        by_key.setdefault((competition, season or ""), {})[status] = int(n)
    found = {
        (code, season): SeasonStats(code, season, int(n), int(done), int(st), int(od), int(t))
        for code, season, n, done, st, od, t in counts
    }
    for key in by_key.keys() - found.keys():
        found[key] = SeasonStats(key[0], key[1], 0, 0, 0, 0, 0)
    return [
        SeasonStats(**{**asdict(found[key]), "batches": by_key.get(key, {})})
        for key in sorted(found)
    ]


def newest_data(conn: psycopg.Connection) -> list[tuple[str, str, float]]:
    """``(competition, kind, unix seconds)``: when the newest result kicked off (``result``)
    and when a fixture was last written (``fixture``), per competition; what data-freshness
    alerts compare with the clock."""
    rows = conn.execute(
        "SELECT c.code, 'result', extract(epoch FROM max(m.kickoff_date)::timestamptz)"
        " FROM matches m JOIN competitions c ON c.id = m.competition_id"
        " WHERE m.status = 'finished' GROUP BY c.code"
        " UNION ALL SELECT c.code, 'fixture', extract(epoch FROM max(m.updated_at))"
        " FROM matches m JOIN competitions c ON c.id = m.competition_id"
        " WHERE m.status = 'scheduled' GROUP BY c.code"
    ).fetchall()
    return [(code, kind, float(at)) for code, kind, at in rows]


def latest_teams(conn: psycopg.Connection) -> dict[str, list[str]]:
    """The teams of each competition's latest season, by competition code: who the next
    fixtures are between."""
    rows = conn.execute(
        "SELECT DISTINCT c.code, t.name FROM matches m"
        " JOIN competitions c ON c.id = m.competition_id JOIN seasons s ON s.id = m.season_id"
        " JOIN teams t ON t.id IN (m.home_team_id, m.away_team_id)"
        " WHERE s.start_year = (SELECT max(start_year) FROM seasons x"
        "   WHERE x.competition_id = c.id)"
        " ORDER BY c.code, t.name"
    ).fetchall()
    teams: dict[str, list[str]] = {}
    for code, name in rows:
        teams.setdefault(code, []).append(name)
    return teams


def last_kickoff(conn: psycopg.Connection) -> dt.date | None:
    """The day of the store's last match (None for an empty store)."""
    row = conn.execute("SELECT max(kickoff_date) FROM matches").fetchone()
    return row[0] if row else None


def row_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Rows of the tables a history import writes."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM matches), (SELECT count(*) FROM match_stats),"
        " (SELECT count(*) FROM odds)"
    ).fetchone()
    return dict(zip(("matches", "match_stats", "odds"), row or (0, 0, 0), strict=True))
