"""The prediction log: what was served, written once per (fixture, model, inputs).

Workers write it on every forecast they serve; ``ON CONFLICT DO NOTHING`` keeps the first
one, so answering the same fixture again (from the cache or not) adds no row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Jsonb

from etl.errors import EtlError


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

    def to_message(self) -> dict[str, Any]:
        """The row as JSON can carry it (in a message to write it later)."""
        return {**asdict(self), "kickoff_date": self.kickoff_date.isoformat()}

    @classmethod
    def from_message(cls, data: Mapping[str, Any]) -> ServedForecast:
        home, draw, away = data["probabilities"]
        return cls(
            **{
                **data,
                "kickoff_date": dt.date.fromisoformat(data["kickoff_date"]),
                "probabilities": (float(home), float(draw), float(away)),
            }
        )


#: The inputs that tell two forecasts of one fixture and model apart: the prices read.
PRICE_INPUTS = ("prices", "odds", "bookmaker", "priced_at")


def inputs_key(inputs: Mapping[str, Any]) -> str:
    """A digest of the prices a forecast read ('' when it read none)."""
    if inputs.get("prices") is None:
        return ""
    read = {name: inputs.get(name) for name in PRICE_INPUTS}
    return hashlib.sha1(json.dumps(read, sort_keys=True).encode()).hexdigest()[:16]


#: The rows as one JSON document: one statement text whatever the batch size, so the driver
#: parses it once (a VALUES list of a hundred rows took 9 ms to parse each time), and one
#: parameter, which orjson writes in C (thirteen arrays cost the driver 0.3 ms to adapt for
#: a single row, a third of a forecast's whole work).
_LOG_ROWS = (
    "INSERT INTO prediction_log (competition, home_team, away_team, kickoff_date, match_id,"
    " model_version, run_id, inputs_key, inputs, p_home, p_draw, p_away, forecast)"
    " SELECT * FROM jsonb_to_recordset(%b::jsonb) AS r(competition text, home_team text,"
    " away_team text, kickoff_date date, match_id bigint, model_version text, run_id text,"
    " inputs_key text, inputs jsonb, p_home float8, p_draw float8, p_away float8,"
    " forecast jsonb) ON CONFLICT DO NOTHING"
)


def log_forecasts(conn: psycopg.Connection, served: Sequence[ServedForecast]) -> int:
    """Record forecasts not logged yet; returns how many rows were added. One statement, so
    the rows are written whole or not at all without a transaction of their own, in one
    round trip (serving writes this on every uncached answer)."""
    if not served:
        return 0
    rows = [
        {
            "competition": s.competition,
            "home_team": s.home_team,
            "away_team": s.away_team,
            "kickoff_date": s.kickoff_date,
            "match_id": s.match_id,
            "model_version": s.model_version,
            "run_id": s.run_id,
            "inputs_key": s.inputs_key,
            "inputs": s.inputs,
            "p_home": float(s.probabilities[0]),
            "p_draw": float(s.probabilities[1]),
            "p_away": float(s.probabilities[2]),
            "forecast": s.forecast,
        }
        for s in served
    ]
    added = conn.execute(_LOG_ROWS, (Jsonb(rows, dumps=orjson.dumps),)).rowcount
    return max(int(added), 0)


class LogNotWritten(EtlError):
    """Raised to each caller whose rows were in a write that failed (the cause attached)."""


@dataclass
class _Waiting:
    rows: Sequence[ServedForecast]
    done: bool = False
    error: BaseException | None = field(default=None, repr=False)


class GroupLog:
    """The log of one process's serving threads, written in as few statements as they allow.

    While one thread writes, the others queue their rows; when it is done, the first of them
    to wake writes every queued row in one statement. Each caller returns once its own rows
    are committed, or raises ``LogNotWritten`` if their statement failed, as with a
    statement per caller; a caller alone writes at once. Under load the store gets one
    round trip (and one commit) per busy moment instead of one per answer.
    """

    def __init__(
        self, connection: Callable[[], AbstractContextManager[psycopg.Connection]]
    ) -> None:
        self._connection = connection
        self._changed = threading.Condition()
        self._queued: list[_Waiting] = []
        self._writing = False

    def write(self, served: Sequence[ServedForecast]) -> None:
        if not served:
            return
        mine = _Waiting(served)
        with self._changed:
            self._queued.append(mine)
            while self._writing and not mine.done:
                self._changed.wait()
            if not mine.done:
                self._writing = True
                batch, self._queued = self._queued, []
        if not mine.done:
            self._write(batch)
        if mine.error is not None:
            raise LogNotWritten(f"prediction log not written: {mine.error}") from mine.error

    def _write(self, batch: list[_Waiting]) -> None:
        error: BaseException | None = None
        try:
            with self._connection() as conn:
                log_forecasts(conn, [row for waiting in batch for row in waiting.rows])
        except BaseException as exc:  # every waiting caller learns of it, whatever it is
            error = exc
        with self._changed:
            for waiting in batch:
                waiting.done, waiting.error = True, error
            self._writing = False
            self._changed.notify_all()


def forget_run(conn: psycopg.Connection, run_id: str) -> int:
    """Delete what a model run served (a benchmark's scratch champion); returns the count."""
    return max(
        int(conn.execute("DELETE FROM prediction_log WHERE run_id = %s", (run_id,)).rowcount), 0
    )


def logged_since(conn: psycopg.Connection, since: dt.datetime) -> dict[str, int]:
    """Forecasts logged since ``since``, per competition: a repeat of a logged forecast
    adds no row, so this counts new forecasts (new fixtures, models or prices)."""
    rows = conn.execute(
        "SELECT competition, count(*) FROM prediction_log WHERE served_at >= %s"
        " GROUP BY competition",
        (since,),
    ).fetchall()
    return {str(competition): int(count) for competition, count in rows}
