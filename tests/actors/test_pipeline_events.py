"""Pipeline events: the ops actor logs and counts them; stages publish them through the
``footcast`` command onto a real queue."""

from __future__ import annotations

import json
from typing import Any

import pika
import pytest
from prometheus_client import REGISTRY

from actors.contracts import ContractError, payload
from actors.pipeline_events import observe
from core.settings import Settings
from ml.stages.events import stage_events


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_stage_finished_event_is_counted_and_its_seconds_observed():
    before = _sample("footcast_pipeline_events_total", event="stage_finished", stage="train")
    seconds = _sample("footcast_pipeline_stage_duration_seconds_sum", stage="train")
    logged = observe("stage_finished", payload(stage="train", seconds=12.5))
    assert logged == {"event": "stage_finished", "stage": "train", "seconds": 12.5}
    after = _sample("footcast_pipeline_events_total", event="stage_finished", stage="train")
    assert after == before + 1
    assert _sample("footcast_pipeline_stage_duration_seconds_sum", stage="train") == seconds + 12.5


def test_an_event_lacking_its_fields_is_a_contract_error():
    with pytest.raises(ContractError, match="lacks error"):
        observe("pipeline_failed", payload(stage="export"))


def _ops_messages(settings: Settings) -> list[dict[str, Any]]:
    connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
    try:
        channel = connection.channel()
        channel.queue_declare("ops", durable=True, passive=True)
        bodies = []
        while True:
            method, _, body = channel.basic_get("ops", auto_ack=True)
            if method is None:
                return bodies
            bodies.append(json.loads(body))
    finally:
        connection.close()


@pytest.mark.integration
def test_a_failing_stage_publishes_started_then_failed_naming_the_stage(broker_settings: Settings):
    from actors.broker import build_broker

    build_broker(broker_settings).close()  # declares the queues, as a worker would
    with pytest.raises(ValueError, match="no matches"), stage_events("export", broker_settings):
        raise ValueError("no matches")
    with stage_events("validate", broker_settings):
        pass
    sent = [(m["actor_name"], m["args"][0]) for m in _ops_messages(broker_settings)]
    assert [name for name, _ in sent] == ["pipeline_started", "pipeline_failed", "stage_finished"]
    assert sent[1][1]["stage"] == "export"
    assert sent[1][1]["error"] == "ValueError: no matches"
    assert sent[2][1]["stage"] == "validate" and sent[2][1]["seconds"] >= 0
