"""The served forecasts of finished matches, with the result and both markets, as plain rows.

Read by the scoreboard (``etl.scoreboard``) in the API and the command line, so no pandas.
A log row finds its match by natural key (competition, teams, kickoff date), so a forecast
served before the fixture was stored is scored all the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
from psycopg.rows import dict_row

from etl.store.prices import PRICE_PREFERENCE

#: Closing prices the served forecasts are measured against, best first (Pinnacle, then
#: the market average; ``BbAv`` before 2019-20).
CLOSING_PREFERENCE: tuple[str, ...] = ("PS", "Avg", "BbAv")


def served_results(
    conn: psycopg.Connection, *, competition: str | None = None, since: dt.date | None = None
) -> list[dict[str, Any]]:
    """Each forecast made before its match kicked off (its time when known, else the start of
    its day, UTC), the latest one per match and model version and run, for finished matches
    with closing and opening 1X2 prices.

    A forecast was made before kickoff when it was served before it, or when all it read
    predates it: results through an earlier day (``inputs.data_through``) and prices seen
    before kickoff. The second is how a past season replayed today (``footcast replay``)
    is scored; a forecast that read a result of its own day or later never counts.

    Rows: match_id, competition, kickoff_date, model_version, run_id, served_at, p_home,
    p_draw, p_away, inputs, home_goals, away_goals, closing and opening (home, draw, away).
    """
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "WITH served AS ("
            " SELECT DISTINCT ON (m.id, l.model_version, l.run_id) m.id AS match_id,"
            "  l.competition, m.kickoff_date, l.model_version, l.run_id, l.served_at,"
            "  l.p_home, l.p_draw, l.p_away, l.inputs, m.home_goals, m.away_goals"
            " FROM prediction_log l JOIN competitions c ON c.code = l.competition"
            " JOIN teams ht ON ht.name = l.home_team JOIN teams at ON at.name = l.away_team"
            " JOIN matches m ON m.competition_id = c.id AND m.home_team_id = ht.id"
            "  AND m.away_team_id = at.id AND m.kickoff_date = l.kickoff_date"
            " CROSS JOIN LATERAL (SELECT coalesce(m.kickoff_at,"
            "  m.kickoff_date::timestamp AT TIME ZONE 'UTC') AS kickoff) k"
            " WHERE m.status = 'finished' AND m.home_goals IS NOT NULL"
            "  AND m.away_goals IS NOT NULL"
            "  AND (l.served_at < k.kickoff"
            "   OR ((l.inputs->>'data_through')::date < m.kickoff_date"
            "    AND coalesce((l.inputs->>'priced_at')::timestamptz < k.kickoff, true)))"
            "  AND (%(code)s::text IS NULL OR l.competition = %(code)s)"
            "  AND (%(since)s::date IS NULL OR m.kickoff_date >= %(since)s)"
            " ORDER BY m.id, l.model_version, l.run_id, l.served_at DESC)"
            " SELECT s.*, cl.home AS closing_home, cl.draw AS closing_draw,"
            "  cl.away AS closing_away, op.home AS opening_home, op.draw AS opening_draw,"
            "  op.away AS opening_away"
            " FROM served s"
            " JOIN LATERAL (SELECT o.home, o.draw, o.away FROM odds o"
            "  WHERE o.match_id = s.match_id AND o.market = '1x2' AND o.kind = 'closing'"
            "  AND o.bookmaker = ANY(%(closing)s) AND o.home > 1 AND o.draw > 1 AND o.away > 1"
            "  ORDER BY array_position(%(closing)s, o.bookmaker) LIMIT 1) cl ON true"
            " JOIN LATERAL (SELECT o.home, o.draw, o.away FROM odds o"
            "  WHERE o.match_id = s.match_id AND o.market = '1x2' AND o.kind = 'opening'"
            "  AND o.bookmaker = ANY(%(opening)s) AND o.home > 1 AND o.draw > 1 AND o.away > 1"
            "  ORDER BY array_position(%(opening)s, o.bookmaker) LIMIT 1) op ON true"
            " ORDER BY s.kickoff_date, s.match_id, s.served_at",
            {
                "code": competition,
                "since": since,
                "closing": list(CLOSING_PREFERENCE),
                "opening": list(PRICE_PREFERENCE),
            },
        )
        return cur.fetchall()
