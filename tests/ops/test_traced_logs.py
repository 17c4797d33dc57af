"""One grep follows a request from the API's access log to the worker that handled it."""

import json
import urllib.request
import uuid

import pytest
import structlog

from actors import contracts
from actors.bus import ActorFailed, Bus
from cli.processes import api_command, free_port, spawn, stop, wait_http_ok
from tests.ops.faults import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def _json_lines(path):
    lines = []
    for raw in path.read_text().splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


def _ping_over_http(port, request_id):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/ping",
        data=b'{"message": "follow me", "queue": "etl"}',
        headers={"Content-Type": "application/json", "X-Request-ID": request_id},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        assert resp.headers["X-Request-ID"] == request_id
        assert json.loads(resp.read())["pong"] is True


@pytest.mark.timeout(300)
def test_a_request_id_follows_its_messages_into_every_api_and_worker_log_line(
    broker_settings, start_worker, tmp_path
):
    start_worker(broker_settings, queues=("etl", "ops"), threads=2)
    worker_log = tmp_path / "worker-0.log"

    # 1. through gunicorn: the access line and the actor's line carry the client's id
    port = free_port()
    api = spawn(api_command(port, workers=1, threads=2), broker_settings, tmp_path / "api.log")
    http_id = f"trace-{uuid.uuid4().hex[:12]}"
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/health/live", 30, api)
        _ping_over_http(port, http_id)
    finally:
        stop(api)
    access = [x for x in _json_lines(tmp_path / "api.log") if x.get("request_id") == http_id]
    assert [(x["event"], x["path"], x["status"]) for x in access] == [("request", "/v1/ping", 200)]
    answered = wait_until(
        lambda: [x for x in _json_lines(worker_log) if x.get("event") == "ping answered"],
        10,
        "the worker's log line",
    )
    assert [x["request_id"] for x in answered] == [http_id]
    of_message = [
        x for x in _json_lines(worker_log) if x.get("message_id") == answered[0]["message_id"]
    ]
    assert of_message and all(x["request_id"] == http_id for x in of_message)

    # 2. a failing message: the id bound where it was sent reaches dramatiq's own error and
    # retry lines and the dead-letter line
    bound_id = f"trace-{uuid.uuid4().hex[:12]}"
    bus = Bus.from_settings(broker_settings)
    try:
        with structlog.contextvars.bound_contextvars(request_id=bound_id):
            message = bus.send(
                contracts.ping("ops", fail="traced").copy(options={"max_retries": 1})
            )
        with pytest.raises(ActorFailed):
            bus.wait(message, 30_000)
    finally:
        bus.close()
    lines = wait_until(
        lambda: (
            [x for x in _json_lines(worker_log) if x.get("event") == "message dead-lettered"]
            and [x for x in _json_lines(worker_log) if message.message_id in json.dumps(x)]
        ),
        10,
        "the dead-letter log line",
    )
    assert len(lines) >= 3  # the error, its retry, the error again, the dead letter
    assert all(x.get("request_id") == bound_id for x in lines), lines
