"""Metrics on real processes after real traffic, and the chart's dashboard and alerts only
query metrics those processes export."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import falcon.testing
import pytest
import yaml

from actors import contracts
from actors.bus import Bus
from actors.queue_status import queue_status
from api.app import create_app
from core.db import connect
from etl.migrate import migrate
from tests.deploy.conftest import CHART, find, render
from tests.ops.faults import wait_until

pytestmark = [pytest.mark.integration]

#: A metric name in a PromQL expression: footcast's own and dramatiq's.
METRIC = re.compile(r"\b((?:footcast|dramatiq)_[a-z0-9_]+)")
#: What Prometheus's text format adds to a histogram's or counter's own name.
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def _exported(text: str) -> set[str]:
    """Every series name in a scrape, and each histogram's/counter's base name."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def _queried(expr: str) -> set[str]:
    return set(METRIC.findall(expr))


def _dashboard() -> dict:
    return json.loads((CHART / "dashboards" / "footcast.json").read_text())


def _dashboard_queries() -> list[str]:
    return [t["expr"] for p in _dashboard()["panels"] for t in p.get("targets", [])]


def _alert_rules() -> list[dict]:
    manifests = render({"monitoring": {"prometheusRule": {"enabled": True}}})
    rule = find(manifests, "PrometheusRule", "footcast-alerts")
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def test_the_dashboard_parses_and_every_panel_has_a_query():
    panels = [p for p in _dashboard()["panels"] if p["type"] != "row"]
    assert len(panels) >= 10
    for panel in panels:
        assert panel["targets"] and all(_queried(t["expr"]) for t in panel["targets"]), panel


def test_the_alert_rules_validate(tmp_path):
    rules = _alert_rules()
    names = {r["alert"] for r in rules}
    assert {"FootcastDeadLetters", "FootcastNoConsumer", "FootcastApiLatencyP99",
            "FootcastStaleResults", "FootcastPipelineFailed"} <= names  # fmt: skip
    promtool = shutil.which("promtool")
    if promtool is None:
        for rule in rules:
            assert rule["expr"].strip() and set(rule) <= {"alert", "expr", "for", "labels",
                                                        "annotations"}  # fmt: skip
            assert re.fullmatch(r"\d+[smhd]", rule.get("for", "1m"))
        return
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "footcast", "rules": rules}]}))
    out = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.timeout(300)
def test_worker_and_api_metrics_after_real_traffic_cover_every_dashboard_and_alert_query(
    stack_settings, start_worker, tmp_path
):
    with connect(stack_settings) as conn:
        migrate(conn)
        conn.commit()
    state_dir = tmp_path / "worker-state"
    settings = stack_settings.replace(worker_state_dir=str(state_dir), worker_metrics_port=0)
    start_worker(settings, queues=["ops"], threads=2)
    wait_until(lambda: queue_status(settings, ["ops"])["ops"].consumers, 120, "ops consumer")
    client = falcon.testing.TestClient(create_app(settings))
    assert client.simulate_post("/v1/ping", json={"queue": "ops"}).status_code == 200
    fixture = {"home_team": "Arsenal", "away_team": "Chelsea", "competition": "E0"}
    assert client.simulate_post("/v1/predict", json=fixture).status_code == 503  # no ml worker
    bus = Bus.from_settings(settings)
    bus.send(contracts.ping("ops", fail="at once").copy(options={"max_retries": 0}))
    retried = {"max_retries": 1, "min_backoff": 10, "max_backoff": 10}
    bus.send(contracts.ping("ops", fail="after a retry").copy(options=retried))
    failed = {"stage": "train", "error": "on purpose"}
    bus.send(contracts.pipeline_event("pipeline_failed", failed))
    bus.send(contracts.pipeline_event("stage_finished", {"stage": "export", "seconds": 3.5}))
    wait_until(lambda: queue_status(settings, ["ops"])["ops"].dead_letters == 2, 60, "letters")
    bus.close()

    port = int(Path(state_dir, "metrics-port").read_text())
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as resp:
        worker_text = resp.read().decode()
    api_text = client.simulate_get("/metrics").text
    assert re.search(r'dramatiq_messages_total\{actor_name="ping",queue_name="ops"\} 4\.0',
                     worker_text), worker_text  # fmt: skip
    assert 'footcast_pipeline_events_total{event="pipeline_failed",stage="train"} 1.0' in (
        worker_text
    )
    assert re.search(r'dramatiq_message_errors_total\{actor_name="ping",queue_name="ops"\} 3\.0',
                     worker_text)  # fmt: skip
    assert 'footcast_queue_consumers{queue="ops"} 1.0' in api_text
    assert 'footcast_dead_letters{queue="ops"} 2.0' in api_text
    assert 'footcast_http_requests_total{method="POST",route="/v1/predict",status="503"}' in (
        api_text
    )

    exported = _exported(worker_text) | _exported(api_text)
    queries = _dashboard_queries() + [r["expr"] for r in _alert_rules()]
    missing = {
        (name, expr)
        for expr in queries
        for name in _queried(expr)
        if name not in exported and not any(name.removesuffix(s) in exported for s in SUFFIXES)
    }
    assert not missing, missing
