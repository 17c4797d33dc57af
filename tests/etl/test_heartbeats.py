"""Heartbeats are written once per (source, beat_at), whoever records them again."""

from datetime import UTC, datetime, timedelta

import pytest

from core.db import connect
from etl.heartbeats import last_heartbeat, record_heartbeat
from etl.migrate import migrate

pytestmark = pytest.mark.integration


def test_a_beat_is_stored_once_and_the_newest_one_per_source_is_reported(pg_settings):
    beat = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    with connect(pg_settings) as conn:
        migrate(conn)
        assert last_heartbeat(conn, "cli") is None
        assert record_heartbeat(conn, "cli", beat, "host:1", "req-1") is True
        assert record_heartbeat(conn, "cli", beat, "host:2") is False
        assert record_heartbeat(conn, "cli", beat + timedelta(minutes=1), "host:2") is True
        assert record_heartbeat(conn, "airflow", beat + timedelta(hours=1), "host:2") is True
        assert last_heartbeat(conn, "cli") == beat + timedelta(minutes=1)
        first = conn.execute(
            "SELECT handled_by, request_id FROM heartbeats WHERE source = 'cli' AND beat_at = %s",
            (beat,),
        ).fetchone()
    assert first == ("host:1", "req-1")
