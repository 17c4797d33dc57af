"""Scheduled Premier League fixtures put in the store as the fixtures importer leaves them,
for the page's tests and benchmark."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from core.db import connect
from core.settings import Settings


def season_teams(settings: Settings, season: str = "2324") -> list[str]:
    """The Premier League teams of ``season``, by name."""
    with connect(settings) as conn:
        rows = conn.execute(
            "SELECT DISTINCT t.name FROM matches m JOIN seasons s ON s.id = m.season_id"
            " JOIN teams t ON t.id = m.home_team_id WHERE s.code = %s ORDER BY 1",
            (season,),
        ).fetchall()
    return [row[0] for row in rows]


def schedule(
    settings: Settings, fixtures: Iterable[tuple[dt.date, str, str]], season: str = "2324"
) -> None:
    """Insert ``(kickoff, home, away)`` as scheduled matches of ``season``."""
    with connect(settings) as conn:
        for kickoff, home, away in fixtures:
            conn.execute(
                "INSERT INTO matches (competition_id, season_id, home_team_id, away_team_id,"
                " kickoff_date, status) SELECT c.id, s.id, h.id, a.id, %s, 'scheduled'"
                " FROM competitions c JOIN seasons s ON s.competition_id = c.id AND s.code = %s"
                " JOIN teams h ON h.name = %s JOIN teams a ON a.name = %s WHERE c.code = 'E0'",
                (kickoff, season, home, away),
            )
        conn.commit()


def unschedule(
    settings: Settings, first: dt.date, last: dt.date, statuses: tuple[str, ...] = ("scheduled",)
) -> None:
    """Remove the matches (of ``statuses``) kicking off from ``first`` to ``last``."""
    with connect(settings) as conn:
        conn.execute(
            "DELETE FROM matches WHERE status = ANY(%s) AND kickoff_date BETWEEN %s AND %s",
            (list(statuses), first, last),
        )
        conn.commit()


def match_ids(settings: Settings, first: dt.date, last: dt.date) -> list[int]:
    """The scheduled matches kicking off from ``first`` to ``last``, soonest first."""
    with connect(settings) as conn:
        rows = conn.execute(
            "SELECT id FROM matches WHERE status = 'scheduled' AND kickoff_date BETWEEN %s AND %s"
            " ORDER BY kickoff_date, id",
            (first, last),
        ).fetchall()
    return [row[0] for row in rows]


def price(settings: Settings, ids: Iterable[int], seen_at: dt.datetime | None = None) -> None:
    """A Pinnacle 1X2 snapshot of each match, seen at ``seen_at`` (the day before its kickoff
    when None); prices vary from match to match, so some forecasts stand away from the market."""
    with connect(settings) as conn:
        for i, match_id in enumerate(ids):
            home = 1.6 + 0.45 * (i % 5)
            conn.execute(
                "INSERT INTO price_snapshots (match_id, seen_at, bookmaker, market, home, draw,"
                " away) SELECT id, coalesce(%s, kickoff_date - interval '1 day'), 'PS', '1x2',"
                " %s, 3.5, 1 / (1.03 - 1 / %s::float8 - 1 / 3.5) FROM matches WHERE id = %s",
                (seen_at, home, home, match_id),
            )
        conn.commit()


def finish(settings: Settings, ids: Iterable[int]) -> None:
    """The results arrive: each match finished, with opening and closing Pinnacle prices."""
    with connect(settings) as conn:
        for i, match_id in enumerate(ids):
            home_goals, away_goals = (i * 7) % 4, (i * 3) % 3
            conn.execute(
                "UPDATE matches SET status = 'finished', home_goals = %s, away_goals = %s"
                " WHERE id = %s",
                (home_goals, away_goals, match_id),
            )
            for kind, home in (
                ("opening", 1.7 + 0.4 * (i % 5)),
                ("closing", 1.65 + 0.42 * (i % 5)),
            ):
                conn.execute(
                    "INSERT INTO odds (match_id, bookmaker, market, kind, home, draw, away)"
                    " VALUES (%s, 'PS', '1x2', %s, %s, 3.5, 1 / (1.03 - 1 / %s::float8 - 1 / 3.5))",
                    (match_id, kind, home, home),
                )
        conn.commit()
