"""Reads for the ML side: finished matches, their odds, and fixtures still to be played.

Only matches whose current batch passed its validation gate feed features and training,
unless a caller asks otherwise with ``validated_only=False``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
import psycopg

from etl.records import STAT_FIELDS

MATCH_COLUMNS = (
    "match_id", "competition", "season", "kickoff_date", "home_team", "away_team",
    "home_team_id", "away_team_id", "home_goals", "away_goals", "ht_home_goals",
    "ht_away_goals", *STAT_FIELDS,
)  # fmt: skip
#: The price columns of each market, as ``load_market_odds`` returns them.
MARKET_PRICES = {
    "1x2": ("home", "draw", "away"),
    "ou2.5": ("over", "under"),
    "ah": ("line", "home", "away"),
}
#: Which source's stats ``load_matches`` reports when several sources gave them.
STATS_SOURCE_ORDER = ("football-data", "whoscored")


def _filters(
    competitions: Iterable[str] | None, seasons: Iterable[str] | None, validated_only: bool
) -> tuple[str, dict[str, Any]]:
    clauses = []
    params: dict[str, Any] = {}
    if competitions is not None:
        clauses.append("c.code = ANY(%(competitions)s)")
        params["competitions"] = list(competitions)
    if seasons is not None:
        clauses.append("s.code = ANY(%(seasons)s)")
        params["seasons"] = list(seasons)
    if validated_only:
        clauses.append(
            "EXISTS (SELECT 1 FROM ingest_batches b"
            " WHERE b.id = m.batch_id AND b.status = 'validated')"
        )
    return "".join(f" AND {c}" for c in clauses), params


def load_matches(
    conn: psycopg.Connection,
    competitions: Iterable[str] | None = None,
    seasons: Iterable[str] | None = None,
    validated_only: bool = True,
) -> pd.DataFrame:
    """One row per finished match, oldest first, with canonical team names and stats.

    ``competitions`` are codes (``E0``), ``seasons`` codes (``2324``). Stat columns are
    nullable integers (``Int64``): older seasons have no stats.
    """
    where, params = _filters(competitions, seasons, validated_only)
    stats = ", ".join(f"st.{name}" for name in STAT_FIELDS)
    rows = conn.execute(
        "SELECT m.id, c.code, s.code, m.kickoff_date, ht.name, at.name, m.home_team_id,"
        " m.away_team_id, m.home_goals, m.away_goals, m.ht_home_goals, m.ht_away_goals, "
        + stats
        + " FROM matches m JOIN competitions c ON c.id = m.competition_id"
        " JOIN seasons s ON s.id = m.season_id"
        " JOIN teams ht ON ht.id = m.home_team_id JOIN teams at ON at.id = m.away_team_id"
        " LEFT JOIN LATERAL (SELECT * FROM match_stats x WHERE x.match_id = m.id"
        "   ORDER BY array_position(%(order)s::text[], x.source) NULLS LAST LIMIT 1) st"
        "   ON true"
        " WHERE m.status = 'finished'" + where + " ORDER BY m.kickoff_date, m.id",
        {**params, "order": list(STATS_SOURCE_ORDER)},
    ).fetchall()
    frame = pd.DataFrame(rows, columns=list(MATCH_COLUMNS))
    frame["kickoff_date"] = pd.to_datetime(frame["kickoff_date"])
    for name in MATCH_COLUMNS[6:]:
        frame[name] = frame[name].astype("Int64")
    frame["match_id"] = frame["match_id"].astype("int64")
    return frame


def load_odds(conn: psycopg.Connection, match_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """1X2 prices: one row per match, bookmaker and kind (``opening`` or ``closing``)."""
    return load_market_odds(conn, match_ids, "1x2")


def load_market_odds(
    conn: psycopg.Connection, match_ids: Iterable[int] | None, market: str
) -> pd.DataFrame:
    """One market's prices: one row per match, bookmaker and kind (opening or closing).

    Columns: ``match_id``, ``bookmaker``, ``kind`` and the market's prices (see
    :data:`MARKET_PRICES`): ``over``/``under`` for over/under 2.5 goals, the home side's
    ``line`` with the ``home``/``away`` prices for the Asian handicap. Closing prices are
    known only after kickoff: a model's inputs are the opening ones. A quote with a price
    of 1.0 or less (a recording error the gate lets through in side markets) is left out.
    """
    if market not in MARKET_PRICES:
        raise ValueError(f"unknown market {market!r}: one of {', '.join(MARKET_PRICES)}")
    prices = MARKET_PRICES[market]
    ids = None if match_ids is None else [int(i) for i in match_ids]
    rows = conn.execute(
        "SELECT match_id, bookmaker, kind, "
        + ", ".join(prices)
        + " FROM odds WHERE market = %(market)s AND "
        + " AND ".join(f"{name} > 1" for name in prices if name != "line")
        + " AND (%(ids)s::bigint[] IS NULL OR match_id = ANY(%(ids)s))"
        " ORDER BY match_id, bookmaker, kind",
        {"ids": ids, "market": market},
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["match_id", "bookmaker", "kind", *prices])
    frame["match_id"] = frame["match_id"].astype("int64")
    for name in prices:
        frame[name] = frame[name].astype("float64")
    return frame
