"""A worker SIGKILLed in the middle of a message: nothing is lost, and a message that keeps
killing its workers is dead-lettered after a bounded number of deliveries."""

import pytest

from actors import contracts
from actors.bus import ActorFailed
from actors.dead_letters import dead_letter_counts, get_dead_letter
from actors.delivery_limit import deliveries_key
from actors.queue_status import queue_status
from tests.ops.faults import kill_hard, wait_until, worker_children

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]


def _consuming(settings, queue):
    """Wait for the new worker to consume (its boot may take long on a loaded machine); a
    blocking wait for a result is bounded by the results client's read timeout."""
    wait_until(lambda: queue_status(settings, [queue])[queue].consumers, 120, "a consumer")


def _taken(settings, queue):
    """The message has left the queue for the worker, whose one thread runs it at once (a
    first delivery leaves no count: only redeliveries are counted)."""
    return queue_status(settings, [queue])[queue].messages == 0


@pytest.mark.timeout(300)
def test_a_message_whose_worker_is_killed_mid_flight_completes_on_the_next_worker(
    broker_settings, start_worker, make_bus, results_redis
):
    bus = make_bus(broker_settings)
    doomed = start_worker(broker_settings, queues=("ops",), threads=1)
    message = bus.send(contracts.ping("ops", message="survivor", sleep_ms=3000))
    wait_until(lambda: _taken(broker_settings, "ops"), 120, "the first worker to start")
    killed = {p.pid for p in worker_children(doomed)}
    assert killed, "the worker has no child process that runs messages"
    kill_hard(doomed)

    survivor = start_worker(broker_settings, queues=("ops",), threads=1)
    _consuming(broker_settings, "ops")
    result = bus.wait(message, 30_000)
    assert result["echo"] == {"v": 1, "message": "survivor", "sleep_ms": 3000}
    answered_by = int(result["worker"].rpartition(":")[2])
    assert answered_by not in killed
    assert answered_by in {p.pid for p in worker_children(survivor)}
    assert results_redis.get(deliveries_key(message.message_id)) is None
    assert sum(dead_letter_counts(broker_settings).values()) == 0


@pytest.mark.timeout(300)
def test_a_message_that_keeps_killing_its_worker_is_dead_lettered_with_the_reason(
    broker_settings, start_worker, make_bus
):
    settings = broker_settings.replace(max_deliveries=1)
    bus = make_bus(settings)
    doomed = start_worker(settings, threads=1)
    message = bus.send(contracts.ping("ml", message="poison", sleep_ms=3000))
    wait_until(lambda: _taken(settings, "ml"), 120, "the first worker to start")
    kill_hard(doomed)

    survivor = start_worker(settings, threads=1)
    _consuming(settings, "ml")
    with pytest.raises(ActorFailed, match=r"exceeded 1 deliveries \(worker crashed"):
        bus.wait(message, 30_000)
    letter = get_dead_letter(settings, message.message_id)
    assert letter.queue == "ml"
    assert letter.error == (
        "DeliveryLimitExceeded: exceeded 1 deliveries (worker crashed while processing)"
    )
    # the worker that refused the message is alive and serving
    assert bus.wait(bus.send(contracts.ping("ml", message="next")), 20_000)["pong"] is True
    assert survivor.poll() is None
