"""The prediction log: what was served, written once per (fixture, model, inputs).

Workers write it on every forecast they serve; ``ON CONFLICT DO NOTHING`` keeps the first
one, so answering the same fixture again (from the cache or not) adds no row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Jsonb


@dataclass(frozen=True)
class ServedForecast:
    """One served forecast as the log keeps it."""

    competition: str
    home_team: str
    away_team: str
    kickoff_date: dt.date
    match_id: int | None
    model_version: str
    run_id: str
    inputs_key: str  #: '' when no prices were read
    inputs: dict[str, Any]
    probabilities: tuple[float, float, float]  #: home, draw, away
    forecast: dict[str, Any]


#: The inputs that tell two forecasts of one fixture and model apart: the prices read.
PRICE_INPUTS = ("prices", "odds", "bookmaker", "priced_at")


def inputs_key(inputs: Mapping[str, Any]) -> str:
    """A digest of the prices a forecast read ('' when it read none)."""
    if inputs.get("prices") is None:
        return ""
    read = {name: inputs.get(name) for name in PRICE_INPUTS}
    return hashlib.sha1(json.dumps(read, sort_keys=True).encode()).hexdigest()[:16]


#: The log's columns as one row of arrays: one statement text whatever the batch size, so
#: the driver parses it once (a VALUES list of a hundred rows took 9 ms to parse each time),
#: sent in binary (text arrays of JSON cost as much again in quoting).
_LOG_ROWS = (
    "INSERT INTO prediction_log (competition, home_team, away_team, kickoff_date, match_id,"
    " model_version, run_id, inputs_key, inputs, p_home, p_draw, p_away, forecast)"
    " SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::date[], %b::bigint[],"
    " %b::text[], %b::text[], %b::text[], %b::jsonb[], %b::float8[], %b::float8[],"
    " %b::float8[], %b::jsonb[]) ON CONFLICT DO NOTHING"
)


def log_forecasts(conn: psycopg.Connection, served: Sequence[ServedForecast]) -> int:
    """Record forecasts not logged yet; returns how many rows were added. One statement, so
    the rows are written whole or not at all without a transaction of their own, in one
    round trip (serving writes this on every uncached answer)."""
    if not served:
        return 0
    columns = [
        [s.competition for s in served],
        [s.home_team for s in served],
        [s.away_team for s in served],
        [s.kickoff_date for s in served],
        [s.match_id for s in served],
        [s.model_version for s in served],
        [s.run_id for s in served],
        [s.inputs_key for s in served],
        [Jsonb(s.inputs, dumps=orjson.dumps) for s in served],
        *([s.probabilities[i] for s in served] for i in range(3)),
        [Jsonb(s.forecast, dumps=orjson.dumps) for s in served],
    ]
    added = conn.execute(_LOG_ROWS, columns).rowcount
    return max(int(added), 0)


def logged_since(conn: psycopg.Connection, since: dt.datetime) -> dict[str, int]:
    """Forecasts logged since ``since``, per competition: a repeat of a logged forecast
    adds no row, so this counts new forecasts (new fixtures, models or prices)."""
    rows = conn.execute(
        "SELECT competition, count(*) FROM prediction_log WHERE served_at >= %s"
        " GROUP BY competition",
        (since,),
    ).fetchall()
    return {str(competition): int(count) for competition, count in rows}
