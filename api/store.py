"""Read-only store access for the API: upcoming fixtures, teams and the scoreboard.

The pool is opened on first use, not when the app is built, so an API whose database is
down still starts, answers its health probes and serves predictions.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from core.db import open_pool
from core.errors import StoreUnavailable
from core.settings import Settings
from etl.scoreboard import scoreboard
from etl.store.drift import latest_drift
from etl.store.fixtures import upcoming_fixtures
from etl.store.prediction_log import logged_since
from etl.store.scoreboard import served_results
from etl.store.summary import newest_data
from etl.teams import teams_with_aliases

#: Longest wait for a pooled connection (s) before answering 503.
POOL_TIMEOUT_S = 2.0
#: The live scoreboard of the metrics: matches kicked off in the last 30 days.
LIVE_DAYS = 30


class StoreReader:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: ConnectionPool | None = None
        self._lock = threading.Lock()

    def _connection(self) -> Any:
        with self._lock:
            if self._pool is None:
                self._pool = open_pool(self.settings, min_size=0)
        return self._pool.connection(timeout=POOL_TIMEOUT_S)

    def _read(self, query: Any) -> Any:
        try:
            with self._connection() as conn:
                return query(conn)
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise StoreUnavailable(str(exc) or type(exc).__name__) from exc

    def fixtures(
        self, competition: str | None, start: dt.date, end: dt.date, limit: int
    ) -> list[dict[str, Any]]:
        """Scheduled matches kicking off from ``start`` to ``end`` (inclusive), soonest first."""

        def query(conn: psycopg.Connection) -> list[dict[str, Any]]:
            rows = upcoming_fixtures(
                conn, competition=competition, start=start, end=end, limit=limit
            )
            return [
                {
                    "match_id": row["match_id"],
                    "competition": row["competition"],
                    "season": row["season"],
                    "kickoff": row["kickoff_date"].isoformat(),
                    "home_team": row["home_team"],
                    "away_team": row["away_team"],
                }
                for row in rows
            ]

        result: list[dict[str, Any]] = self._read(query)
        return result

    def teams(self, competition: str | None) -> list[dict[str, Any]]:
        """Teams that played in ``competition`` (every team without it), with their aliases."""

        rows = self._read(lambda conn: teams_with_aliases(conn, competition))
        return [{"name": name, "aliases": aliases} for name, aliases in rows]

    def scoreboard(self, competition: str | None, since: dt.date | None) -> dict[str, Any]:
        """How the served forecasts of finished matches did (``etl.scoreboard``)."""
        rows = self._read(lambda conn: served_results(conn, competition=competition, since=since))
        return scoreboard(rows, competition, since)

    def newest_data(self) -> list[tuple[str, str, float]]:
        """When the newest result and fixture of each competition date from (metrics)."""
        result: list[tuple[str, str, float]] = self._read(newest_data)
        return result

    def quality(self, today: dt.date | None = None) -> dict[str, Any]:
        """What the quality metrics show: the scoreboard of the last ``LIVE_DAYS`` days
        (overall and per competition), the forecasts logged in the last day per competition,
        and the latest feature drift check (None before the first)."""
        since = (today or dt.date.today()) - dt.timedelta(days=LIVE_DAYS)
        day_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        rows, logged, drift = self._read(
            lambda conn: (
                served_results(conn, since=since),
                logged_since(conn, day_ago),
                latest_drift(conn),
            )
        )
        board = scoreboard(rows, None, since)
        return {
            "scored": [{"competition": "all", **board["overall"]}, *board["by_competition"]],
            "logged": logged,
            "drift": drift,
        }
