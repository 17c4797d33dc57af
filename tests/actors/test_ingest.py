"""``import_history`` and ``validate_batch`` in a real worker, on a real file and store."""

import time

import pytest

from actors import contracts
from actors.bus import ActorFailed, Bus
from core.db import connect
from etl.migrate import migrate

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

#: The imports' queues, and ``ops`` for the ``data_changed`` event a stored file publishes.
INGEST_QUEUES = ("etl", "validate", "ops")


def _batch_status(settings, timeout_s=90):
    deadline = time.monotonic() + timeout_s
    with connect(settings, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT id, status, updated_at FROM ingest_batches").fetchone()
            if row is not None and row[1] != "pending":
                return row
            time.sleep(0.3)
    raise AssertionError("the batch was not gated in time")


def _store_state(settings):
    with connect(settings, autocommit=True) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM matches), (SELECT count(*) FROM odds),"
            " (SELECT count(*) FROM match_stats), (SELECT max(updated_at) FROM matches),"
            " (SELECT count(*) FROM ingest_batches)"
        ).fetchone()


@pytest.fixture
def settings(stack_settings, shared_data):
    with connect(stack_settings, autocommit=True) as conn:
        migrate(conn)
    # Results are read with a socket timeout just above the predict timeout: an import takes
    # longer than a prediction, so the waits below get room.
    return stack_settings.replace(
        football_data_url=(shared_data / "football-data").as_uri(), predict_timeout_ms=120_000
    )


def test_an_import_message_stores_and_gates_a_season_and_its_replay_changes_nothing(
    settings, start_worker
):
    start_worker(settings, queues=INGEST_QUEUES, threads=2)
    bus = Bus.from_settings(settings)
    try:
        first = bus.wait(bus.send(contracts.import_history("E0", "2324")), 90_000)
        assert (first["status"], first["new"]) == ("pending", 380)
        batch_id, status, gated_at = _batch_status(settings)
        assert (batch_id, status) == (first["batch_id"], "validated")
        before = _store_state(settings)
        assert before[:3] == (380, 11766, 380)
        replay = bus.wait(bus.send(contracts.import_history("E0", "2324")), 90_000)
        assert replay == {"batch_id": batch_id, "status": "validated", "new": 0, "updated": 0}
        assert _store_state(settings) == before
        assert _batch_status(settings) == (batch_id, "validated", gated_at)
    finally:
        bus.close()


def test_a_missing_season_file_fails_for_good_without_retries(settings, start_worker):
    start_worker(settings, queues=INGEST_QUEUES, threads=1)
    bus = Bus.from_settings(settings)
    try:
        with pytest.raises(ActorFailed, match="no file"):
            bus.wait(bus.send(contracts.import_history("E0", "9900")), 90_000)
    finally:
        bus.close()


def test_an_import_fixtures_message_stores_the_fixtures_and_their_prices_and_gates_them(
    settings, start_worker
):
    start_worker(settings, queues=INGEST_QUEUES, threads=2)
    bus = Bus.from_settings(settings)
    try:
        sent = contracts.import_fixtures("fixtures/fixtures_2024-05-16.csv", "2024-05-16T12:00Z")
        result = bus.wait(bus.send(sent), 90_000)
        assert (result["status"], result["new"], result["skipped"]) == ("pending", 68, {})
        assert _batch_status(settings)[1:2] == ("validated",)
        with connect(settings, autocommit=True) as conn:
            seen = conn.execute("SELECT DISTINCT seen_at::text FROM price_snapshots").fetchall()
        assert seen == [("2024-05-16 12:00:00+00",)]
        with pytest.raises(ActorFailed, match="as_of is not an ISO time"):
            bus.wait(bus.send(contracts.import_fixtures(as_of="yesterday")), 90_000)
    finally:
        bus.close()
