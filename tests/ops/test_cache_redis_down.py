"""The cache on a Redis of its own (as in the chart), apart from the results Redis: when the
cache's server stops, predictions are still served, uncached; when it returns, caching
resumes, without restarting anything."""

import shutil
import subprocess
import time

import falcon.testing
import pytest

from api.app import create_app
from cli.processes import free_port
from tests.ops.faults import wait_until
from tests.serving_fixtures import FIXTURE, serving_settings, serving_world

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]
__all__ = ["serving_settings", "serving_world"]


class CacheRedis:
    """A redis-server of the test's own on a free port, without persistence."""

    def __init__(self) -> None:
        self.server = shutil.which("redis-server")
        if self.server is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def cache_redis():
    server = CacheRedis()
    server.start()
    yield server
    server.stop()


@pytest.mark.timeout(300)
def test_predictions_are_served_uncached_while_the_cache_redis_is_down_and_cached_after(
    serving_settings, cache_redis, start_worker
):
    settings = serving_settings.replace(cache_url=f"redis://127.0.0.1:{cache_redis.port}/0")
    client = falcon.testing.TestClient(create_app(settings))
    start_worker(settings, queues=["ml"], threads=2)

    def predict(kickoff):
        resp = client.simulate_post("/v1/predict", json={**FIXTURE, "kickoff": kickoff})
        return resp.json if resp.status_code == 200 else None

    wait_until(lambda: predict("2025-04-05"), 180, "the first prediction")
    assert predict("2025-04-05")["cached"] is True

    cache_redis.stop()
    down = [predict("2025-04-12"), predict("2025-04-12")]
    assert all(answer and answer["cached"] is False for answer in down)
    ready = client.simulate_get("/health/ready")
    assert ready.status_code == 200
    assert ready.json["checks"]["redis_cache"]["status"] == "degraded"

    cache_redis.start()
    time.sleep(0.5)
    wait_until(lambda: (predict("2025-04-19") or {}).get("cached"), 30, "caching to resume")
