"""``run_pipeline`` through a real worker on a small slice (Premier League, three seasons):
stage events on the bus, a new challenger promoted in ``auto`` mode, the old model's cached
predictions dropped, one run at a time, and the outputs pushed to the DVC remote."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from actors import contracts
from actors.bus import Bus
from core.cache import Cache
from core.db import connect
from core.settings import PROJECT_ROOT, Settings
from etl.history import import_history
from etl.migrate import migrate
from etl.store.pipeline_runs import recent_runs
from ml import registry
from ml.pipeline_run import copy_tree

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]

SEASONS = ("1920", "2021", "2122")
#: Seconds a run of the small pipeline may take on a busy machine.
RUN_TIMEOUT_S = 1200


def quick_source(target: Path) -> Path:
    """The project tree with params narrowed to the slice and quick to train."""
    copy_tree(PROJECT_ROOT, target)
    params = yaml.safe_load((target / "params.yaml").read_text())
    params["export"] = {"competitions": ["E0"], "seasons": list(SEASONS)}
    params["evaluate"].update(test_seasons=["2122"], warmup_seasons=["2021"], burn_in_seasons=0)
    params["train"]["dixon_coles"]["refit_days"] = 91
    params["promotion"]["mode"] = "auto"
    (target / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return target


def _finished_runs(settings: Settings, count: int, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        with connect(settings) as conn:
            runs = {r.reason: r for r in recent_runs(conn)}
        if len(runs) == count and all(r.status != "running" for r in runs.values()):
            return runs
        assert time.monotonic() < deadline, f"pipeline still running: {runs}"
        time.sleep(0.5)


@pytest.fixture
def settings(stack_settings: Settings, shared_data: Path, tmp_path: Path) -> Settings:
    with connect(stack_settings, autocommit=True) as conn:
        migrate(conn)
        summary = import_history(
            conn, (shared_data / "football-data").as_uri(), [("E0", s) for s in SEASONS]
        )
    assert {f.status for f in summary.files} == {"validated"}
    return stack_settings.replace(
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        mlflow_artifact_root=str(tmp_path / "mlartifacts"),
        pipeline_source=str(quick_source(tmp_path / "source")),
        pipeline_workspace=str(tmp_path / "workspace"),
        dvc_remote_url=str(tmp_path / "remote"),
    )


def _events(log: Path) -> list[dict]:
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    return [x for x in lines if x.get("event") in contracts.PIPELINE_EVENTS]


@pytest.mark.timeout(RUN_TIMEOUT_S + 120)
def test_run_pipeline_registers_and_promotes_a_challenger_publishing_each_stage(
    settings: Settings, start_worker, tmp_path: Path
):
    cache = Cache.from_settings(settings)
    stale = cache.prediction_key("0-oldrun", "digest")
    cache.store([], [(stale, {"p_home": 0.5})])
    # pipeline runs, ops logs the events and broadcasts model_promoted, ml drops the cache
    start_worker(settings, queues=["pipeline", "ops"], threads=2)
    start_worker(settings, queues=["ml"], threads=2)
    bus = Bus.from_settings(settings)
    bus.send(contracts.run_pipeline("first request"))
    bus.send(contracts.run_pipeline("second request while the first runs"))
    bus.close()

    deadline = time.monotonic() + RUN_TIMEOUT_S
    runs = _finished_runs(settings, 2, RUN_TIMEOUT_S)
    statuses = sorted(r.status for r in runs.values())
    assert statuses == ["skipped", "succeeded"], runs
    done = next(r for r in runs.values() if r.status == "succeeded")
    assert (done.model_version, done.promoted) == ("1", True)
    assert registry.champion_version(settings) == "1"
    with connect(settings) as conn:
        lock = conn.execute("SELECT dvc_lock FROM pipeline_runs WHERE id = %s", (done.id,))
        assert "register:" in lock.fetchone()[0]
    assert [p for p in (tmp_path / "remote").rglob("*") if p.is_file()], "nothing pushed"

    while cache.get(stale) is not None:  # model_promoted reached the ml process
        assert time.monotonic() < deadline, "the old model's predictions are still cached"
        time.sleep(0.5)
    log = tmp_path / "worker-0.log"
    events = _events(log)
    names = [e["event"] for e in events]
    assert names[0] == "pipeline_started"
    finished = [e["stage"] for e in events if e["event"] == "stage_finished"]
    assert finished == ["export", "validate", "featurise", "evaluate", "train", "register"]
    registered = next(e for e in events if e["event"] == "challenger_registered")
    assert registered["version"] == "1" and 0.1 < registered["metrics"]["rps"] < 0.3
    assert "pipeline_failed" not in names
