import json
import time

import pika
import pytest

from actors import contracts
from actors.bus import ActorFailed, Bus, BusUnavailable, ResultNotReady
from actors.middleware import reason_key
from cli.processes import spawn, worker_command
from tests.conftest import discard, wait_consuming
from tests.serving_fixtures import rabbitmq_vhost

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture(scope="module")
def broker_settings(base_settings, tmp_path_factory):
    """One vhost and one worker of every queue for the module: each test's messages are
    told apart by their ids."""
    log = tmp_path_factory.mktemp("bus") / "worker.log"
    with rabbitmq_vhost() as broker_url:
        settings = base_settings.replace(broker_url=broker_url)
        worker = spawn(worker_command(contracts.QUEUES, threads=2), settings, log)
        try:
            wait_consuming(settings, contracts.QUEUES, worker, log)
            yield settings
        finally:
            discard(worker)


@pytest.fixture
def bus(broker_settings):
    bus = Bus.from_settings(broker_settings)
    yield bus
    bus.close()


def _dead_letter(broker_url: str, queue: str, message_id: str, timeout_s: float = 20) -> dict:
    """The body of message ``message_id`` in the dead-letter queue ``queue``, polled for."""
    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    channel = connection.channel()
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            while (got := channel.basic_get(queue, auto_ack=True))[0] is not None:
                body = json.loads(got[2])
                if body["message_id"] == message_id:
                    return dict(body)
            time.sleep(0.2)
    finally:
        connection.close()
    raise AssertionError(f"{message_id} is not in {queue}")


@pytest.mark.parametrize("queue", contracts.QUEUES)
def test_a_ping_on_each_queue_is_answered_by_a_real_worker(bus, queue):
    message = bus.send(contracts.ping(queue, message=f"hello {queue}"))
    result = bus.wait(message, 30_000)
    assert result["pong"] is True
    assert result["echo"]["message"] == f"hello {queue}"


def test_a_sub_second_wait_waits_its_time_and_a_result_is_read_whole(bus):
    # dramatiq's backend turned a 600 ms wait into none at all (an instant timeout)
    slow = bus.send(contracts.ping("ops", message="slow", sleep_ms=3000))
    started = time.monotonic()
    with pytest.raises(ResultNotReady):
        bus.wait(slow, 600)
    assert 0.55 < time.monotonic() - started < 2.0  # the upper bound: room for a busy machine
    answered = bus.wait(bus.send(contracts.ping("ops", message="quick", sleep_ms=100)), 30_000)
    assert answered["echo"]["message"] == "quick"


def test_a_message_that_always_fails_ends_in_the_dead_letter_queue_with_its_error(
    bus, broker_settings, results_redis
):
    message = bus.send(contracts.ping("etl", fail="on purpose").copy(options={"max_retries": 2}))
    with pytest.raises(ActorFailed, match="ping asked to fail: on purpose"):
        bus.wait(message, 30_000)
    body = _dead_letter(broker_settings.broker_url, "etl.XQ", message.message_id)
    assert body["options"]["retries"] == 2
    reason = json.loads(results_redis.get(reason_key(message.message_id)))
    assert reason["error_type"] == "RuntimeError"
    assert "on purpose" in reason["error"] and reason["queue"] == "etl"


def test_a_payload_of_unknown_schema_version_is_dead_lettered_without_retries(
    bus, broker_settings, results_redis
):
    message = bus.send(contracts.message("ops", "ping", {"v": 99}))
    with pytest.raises(ActorFailed, match="schema version 99"):
        bus.wait(message, 30_000)
    reason = json.loads(results_redis.get(reason_key(message.message_id)))
    assert reason["error_type"] == "ContractError" and reason["retries"] == 0


def test_a_message_for_an_unknown_actor_is_dead_lettered_not_lost(
    bus, broker_settings, results_redis
):
    message = bus.send(contracts.message("ops", "no_such_actor", contracts.payload()))
    _dead_letter(broker_settings.broker_url, "ops.XQ", message.message_id)
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
