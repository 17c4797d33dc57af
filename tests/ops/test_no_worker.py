"""No worker on a queue: requests that need it are answered 503 ``no_worker`` at once, and
readiness reports consumers per queue without failing on them."""

import subprocess
import time

import falcon.testing
import pytest

from actors.queue_status import ConsumerWatch, queue_status
from api.app import create_app
from tests.ops.faults import wait_until

pytestmark = [pytest.mark.integration]

FIXTURE = {"home_team": "Arsenal", "away_team": "Chelsea", "competition": "E0"}


@pytest.fixture
def client(broker_settings):
    return falcon.testing.TestClient(create_app(broker_settings))


def test_sync_and_async_predictions_get_a_fast_503_when_no_worker_consumes_ml(client):
    for path in ("/v1/predict", "/v1/predictions"):
        started = time.monotonic()
        resp = client.simulate_post(path, json=FIXTURE)
        assert time.monotonic() - started < 2
        assert resp.status_code == 503, resp.json
        assert resp.json["error"]["code"] == "no_worker"
        assert resp.json["error"]["queue"] == "ml"
        assert resp.headers["retry-after"] == "1"


def test_readiness_reports_consumers_per_queue_without_failing_on_them(
    client, broker_settings, start_worker
):
    resp = client.simulate_get("/health/ready")
    assert resp.status_code == 200
    assert resp.json["queues"]["ml"] == {"consumers": 0, "messages": 0, "dead_letters": 0}
    start_worker(broker_settings, queues=["ops"], threads=1)
    wait_until(lambda: queue_status(broker_settings)["ops"].consumers == 1, 120, "ops consumer")
    queues = client.simulate_get("/health/ready").json["queues"]
    assert queues["ops"]["consumers"] == 1 and queues["ml"]["consumers"] == 0
    ping = client.simulate_post("/v1/ping", json={"queue": "ops"})
    assert ping.status_code == 200 and ping.json["pong"] is True
    assert client.simulate_post("/v1/ping", json={"queue": "ml"}).json["error"]["code"] == (
        "no_worker"
    )


def test_the_consumer_count_is_asked_once_per_second_per_process(broker_settings, start_worker):
    watch = ConsumerWatch(broker_settings, ttl_s=60)
    assert watch.consumers("ops") == 0
    start_worker(broker_settings, queues=["ops"], threads=1)
    wait_until(lambda: queue_status(broker_settings)["ops"].consumers == 1, 120, "ops consumer")
    assert watch.consumers("ops") == 0  # still the remembered answer
    watch.ttl_s = 0
    assert watch.consumers("ops") == 1


def _connections(vhost: str) -> int:
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "vhost"],
        check=True, capture_output=True, text=True, timeout=30,
    ).stdout.split()  # fmt: skip
    return listed.count(vhost)


def test_the_consumer_count_is_asked_over_one_connection_replaced_at_once_when_broken(
    broker_settings,
):
    vhost = broker_settings.broker_url.rsplit("/", 1)[1]
    watch = ConsumerWatch(broker_settings, ttl_s=0)
    for _ in range(5):
        assert watch.consumers("ml") == 0
    assert _connections(vhost) == 1
    # the broker drops it (as it drops an idle one that stopped answering heartbeats)
    subprocess.run(
        ["rabbitmqctl", "-q", "close_all_connections", "-p", vhost, "test"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    assert watch.consumers("ml") == 0  # answered on a new one, no error in between
    wait_until(lambda: _connections(vhost) == 1, 30, "the old connection gone")


def test_an_unreachable_broker_is_a_503_broker_unavailable_not_no_worker(broker_settings):
    down = broker_settings.replace(broker_url="amqp://guest:guest@127.0.0.1:1/%2F")
    resp = falcon.testing.TestClient(create_app(down)).simulate_post("/v1/predict", json=FIXTURE)
    assert resp.status_code == 503 and resp.json["error"]["code"] == "broker_unavailable"
