"""The prediction log written by many serving threads at once: fewer statements than
callers, each caller back only once its rows are committed, and a failed statement told to
every caller whose rows it carried. Real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import psycopg
import pytest

from core.db import connect
from etl.migrate import migrate
from etl.store.prediction_log import GroupLog, LogNotWritten, ServedForecast, forget_run

pytestmark = [pytest.mark.integration]

CALLERS = 16


@pytest.fixture
def store(pg_settings):
    with connect(pg_settings, autocommit=True) as conn:
        migrate(conn)
    return pg_settings


def _row(i: int) -> ServedForecast:
    return ServedForecast(
        competition="E0",
        home_team=f"Home {i}",
        away_team="Away",
        kickoff_date=dt.date(2025, 3, 1),
        match_id=None,
        model_version="1",
        run_id="run",
        inputs_key="",
        inputs={"prices": None},
        probabilities=(0.5, 0.3, 0.2),
        forecast={"p_home": 0.5, "p_draw": 0.3, "p_away": 0.2},
    )


def _logged(settings, i: int) -> int:
    with connect(settings) as conn:
        row = conn.execute(
            "SELECT count(*) FROM prediction_log WHERE home_team = %s", (f"Home {i}",)
        ).fetchone()
    assert row is not None
    return int(row[0])


def _callers(log: GroupLog, settings) -> dict[int, object]:
    """Every caller writes its row at once; what each saw right after ``write`` returned:
    its row's count in the log, or the error it raised."""
    seen: dict[int, object] = {}
    start = threading.Barrier(CALLERS)

    def call(i: int) -> None:
        start.wait()
        try:
            log.write([_row(i)])
        except LogNotWritten as exc:
            seen[i] = exc
        else:
            seen[i] = _logged(settings, i)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(t.is_alive() for t in threads), "a caller never returned"
    return seen


def test_callers_at_the_same_moment_share_statements_and_return_once_committed(store):
    opened: list[int] = []

    @contextmanager
    def slow_connection() -> Iterator[psycopg.Connection]:
        opened.append(1)
        time.sleep(0.05)  # a busy store: callers arrive while a statement runs
        with connect(store, autocommit=True) as conn:
            yield conn

    seen = _callers(GroupLog(slow_connection), store)
    assert seen == dict.fromkeys(range(CALLERS), 1)
    assert len(opened) < CALLERS / 2, opened


def test_a_failed_statement_reaches_each_caller_whose_rows_it_carried_and_no_other(store):
    failures = iter([True, False] * CALLERS)

    @contextmanager
    def flaky_connection() -> Iterator[psycopg.Connection]:
        time.sleep(0.02)
        if next(failures):
            raise psycopg.OperationalError("connection refused")
        with connect(store, autocommit=True) as conn:
            yield conn

    seen = _callers(GroupLog(flaky_connection), store)
    failed = [i for i, what in seen.items() if isinstance(what, LogNotWritten)]
    assert failed and len(failed) < CALLERS
    for i, what in seen.items():
        if isinstance(what, LogNotWritten):
            assert isinstance(what.__cause__, psycopg.OperationalError)
            assert "connection refused" in str(what)
            assert _logged(store, i) == 0
        else:
            assert what == 1


def test_a_caller_alone_writes_at_once(store):
    GroupLog(lambda: connect(store, autocommit=True)).write([_row(0)])
    assert _logged(store, 0) == 1


def test_forgetting_a_run_deletes_its_rows_and_no_other(store):
    scratch = [replace(_row(i), run_id="scratch") for i in range(3)]
    log = GroupLog(lambda: connect(store, autocommit=True))
    log.write([_row(9), *scratch])
    with connect(store) as conn:
        assert forget_run(conn, "scratch") == 3
        conn.commit()
    assert [_logged(store, i) for i in (0, 1, 2, 9)] == [0, 0, 0, 1]
