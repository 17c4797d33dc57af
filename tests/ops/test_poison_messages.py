"""Poison messages are dead-lettered with a clear reason; the worker keeps serving."""

import pika
import pytest

from actors import contracts
from actors.dead_letters import Selection, list_dead_letters
from tests.ops.faults import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.mark.timeout(300)
def test_malformed_unknown_version_and_unknown_actor_are_dead_lettered_and_the_worker_lives_on(
    broker_settings, start_worker, make_bus
):
    bus = make_bus(broker_settings)
    worker = start_worker(broker_settings, queues=("validate",), threads=2)
    before = bus.wait(bus.send(contracts.ping("validate", message="before")), 30_000)["worker"]

    connection = pika.BlockingConnection(pika.URLParameters(broker_settings.broker_url))
    channel = connection.channel()
    for body in (b"{not json at all", b'{"valid": "json", "but": "no message"}'):
        channel.basic_publish("", "validate", body, pika.BasicProperties(delivery_mode=2))
    connection.close()
    old_version = bus.send(contracts.message("validate", "ping", {"v": 0, "message": "old"}))
    no_actor = bus.send(contracts.message("validate", "retired_actor", contracts.payload()))

    letters = wait_until(
        lambda: (
            (found := list_dead_letters(broker_settings, Selection(queues=("validate",))))
            and len(found) == 4
            and found
        ),
        30,
        "four dead letters",
    )
    errors = {letter.id: letter.error for letter in letters}
    assert errors[old_version.message_id] == "ContractError: unknown payload schema version 0"
    assert errors[no_actor.message_id] == "ActorNotFound: no actor 'retired_actor'"
    raw = sorted(error for key, error in errors.items() if key.startswith("raw-"))
    assert len(raw) == 2 and all("not a dramatiq message" in error for error in raw)
    assert "JSONDecodeError" in raw[0] + raw[1]

    after = bus.wait(bus.send(contracts.ping("validate", message="after")), 30_000)
    assert after["worker"] == before and worker.poll() is None
