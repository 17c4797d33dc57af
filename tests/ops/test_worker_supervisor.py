"""``footcast worker`` restarts a worker whose process was killed (an OOM kill looks the
same), and while no worker consumes, predictions are answered 503 at once instead of
holding their clients for the full timeout."""

import os
import signal
import statistics
import time
from datetime import date, timedelta
from itertools import count

import falcon.testing
import pytest

from actors.queue_status import CONSUMERS_TTL_S, queue_status
from api.app import create_app
from cli.processes import stop
from tests.ops.faults import wait_until, worker_children
from tests.serving_fixtures import FIXTURE, serving_settings, serving_world

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]
__all__ = ["serving_settings", "serving_world"]

#: A new kickoff date for every request, so none is answered from the cache.
KICKOFFS = (str(date(2025, 1, 1) + timedelta(days=n)) for n in count())


def _predict(client):
    """One uncached prediction: (status, body, seconds taken)."""
    started = time.monotonic()
    resp = client.simulate_post("/v1/predict", json={**FIXTURE, "kickoff": next(KICKOFFS)})
    return resp.status_code, resp, time.monotonic() - started


@pytest.mark.timeout(600)
def test_a_killed_worker_child_gives_fast_503s_until_the_supervisor_has_restarted_it(
    serving_settings, start_worker
):
    settings = serving_settings.replace(predict_timeout_ms=10_000)
    client = falcon.testing.TestClient(create_app(settings))
    supervisor = start_worker(settings, queues=["ml"], threads=2)
    wait_until(lambda: _predict(client)[0] == 200, 180, "the first prediction")
    [child] = worker_children(supervisor)

    os.kill(child.pid, signal.SIGKILL)
    wait_until(lambda: queue_status(settings, ["ml"])["ml"].consumers == 0, 10, "no consumer")
    time.sleep(CONSUMERS_TTL_S)  # the API trusts the count it read for up to this long
    refused = []
    deadline = time.monotonic() + 300  # the restarted process loads the model first
    while (answer := _predict(client))[0] != 200:
        status, resp, took_s = answer
        assert status == 503, resp.json
        assert resp.json["error"]["code"] == "no_worker"
        assert resp.headers["retry-after"] == "1"
        refused.append(took_s)
        assert time.monotonic() < deadline, "no prediction after the restart"
        time.sleep(0.1)
    # refusals are immediate, a small fraction of the 10 s the client would have waited
    # (on a loaded machine one refusal once took 3 s)
    assert refused and statistics.median(refused) < 0.1 and max(refused) < 5.0
    assert supervisor.poll() is None
    [restarted] = worker_children(supervisor)
    assert restarted.pid != child.pid
    for _ in range(3):
        assert _predict(client)[0] == 200
    assert stop(supervisor) == 0
