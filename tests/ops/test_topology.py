"""The worker groups exactly as the chart's values.yaml defines them (queues, processes,
threads; each group its own processes), over a five-league store: a promotion reaches every
``ml`` process and drops the old model's predictions, ``ops`` and ``etl`` processes never
load the model, and each group's memory stays under its chart limit with 30 % headroom."""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import psutil
import pytest
import redis
import yaml

from actors import contracts
from actors.bus import Bus
from actors.queue_status import queue_status
from cli.processes import spawn, worker_command
from core.cache import namespace
from tests.conftest import discard
from tests.ops.faults import wait_until, worker_children
from tests.serving_fixtures import FIXTURE, store_with_champion, train_and_register

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]

VALUES = Path(__file__).resolve().parents[2] / "helm" / "footcast" / "values.yaml"
LEAGUES = ("E0", "SP1", "D1", "I1", "F1")
SEASONS = ("2122", "2223", "2324")
#: Memory a group may use of its limit: 30 % headroom.
HEADROOM = 0.7
#: Shared objects that only pandas/NumPy bring: a process mapping them holds model code.
MODEL_LIBRARIES = ("pandas/_libs", "numpy/_core", "sklearn")
UNITS = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}


def _bytes(quantity: str) -> int:
    return int(quantity[:-2]) * UNITS[quantity[-2:]]


@pytest.fixture(scope="module")
def five_leagues(base_settings, shared_data, tmp_path_factory):
    """Five leagues' last three seasons in a schema, and a champion trained on the store;
    promotions must arrive by the event, not by the champion watch (every 30 s here)."""
    files = [(league, season) for league in LEAGUES for season in SEASONS]
    mlflow_dir = tmp_path_factory.mktemp("mlflow")
    with store_with_champion(base_settings, shared_data, mlflow_dir, files, 30.0) as settings:
        yield settings


@pytest.fixture
def groups(five_leagues, broker_settings, tmp_path):
    """Every worker group of values.yaml started as the chart starts it; stopped after."""
    values = yaml.safe_load(VALUES.read_text())["workers"]["groups"]
    settings = five_leagues.replace(broker_url=broker_settings.broker_url)
    started = {}
    for name, group in values.items():
        group_settings = settings.replace(worker_state_dir=str(tmp_path / f"state-{name}"))
        command = worker_command(
            group["queues"], processes=group["processes"], threads=group["threads"]
        )
        proc = spawn(command, group_settings, tmp_path / f"{name}.log")
        started[name] = (group, proc, tmp_path / f"state-{name}", tmp_path / f"{name}.log")
    yield settings, started
    discard(*(proc for _, proc, _, _ in started.values()))


def _ready_or_exited(state_dir: Path, processes: int, proc) -> bool:
    return len(list(state_dir.glob("ready-*"))) >= processes or proc.poll() is not None


def _group_rss(proc) -> int:
    tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    return sum(p.memory_info().rss for p in tree)


def _maps_model_code(process: psutil.Process) -> bool:
    return any(lib in m.path for m in process.memory_maps() for lib in MODEL_LIBRARIES)


def _cached_versions(settings) -> set[str]:
    client = redis.Redis.from_url(settings.cache_url)
    prefix = f"{namespace(settings)}prediction:"
    return {key.decode()[len(prefix) :].split("-")[0] for key in client.scan_iter(f"{prefix}*")}


@pytest.mark.timeout(600)
def test_the_chart_topology_serves_promotes_everywhere_and_fits_its_memory_limits(groups, capsys):
    settings, started = groups
    for name, (group, proc, state_dir, _) in started.items():
        ready = functools.partial(_ready_or_exited, state_dir, group["processes"], proc)
        wait_until(ready, 300, f"group {name} ready")
        assert proc.poll() is None, f"group {name} exited"
    # a process marks itself ready once its consumer threads are started; their channels
    # attach a moment later
    wanted = {q: group["processes"] for group, *_ in started.values() for q in group["queues"]}

    def attached() -> bool:
        status = queue_status(settings)
        return all(status[queue].consumers == count for queue, count in wanted.items())

    wait_until(attached, 15, f"consumers per queue: {wanted}")

    bus = Bus.from_settings(settings)
    fixture = {**FIXTURE, "kickoff": "2025-03-01"}
    old = bus.wait(bus.send(contracts.predict([fixture], time.time())), 60_000)
    old_version = old["predictions"][0]["model"]["version"]
    assert old_version in _cached_versions(settings)

    measured = {}
    for name, (group, proc, _, _) in started.items():
        rss = _group_rss(proc)
        limit = _bytes(group["resources"]["limits"]["memory"])
        measured[name] = {"rss_mib": round(rss / 2**20), "limit_mib": limit // 2**20}
        assert rss <= HEADROOM * limit, f"group {name}: {rss / 2**20:.0f} MiB of {limit}"
        if "ml" not in group["queues"]:
            assert not any(_maps_model_code(p) for p in worker_children(proc)), name
    with capsys.disabled():
        print("\nworker group RSS:", json.dumps(measured))

    # the ml processes that must switch, counted before the promotion while nothing else
    # runs under the group (a short-lived child of a library can show up as a leaf)
    ml_group, ml_proc, _, ml_log = started["ml"]
    ml_pids: set[int] = set()

    def settled() -> bool:
        ml_pids.clear()
        ml_pids.update(p.pid for p in worker_children(ml_proc))
        return len(ml_pids) == ml_group["processes"]

    wait_until(settled, 30, f"{ml_group['processes']} ml processes")
    new_version = train_and_register(settings, dc_weight=0.8)
    bus.send(contracts.model_promoted(new_version, old_version))

    def switched() -> set[int]:
        lines = [json.loads(line) for line in ml_log.read_text().splitlines() if "{" in line[:1]]
        return {
            line["pid"]
            for line in lines
            if line.get("event") == "champion switched" and line["serving"] == new_version
        }

    wait_until(lambda: switched() >= ml_pids, 60, "every ml process to switch")
    wait_until(lambda: old_version not in _cached_versions(settings), 30, "old entries dropped")
    new = bus.wait(bus.send(contracts.predict([fixture], time.time())), 60_000)
    assert new["predictions"][0]["model"]["version"] == new_version
    bus.close()
