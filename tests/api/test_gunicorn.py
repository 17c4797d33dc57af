"""The API under a real gunicorn on a free loopback port, with a real worker behind it."""

import json
import urllib.error
import urllib.request

import pytest

from cli.processes import api_command, free_port, spawn, wait_http_ok
from tests.conftest import discard

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture
def serve(tmp_path):
    procs = []

    def start(settings):
        port = free_port()
        proc = spawn(api_command(port, workers=1, threads=4), settings, tmp_path / "api.log")
        procs.append(proc)
        wait_http_ok(f"http://127.0.0.1:{port}/health/live", 30, proc)
        return f"http://127.0.0.1:{port}"

    yield start
    discard(*procs)


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_live_and_ready_answer_when_everything_is_up(serve, stack_settings):
    base = serve(stack_settings)
    assert _get(f"{base}/health/live") == (200, {"status": "ok"})
    status, body = _get(f"{base}/health/ready")
    assert status == 200
    assert {name: c["status"] for name, c in body["checks"].items()} == {
        "postgres": "up",
        "rabbitmq": "up",
        "redis_results": "up",
        "redis_cache": "up",
    }


def test_ready_reports_a_stopped_dependency_as_down(serve, stack_settings):
    base = serve(stack_settings.replace(database_url="postgresql://postgres@127.0.0.1:1/footcast"))
    status, body = _get(f"{base}/health/ready")
    assert status == 503
    assert body["checks"]["postgres"]["status"] == "down"
    assert body["checks"]["rabbitmq"]["status"] == "up"


def test_cache_down_only_degrades_readiness(serve, stack_settings):
    base = serve(stack_settings.replace(cache_url="redis://127.0.0.1:1/0"))
    status, body = _get(f"{base}/health/ready")
    assert status == 200
    assert body["checks"]["redis_cache"]["status"] == "degraded"


def test_ping_goes_through_http_bus_and_worker(serve, stack_settings, start_worker):
    start_worker(stack_settings, threads=2)
    base = serve(stack_settings)
    request = urllib.request.Request(
        f"{base}/v1/ping",
        data=b'{"message": "over http", "queue": "ml"}',
        headers={"Content-Type": "application/json", "X-Request-ID": "trace-me-1"},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        body = json.loads(resp.read())
    assert body["pong"] is True and body["queue"] == "ml"
    assert body["echo"]["message"] == "over http"
