"""Dead letters made by a real worker (or by RabbitMQ itself), listed, replayed and purged."""

import json
import time

import pika
import pytest

from actors import contracts
from actors.bus import Bus
from actors.dead_letters import (
    RAW_ID_PREFIX,
    Selection,
    dead_letter_counts,
    get_dead_letter,
    list_dead_letters,
    purge,
    replay,
    replayed_body,
)
from actors.middleware import reason_key


@pytest.fixture
def bus(broker_settings):
    bus = Bus.from_settings(broker_settings)
    for queue in contracts.QUEUES:
        bus.broker.declare_queue(queue, ensure=True)
    yield bus
    bus.close()


def _publish(settings, queue, body, **properties):
    connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
    connection.channel().basic_publish("", queue, body, pika.BasicProperties(**properties))
    connection.close()


def _wait_counts(settings, expected, timeout_s=20.0):
    deadline = time.monotonic() + timeout_s
    while (counts := dead_letter_counts(settings)) != expected:
        assert time.monotonic() < deadline, f"dead letters {counts}, expected {expected}"
        time.sleep(0.2)


def _queued(settings, queue):
    """Bodies waiting in ``queue``, read without consuming them."""
    connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
    channel = connection.channel()
    bodies = []
    while True:
        method, _, body = channel.basic_get(queue, auto_ack=False)
        if method is None:
            break
        bodies.append(json.loads(body))
    connection.close()
    return bodies


def test_replayed_body_keeps_id_and_payload_and_counts_the_replay():
    message = contracts.ping("etl", n=1).copy(
        options={"retries": 3, "traceback": "boom", "replays": 1, "request_id": "r-1"}
    )
    body = replayed_body({**message.asdict(), "queue_name": "etl.DQ"}, now=100.0)
    assert body["message_id"] == message.message_id
    assert body["args"] == message.args
    assert body["queue_name"] == "etl"
    assert body["options"] == {"replays": 2, "replayed_at": 100.0, "request_id": "r-1"}


@pytest.mark.integration
@pytest.mark.e2e
def test_dead_letters_are_listed_with_their_reasons_and_survive_being_listed(
    bus, broker_settings, start_worker, results_redis
):
    start_worker(broker_settings, threads=1)
    failing = bus.send(contracts.ping("etl", fail="on purpose").copy(options={"max_retries": 0}))
    orphan = bus.send(contracts.message("ops", "no_such_actor", contracts.payload()))
    _publish(broker_settings, "ops", b"{not json", delivery_mode=2)
    _wait_counts(broker_settings, {"etl": 1, "validate": 0, "ml": 0, "ops": 2, "pipeline": 0})

    letters = list_dead_letters(broker_settings)
    assert [(x.queue, x.actor) for x in letters] == [
        ("etl", "ping"),
        ("ops", "no_such_actor"),
        ("ops", None),
    ]
    by_id = {x.id: x for x in letters}
    assert by_id[failing.message_id].error == "RuntimeError: ping asked to fail: on purpose"
    assert by_id[orphan.message_id].error == "ActorNotFound: no actor 'no_such_actor'"
    raw = letters[2]
    assert raw.id.startswith(RAW_ID_PREFIX) and "undecodable body" in raw.error
    assert all(x.age_s() is not None and x.age_s() < 60 for x in letters)

    # listing handed every message back, in order
    assert [x.id for x in list_dead_letters(broker_settings)] == [x.id for x in letters]
    assert [x.id for x in list_dead_letters(broker_settings, Selection(queues=("ops",)))] == [
        orphan.message_id,
        raw.id,
    ]
    assert [x.id for x in list_dead_letters(broker_settings, Selection(grep="ON PURPOSE"))] == [
        failing.message_id
    ]
    assert list_dead_letters(broker_settings, Selection(actor="no_such_actor"))[0].id == (
        orphan.message_id
    )
    assert list_dead_letters(broker_settings, Selection(since=time.time() + 60)) == []

    shown = get_dead_letter(broker_settings, failing.message_id).details()
    assert shown["args"] == [{"v": 1, "fail": "on purpose"}]
    assert "RuntimeError: ping asked to fail" in shown["traceback"]

    # a replay of a message that still fails comes back with its replay counted
    replayed, skipped = replay(broker_settings, Selection(queues=("etl",), grep="purpose"))
    assert [x.id for x in replayed] == [failing.message_id] and skipped == []
    deadline = time.monotonic() + 20
    while not (back := list_dead_letters(broker_settings, Selection(queues=("etl",)))):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert back[0].id == failing.message_id and back[0].replays == 1
    new_reason = json.loads(results_redis.get(reason_key(failing.message_id)))
    assert new_reason["failed_at"] > by_id[failing.message_id].reason["failed_at"]

    # a body that is not a message cannot be replayed, only purged
    replayed, skipped = replay(broker_settings, Selection(queues=("ops",)), dry_run=True)
    assert [x.id for x in replayed] == [orphan.message_id] and [x.id for x in skipped] == [raw.id]
    assert [x.id for x in purge(broker_settings, Selection(ids=frozenset({raw.id})))] == [raw.id]
    assert dead_letter_counts(broker_settings) == {
        "etl": 1,
        "validate": 0,
        "ml": 0,
        "ops": 1,
        "pipeline": 0,
    }


@pytest.mark.integration
@pytest.mark.e2e
def test_a_replayed_dead_letter_is_processed_with_its_payload_unchanged(
    bus, broker_settings, start_worker
):
    # RabbitMQ itself dead-letters a message that expires before any worker takes it
    message = contracts.ping("ops", message="late")
    _publish(broker_settings, "ops", message.encode(), delivery_mode=2, expiration="1")
    _wait_counts(broker_settings, {"etl": 0, "validate": 0, "ml": 0, "ops": 1, "pipeline": 0})
    letter = get_dead_letter(broker_settings, message.message_id)
    assert letter.error == "expired in ops" and letter.actor == "ping"

    replayed, _ = replay(broker_settings, Selection(ids=frozenset({message.message_id})))
    assert [x.id for x in replayed] == [message.message_id]
    assert dead_letter_counts(broker_settings)["ops"] == 0
    [queued] = _queued(broker_settings, "ops")
    assert queued["message_id"] == message.message_id
    assert queued["args"] == [{"v": 1, "message": "late"}]
    assert queued["options"]["replays"] == 1

    start_worker(broker_settings, threads=1)
    result = bus.wait(message, 30_000)
    assert result["echo"] == {"v": 1, "message": "late"}
