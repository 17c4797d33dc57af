"""Work an actor leaves with ``after_result`` runs once its result is stored and before the
message is acked; work that raises dead-letters the message with its reason. A real broker
on a private vhost, a dramatiq worker in this process, the results Redis."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import dramatiq
import pytest
import redis
from dramatiq import Worker

from actors.after_result import after_result
from actors.broker import build_broker, results_backend
from actors.bus import Bus
from actors.middleware import reason_key
from actors.queue_status import queue_status
from tests.ops.faults import wait_until

pytestmark = [pytest.mark.integration]


@pytest.fixture
def broker(broker_settings) -> Iterator[Any]:
    broker = build_broker(broker_settings)
    yield broker
    broker.close()


@pytest.fixture
def worker(broker) -> Iterator[Callable[[], Worker]]:
    """A worker of the broker's actors, started once the test has declared them."""
    workers: list[Worker] = []

    def start() -> Worker:
        started = Worker(broker, worker_timeout=100, worker_threads=2)
        started.start()
        workers.append(started)
        return started

    yield start
    for started in workers:
        started.stop()


def test_left_work_runs_after_the_result_is_stored_and_an_actor_called_directly_runs_it_at_once(
    broker, broker_settings, worker
):
    backend = results_backend(broker_settings)
    seen: dict[str, Any] = {}

    @dramatiq.actor(broker=broker, queue_name="ops", actor_name="answers_then_works",
                    store_results=True, max_retries=0)  # fmt: skip
    def answers_then_works(data: dict[str, Any]) -> str:
        def work() -> None:
            seen["result_when_working"] = backend.get_result(seen["message"]) if seen else None
            seen["worked"] = True

        after_result(work)
        return "answer"

    answers_then_works.fn({})  # outside a worker: the work runs before the call returns
    assert seen == {"result_when_working": None, "worked": True}
    seen.clear()

    worker()
    message = answers_then_works.message({})
    seen["message"] = message
    bus = Bus(broker, backend)
    assert bus.wait(bus.send(message), 10_000) == "answer"
    wait_until(lambda: seen.get("worked"), 10, "the left work")
    assert seen["result_when_working"] == "answer"


def test_left_work_that_raises_dead_letters_its_message_with_the_reason(
    broker, broker_settings, worker
):
    @dramatiq.actor(broker=broker, queue_name="ops", actor_name="works_badly",
                    store_results=True, max_retries=0)  # fmt: skip
    def works_badly(data: dict[str, Any]) -> str:
        def work() -> None:
            raise RuntimeError("the log store is gone")

        after_result(work)
        return "answer"

    worker()
    message = broker.enqueue(works_badly.message({}))
    wait_until(lambda: queue_status(broker_settings)["ops"].dead_letters == 1, 10, "a dead letter")
    client = redis.Redis.from_url(broker_settings.results_url)
    reason = json.loads(client.get(reason_key(message.message_id)) or "{}")
    assert reason["error_type"] == "RuntimeError"
    assert reason["error"] == "the log store is gone"
