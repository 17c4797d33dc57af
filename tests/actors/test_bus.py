import json
import time

import pika
import pytest

from actors import contracts
from actors.bus import ActorFailed, Bus, BusUnavailable
from actors.middleware import reason_key

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture
def bus(broker_settings):
    bus = Bus.from_settings(broker_settings)
    yield bus
    bus.close()


def _drain(broker_url: str, queue: str, timeout_s: float = 20) -> list[tuple[dict, dict]]:
    """Messages waiting in ``queue`` (body, headers), polled until at least one arrives."""
    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    channel = connection.channel()
    found: list[tuple[dict, dict]] = []
    deadline = time.monotonic() + timeout_s
    while not found and time.monotonic() < deadline:
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                break
            found.append((json.loads(body), properties.headers or {}))
        time.sleep(0.2)
    connection.close()
    return found


@pytest.mark.parametrize("queue", contracts.QUEUES)
def test_a_ping_on_each_queue_is_answered_by_a_real_worker(
    bus, broker_settings, start_worker, queue
):
    start_worker(broker_settings, queues=contracts.QUEUES, threads=2)
    message = bus.send(contracts.ping(queue, message=f"hello {queue}"))
    result = bus.wait(message, 30_000)
    assert result["pong"] is True
    assert result["echo"]["message"] == f"hello {queue}"


def test_a_message_that_always_fails_ends_in_the_dead_letter_queue_with_its_error(
    bus, broker_settings, start_worker, results_redis
):
    start_worker(broker_settings, threads=1)
    message = bus.send(contracts.ping("etl", fail="on purpose").copy(options={"max_retries": 2}))
    with pytest.raises(ActorFailed, match="ping asked to fail: on purpose"):
        bus.wait(message, 30_000)
    dead = _drain(broker_settings.broker_url, "etl.XQ")
    assert [body["message_id"] for body, _ in dead] == [message.message_id]
    body, _headers = dead[0]
    assert body["options"]["retries"] == 2
    reason = json.loads(results_redis.get(reason_key(message.message_id)))
    assert reason["error_type"] == "RuntimeError"
    assert "on purpose" in reason["error"] and reason["queue"] == "etl"


def test_a_payload_of_unknown_schema_version_is_dead_lettered_without_retries(
    bus, broker_settings, start_worker, results_redis
):
    start_worker(broker_settings, threads=1)
    message = bus.send(contracts.message("ops", "ping", {"v": 99}))
    with pytest.raises(ActorFailed, match="schema version 99"):
        bus.wait(message, 30_000)
    reason = json.loads(results_redis.get(reason_key(message.message_id)))
    assert reason["error_type"] == "ContractError" and reason["retries"] == 0


def test_a_message_for_an_unknown_actor_is_dead_lettered_not_lost(
    bus, broker_settings, start_worker, results_redis
):
    start_worker(broker_settings, threads=1)
    message = bus.send(contracts.message("ops", "no_such_actor", contracts.payload()))
    dead = _drain(broker_settings.broker_url, "ops.XQ")
    assert [body["message_id"] for body, _ in dead] == [message.message_id]
    assert (
        json.loads(results_redis.get(reason_key(message.message_id)))["error_type"]
        == "ActorNotFound"
    )


def test_sending_with_rabbitmq_unreachable_fails_fast_with_bus_unavailable(base_settings):
    bus = Bus.from_settings(base_settings.replace(broker_url="amqp://guest:guest@127.0.0.1:1/%2F"))
    started = time.monotonic()
    with pytest.raises(BusUnavailable, match="broker"):
        bus.send(contracts.ping())
    assert time.monotonic() - started < 5
