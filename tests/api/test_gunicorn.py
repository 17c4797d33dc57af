"""The API under a real gunicorn on a free loopback port, with a real worker behind it."""

import http.client
import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from cli.processes import api_command, free_port, spawn, wait_http_ok
from tests.conftest import discard

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture
def serve(tmp_path):
    procs = []

    def start(settings, workers=1):
        port = free_port()
        command = api_command(port, workers=workers, threads=4)
        proc = spawn(command, settings, tmp_path / f"api-{port}.log")
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


def _listeners(port: int) -> dict[int, set[str]]:
    """The listening sockets (``socket:[inode]``) on ``port``, by the pid holding them."""
    found: dict[int, set[str]] = {}
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            inode = os.readlink(Path(f"/proc/{conn.pid}/fd/{conn.fd}"))
            found.setdefault(conn.pid, set()).add(inode)
    return found


def test_each_api_worker_listens_on_its_own_socket_so_connections_spread_over_them(
    serve, stack_settings
):
    base = serve(stack_settings, workers=2)
    port = int(base.rsplit(":", 1)[1])
    # one shared socket goes to whichever worker waits in accept: often one takes them all
    listeners = _listeners(port)
    assert len(listeners) == 2
    assert all(len(s) == 1 for s in listeners.values())
    assert len(set.union(*listeners.values())) == 2
    clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(32)]
    for client in clients:
        client.request("GET", "/health/live")
        assert client.getresponse().read() == b'{"status":"ok"}'
    held = [
        sum(c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
            for c in psutil.Process(pid).net_connections("tcp"))
        for pid in listeners
    ]  # fmt: skip
    assert sum(held) == 32 and min(held) > 0  # all on one: a chance of 2 in 2**32
    for client in clients:
        client.close()
