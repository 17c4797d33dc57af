"""RabbitMQ restarted under load (a node the test owns): nothing is lost, effects happen
once, and the worker and the producer reconnect by themselves."""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from actors import contracts
from core.db import connect
from etl.migrate import migrate

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]

#: Messages of each kind in flight when the broker goes down.
N = 30


def _answered(worker_log):
    """How many times the worker answered each ping (by message id)."""
    counts = Counter()
    for raw in worker_log.read_text().splitlines():
        if '"ping answered"' in raw:
            counts[json.loads(raw)["message_id"]] += 1
    return counts


@pytest.mark.timeout(300)
def test_every_message_in_flight_survives_a_rabbitmq_restart_and_takes_effect_once(
    pg_settings, private_rabbitmq, start_worker, make_bus, tmp_path
):
    settings = pg_settings.replace(broker_url=private_rabbitmq.url)
    with connect(settings) as conn:
        migrate(conn)
    bus = make_bus(settings)
    worker = start_worker(settings, queues=("etl", "ops"), threads=4)
    bus.wait(bus.send(contracts.ping("etl", message="warm-up")), 60_000)

    # slow pings first, so the beats queued behind them are still waiting at the restart
    pings = [bus.send(contracts.ping("ops", message=f"ping {i}", sleep_ms=300)) for i in range(N)]
    t0 = datetime.now(UTC).replace(microsecond=0)
    beats = [
        bus.send(contracts.heartbeat("restart-test", t0 + timedelta(seconds=i))) for i in range(N)
    ]
    private_rabbitmq.stop()
    private_rabbitmq.start()

    # the producer's connection died with the broker; it reconnects by itself
    late = bus.send(contracts.heartbeat("restart-test", t0 + timedelta(seconds=N)))
    for i, message in enumerate(pings):
        assert bus.wait(message, 60_000)["echo"]["message"] == f"ping {i}"
    for message in [*beats, late]:
        assert bus.wait(message, 60_000)["source"] == "restart-test"

    with connect(settings) as conn:
        rows = conn.execute(
            "SELECT count(*), count(DISTINCT beat_at) FROM heartbeats WHERE source = %s",
            ("restart-test",),
        ).fetchone()
    assert rows == (N + 1, N + 1)
    answered = _answered(tmp_path / "worker-0.log")
    assert {m.message_id for m in pings} <= answered.keys()
    # the worker process that lost its connection is the one that finished the work
    assert worker.poll() is None
