"""PostgreSQL unreachable for a while (a cluster the test owns): an actor that needs it
retries with backoff, succeeds once it is back, and writes each row exactly once."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from actors import contracts
from core.db import connect
from etl.migrate import migrate
from tests.ops.faults import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]

#: Beats sent while the database is down.
N = 10
#: How long the database stays down (s).
OUTAGE_S = 3


def _retries(worker_log):
    return [
        json.loads(raw)
        for raw in worker_log.read_text().splitlines()
        if raw.startswith("{") and "Retrying message" in raw
    ]


@pytest.mark.timeout(300)
def test_heartbeats_sent_during_a_database_outage_are_all_recorded_once_it_is_back(
    broker_settings, private_postgres, start_worker, make_bus, tmp_path
):
    settings = broker_settings.replace(database_url=private_postgres.url)
    with connect(settings) as conn:
        migrate(conn)
    bus = make_bus(settings)
    start_worker(settings, queues=("ops",), threads=4)
    t0 = datetime.now(UTC).replace(microsecond=0)
    assert bus.wait(bus.send(contracts.heartbeat("outage-test", t0)), 60_000)["stored"] is True

    private_postgres.stop("immediate")
    beats = [
        bus.send(contracts.heartbeat("outage-test", t0 + timedelta(seconds=i)))
        for i in range(1, N + 1)
    ]
    worker_log = tmp_path / "worker-0.log"
    wait_until(lambda: len(_retries(worker_log)) >= N, 30, "every beat to fail and be retried")
    time.sleep(OUTAGE_S)
    private_postgres.start()

    results = [bus.wait(message, 60_000) for message in beats]
    assert all(result["stored"] for result in results)
    with connect(settings) as conn:
        rows = conn.execute(
            "SELECT beat_at FROM heartbeats WHERE source = %s ORDER BY beat_at", ("outage-test",)
        ).fetchall()
    assert [row[0] for row in rows] == [t0 + timedelta(seconds=i) for i in range(N + 1)]

    # a replay of an applied beat changes nothing
    again = bus.wait(bus.send(beats[0].copy(message_id="replayed-beat")), 30_000)
    assert again["stored"] is False
    with connect(settings) as conn:
        assert conn.execute("SELECT count(*) FROM heartbeats").fetchone()[0] == N + 1
