"""The DAG folder loads, and the DAGs' tasks put their messages on a real RabbitMQ queue.

Airflow runs in a child process with its own AIRFLOW_HOME and SQLite metadata database in
a temporary directory: importing Airflow configures logging and database engines for the
whole process, which must not leak into the other tests.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT
from tests.queues import drain
from tests.serving_fixtures import rabbitmq_vhost

pytestmark = pytest.mark.slow

DAGS = PROJECT_ROOT / "dags"

LOAD = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=DAGS)
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()},
                  "dags": sorted(bag.dag_ids)}))
"""
#: Runs DAGs in one Airflow process (its import takes seconds), each case with its own
#: environment: ``test`` runs a whole DAG as ``airflow dags test`` does; ``call`` runs a
#: DAG's task (its only one, or the one named) as its run would: the callable, with the
#: context values it asks for. Prints one JSON line per case.
RUN_CASES = """
import inspect, json, os, sys
from datetime import datetime
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=DAGS)
for name, case in json.loads(sys.argv[1]).items():
    os.environ.update(case["env"])
    dag = bag.get_dag(case["dag"])
    logical_date = datetime.fromisoformat(case["date"])
    if case["task"] is None:
        run = dag.test(logical_date=logical_date, run_conf=case["conf"])
        print(json.dumps({"case": name, "state": str(run.state)}))
        continue
    [task] = [t for t in dag.tasks if case["task"] in ("", t.task_id)]
    context = {"logical_date": logical_date, "params": {**dag.params.dump(), **case["conf"]}}
    wanted = inspect.signature(task.python_callable).parameters
    sent = task.python_callable(**{k: v for k, v in context.items() if k in wanted})
    print(json.dumps({"case": name, "task": task.task_id, "sent": len(sent)}))
"""
#: name: (DAG, logical date, run conf, task: "" its only one, None the whole DAG, env).
CASES = {
    "daily_scrape": ("footcast_whoscored_ingest", "2021-01-12T05:30:00+00:00", {},
                     "publish_scrape_fixtures", {"FOOTCAST_WHOSCORED_COMPETITIONS": "E0, SP1"}),
    "backfill": ("footcast_history_backfill", "2024-08-01T00:00:00+00:00",
                 {"leagues": ["E0", "D1"], "first_season": "2122", "last_season": "2324"},
                 "", {}),
    "daily_results": ("footcast_whoscored_ingest", "2024-09-02T05:30:00+00:00", {},
                      "publish_import_history", {"FOOTCAST_WHOSCORED_COMPETITIONS": "E0, D1"}),
    "daily_run": ("footcast_whoscored_ingest", "2025-01-12T05:30:00+00:00", {}, None,
                  {"FOOTCAST_WHOSCORED_COMPETITIONS": "E0"}),
    "weekly_run": ("footcast_weekly_retrain", "2025-01-13T03:30:00+00:00", {}, None, {}),
    "drift": ("footcast_drift_check", "2025-01-14T06:30:00+00:00", {}, "", {}),
}  # fmt: skip


@pytest.fixture(scope="session")
def airflow_db(tmp_path_factory) -> Path:
    """An initialised Airflow metadata database, made once and copied per test."""
    home = tmp_path_factory.mktemp("airflow")
    _airflow(home, "from airflow.utils import db; db.initdb()")
    return home / "airflow.db"


@pytest.fixture
def airflow_home(tmp_path, airflow_db) -> Path:
    shutil.copy(airflow_db, tmp_path / "airflow.db")
    return tmp_path


def _airflow(home: Path, script: str, *args: str, env: dict[str, str] | None = None) -> dict:
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOOTCAST_"))},
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "PYTHONPATH": str(PROJECT_ROOT),
        **(env or {}),
    }
    done = subprocess.run(
        [sys.executable, "-c", f"DAGS = {str(DAGS)!r}\n{script}", *args],
        env=environ, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    cases = {line.pop("case"): line for line in lines if "case" in line}
    return cases or (lines[-1] if lines else {})


def test_the_dag_folder_loads_without_import_errors(airflow_home):
    loaded = _airflow(airflow_home, LOAD)
    assert loaded == {
        "errors": {},
        "dags": [
            "footcast_drift_check",
            "footcast_history_backfill",
            "footcast_weekly_retrain",
            "footcast_whoscored_ingest",
        ],
    }


def test_dag_files_import_neither_pandas_nor_the_data_or_ml_code():
    script = (
        "import sys, runpy\n"
        "for name in ('whoscored_ingest', 'history_backfill', 'weekly_retrain', 'drift_check'):\n"
        f"    runpy.run_path({str(DAGS)!r} + '/' + name + '.py')\n"
        "print(sorted(m for m in ('pandas', 'etl', 'ml', 'sklearn', 'mlflow') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.fixture(scope="module")
def ran(tmp_path_factory, airflow_db) -> Iterator[dict[str, tuple[dict, str]]]:
    """Every case of ``CASES`` run in one Airflow process, each publishing to a vhost of its
    own: name → (what the run printed, the vhost's broker URL)."""
    home = tmp_path_factory.mktemp("airflow-runs")
    shutil.copy(airflow_db, home / "airflow.db")
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(rabbitmq_vhost()) for name in CASES}
        cases = {
            name: {"dag": dag, "date": date, "conf": conf, "task": task,
                   "env": {**env, "FOOTCAST_BROKER_URL": urls[name]}}
            for name, (dag, date, conf, task, env) in CASES.items()
        }  # fmt: skip
        printed = _airflow(home, RUN_CASES, json.dumps(cases))
        yield {name: (printed[name], urls[name]) for name in CASES}


def _queued(url: str, queue: str) -> list[tuple[str, dict]]:
    return [(b["actor_name"], b["args"][0]) for b in drain(url, queue)]


@pytest.mark.integration
def test_the_daily_ingest_publishes_scrape_fixtures_for_each_competition(ran):
    printed, url = ran["daily_scrape"]
    assert printed == {"task": "publish_scrape_fixtures", "sent": 2}
    assert _queued(url, "etl") == [
        ("scrape_fixtures", {"v": 1, "competition": "E0", "season": "2021"}),
        ("scrape_fixtures", {"v": 1, "competition": "SP1", "season": "2021"}),
    ]


@pytest.mark.integration
def test_the_history_backfill_publishes_import_history_per_league_and_season(ran):
    printed, url = ran["backfill"]
    assert printed == {"task": "publish_import_history", "sent": 6}
    assert [args for _, args in _queued(url, "etl")] == [
        {"v": 1, "league": league, "season": season}
        for league in ("E0", "D1")
        for season in ("2122", "2223", "2324")
    ]


@pytest.mark.integration
def test_a_dag_test_run_puts_its_messages_on_the_queue(ran):
    printed, url = ran["daily_run"]
    assert printed == {"state": "success"}
    assert sorted(_queued(url, "etl"), key=lambda m: m[0]) == [
        ("import_fixtures", {"v": 1}),
        ("import_history", {"v": 1, "league": "E0", "season": "2425"}),
        ("scrape_fixtures", {"v": 1, "competition": "E0", "season": "2425"}),
    ]


@pytest.mark.integration
def test_the_daily_ingest_publishes_this_seasons_results_import_for_each_league(ran):
    printed, url = ran["daily_results"]
    assert printed == {"task": "publish_import_history", "sent": 2}
    assert _queued(url, "etl") == [
        ("import_history", {"v": 1, "league": "E0", "season": "2425"}),
        ("import_history", {"v": 1, "league": "D1", "season": "2425"}),
    ]


@pytest.mark.integration
def test_a_weekly_retrain_test_run_puts_run_pipeline_with_its_reason_on_the_pipeline_queue(ran):
    printed, url = ran["weekly_run"]
    assert printed == {"state": "success"}
    [sent] = drain(url, "pipeline")
    assert sent["actor_name"] == "run_pipeline"
    assert sent["args"][0]["reason"] == "weekly retrain (2025-01-13)"


@pytest.mark.integration
def test_the_daily_drift_check_publishes_check_drift_for_its_day(ran):
    printed, url = ran["drift"]
    assert printed == {"task": "publish_check_drift", "sent": 1}
    assert _queued(url, "ml") == [("check_drift", {"v": 1, "day": "2025-01-14"})]
