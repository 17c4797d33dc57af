"""The DAG folder loads, and the DAGs' tasks put their messages on a real RabbitMQ queue.

Airflow runs in a child process with its own AIRFLOW_HOME and SQLite metadata database in
a temporary directory: importing Airflow configures logging and database engines for the
whole process, which must not leak into the other tests.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pika
import pytest

from core.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

DAGS = PROJECT_ROOT / "dags"

LOAD = """
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=DAGS)
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()},
                  "dags": sorted(bag.dag_ids)}))
"""
RUN = """
import json, sys
from datetime import datetime
from airflow.dag_processing.dagbag import DagBag
dag = DagBag(dag_folder=DAGS).get_dag(sys.argv[1])
run = dag.test(logical_date=datetime.fromisoformat(sys.argv[2]), run_conf=json.loads(sys.argv[3]))
print(json.dumps({"state": str(run.state)}))
"""
#: Runs a DAG's task (its only one, or the one named) as its run would: the callable, with
#: the context values it asks for.
CALL = """
import inspect, json, sys
from datetime import datetime
from airflow.dag_processing.dagbag import DagBag
dag = DagBag(dag_folder=DAGS).get_dag(sys.argv[1])
[task] = [t for t in dag.tasks if len(sys.argv) < 5 or t.task_id == sys.argv[4]]
context = {"logical_date": datetime.fromisoformat(sys.argv[2]),
           "params": {**dag.params.dump(), **json.loads(sys.argv[3])}}
wanted = inspect.signature(task.python_callable).parameters
sent = task.python_callable(**{k: v for k, v in context.items() if k in wanted})
print(json.dumps({"task": task.task_id, "sent": len(sent)}))
"""


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
        env=environ, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def _queued(broker_url: str, queue: str) -> list[dict]:
    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    channel = connection.channel()
    bodies = []
    while (got := channel.basic_get(queue, auto_ack=True))[0] is not None:
        bodies.append(json.loads(got[2]))
    connection.close()
    return bodies


def test_the_dag_folder_loads_without_import_errors(airflow_home):
    loaded = _airflow(airflow_home, LOAD)
    assert loaded == {
        "errors": {},
        "dags": [
            "footcast_history_backfill",
            "footcast_weekly_retrain",
            "footcast_whoscored_ingest",
        ],
    }


def test_dag_files_import_neither_pandas_nor_the_data_or_ml_code():
    script = (
        "import sys, runpy\n"
        "for name in ('whoscored_ingest', 'history_backfill', 'weekly_retrain'):\n"
        f"    runpy.run_path({str(DAGS)!r} + '/' + name + '.py')\n"
        "print(sorted(m for m in ('pandas', 'etl', 'ml', 'sklearn', 'mlflow') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.integration
def test_the_daily_ingest_publishes_scrape_fixtures_for_each_competition(
    airflow_home, broker_settings
):
    env = {**broker_settings.as_env(), "FOOTCAST_WHOSCORED_COMPETITIONS": "E0, SP1"}
    called = _airflow(
        airflow_home, CALL, "footcast_whoscored_ingest", "2021-01-12T05:30:00+00:00", "{}",
        "publish_scrape_fixtures", env=env,
    )  # fmt: skip
    assert called == {"task": "publish_scrape_fixtures", "sent": 2}
    assert [
        (b["actor_name"], b["args"][0]) for b in _queued(broker_settings.broker_url, "etl")
    ] == [
        ("scrape_fixtures", {"v": 1, "competition": "E0", "season": "2021"}),
        ("scrape_fixtures", {"v": 1, "competition": "SP1", "season": "2021"}),
    ]


@pytest.mark.integration
def test_the_history_backfill_publishes_import_history_per_league_and_season(
    airflow_home, broker_settings
):
    conf = {"leagues": ["E0", "D1"], "first_season": "2122", "last_season": "2324"}
    called = _airflow(
        airflow_home, CALL, "footcast_history_backfill", "2024-08-01T00:00:00+00:00",
        json.dumps(conf), env=broker_settings.as_env(),
    )  # fmt: skip
    assert called == {"task": "publish_import_history", "sent": 6}
    assert [b["args"][0] for b in _queued(broker_settings.broker_url, "etl")] == [
        {"v": 1, "league": league, "season": season}
        for league in ("E0", "D1")
        for season in ("2122", "2223", "2324")
    ]


@pytest.mark.integration
def test_a_dag_test_run_puts_its_messages_on_the_queue(airflow_home, broker_settings):
    env = {**broker_settings.as_env(), "FOOTCAST_WHOSCORED_COMPETITIONS": "E0"}
    run = _airflow(
        airflow_home, RUN, "footcast_whoscored_ingest", "2025-01-12T05:30:00+00:00", "{}", env=env
    )
    assert run == {"state": "success"}
    queued = [(b["actor_name"], b["args"][0]) for b in _queued(broker_settings.broker_url, "etl")]
    assert sorted(queued, key=lambda m: m[0]) == [
        ("import_fixtures", {"v": 1}),
        ("import_history", {"v": 1, "league": "E0", "season": "2425"}),
        ("scrape_fixtures", {"v": 1, "competition": "E0", "season": "2425"}),
    ]


@pytest.mark.integration
def test_the_daily_ingest_publishes_this_seasons_results_import_for_each_league(
    airflow_home, broker_settings
):
    env = {**broker_settings.as_env(), "FOOTCAST_WHOSCORED_COMPETITIONS": "E0, D1"}
    called = _airflow(
        airflow_home, CALL, "footcast_whoscored_ingest", "2024-09-02T05:30:00+00:00", "{}",
        "publish_import_history", env=env,
    )  # fmt: skip
    assert called == {"task": "publish_import_history", "sent": 2}
    assert [
        (b["actor_name"], b["args"][0]) for b in _queued(broker_settings.broker_url, "etl")
    ] == [
        ("import_history", {"v": 1, "league": "E0", "season": "2425"}),
        ("import_history", {"v": 1, "league": "D1", "season": "2425"}),
    ]


@pytest.mark.integration
def test_a_weekly_retrain_test_run_puts_run_pipeline_with_its_reason_on_the_pipeline_queue(
    airflow_home, broker_settings
):
    run = _airflow(
        airflow_home, RUN, "footcast_weekly_retrain", "2025-01-13T03:30:00+00:00", "{}",
        env=broker_settings.as_env(),
    )  # fmt: skip
    assert run == {"state": "success"}
    [sent] = _queued(broker_settings.broker_url, "pipeline")
    assert sent["actor_name"] == "run_pipeline"
    assert sent["args"][0]["reason"] == "weekly retrain (2025-01-13)"
