"""Redis and RabbitMQ (servers the test owns) go down and come back while the API and a worker
run: the API answers 503 with Retry-After meanwhile, and serves again without a restart."""

import json
import time
import urllib.error
import urllib.request

import pytest

from cli.processes import api_command, free_port, spawn, wait_http_ok
from tests.conftest import discard
from tests.ops.faults import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]


def _call(url, body=None):
    """(status, JSON body, Retry-After, seconds taken) of one request."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            status, raw, retry_after = resp.status, resp.read(), resp.headers["Retry-After"]
    except urllib.error.HTTPError as exc:
        status, raw, retry_after = exc.code, exc.read(), exc.headers["Retry-After"]
    except TimeoutError:
        status, raw, retry_after = 0, b"{}", None
    return status, json.loads(raw), retry_after, time.perf_counter() - started


def _pings(url, body):
    return _call(url, body)[0] == 200


@pytest.mark.timeout(300)
def test_the_api_refuses_quickly_while_redis_and_rabbitmq_are_down_and_serves_when_they_return(
    pg_settings, private_rabbitmq, private_redis, start_worker, tmp_path
):
    settings = pg_settings.replace(
        broker_url=private_rabbitmq.url,
        results_url=private_redis.url(0),
        cache_url=private_redis.url(1),
    )
    worker = start_worker(settings, queues=("ops",), threads=2)
    port = free_port()
    api = spawn(api_command(port, workers=1, threads=4), settings, tmp_path / "api.log")
    base = f"http://127.0.0.1:{port}"
    ping = {"message": "still there?", "queue": "ops"}
    try:
        wait_http_ok(f"{base}/health/live", 30, api)
        # the worker answers once it has booted (slow on a loaded machine)
        wait_until(lambda: _pings(f"{base}/v1/ping", ping), 120, "the worker to answer")

        private_redis.stop()
        status, body, retry_after, took_s = _call(f"{base}/v1/ping", ping)
        assert (status, body["error"]["code"], retry_after) == (503, "results_unavailable", "1")
        assert took_s < 5.0  # refused at once, not after the 30 s result timeout

        private_rabbitmq.stop()
        status, body, retry_after, took_s = _call(f"{base}/v1/ping", ping)
        assert status == 503 and retry_after == "1"
        assert body["error"]["code"] in {"broker_unavailable", "results_unavailable"}
        assert took_s < 5.0  # refused at once, not after the 30 s result timeout
        status, body, _, _ = _call(f"{base}/health/ready")
        assert status == 503
        assert body["checks"]["rabbitmq"]["status"] == "down"
        assert body["checks"]["redis_results"]["status"] == "down"
        assert body["checks"]["redis_cache"]["status"] == "degraded"

        private_redis.start()
        private_rabbitmq.start()
        wait_until(lambda: _pings(f"{base}/v1/ping", ping), 90, "the ping to pass again")
        status, body, _, _ = _call(f"{base}/health/ready")
        assert (status, body["status"]) == (200, "ready")
        # neither process was restarted: they reconnected by themselves
        assert api.poll() is None and worker.poll() is None
    finally:
        discard(api)
