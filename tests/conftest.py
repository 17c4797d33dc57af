"""Fixtures over the real services; each test gets its own schema, vhost and Redis keys."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from mlflow.tracking import MlflowClient

from cli.processes import WORKER_QUEUES, spawn, worker_command
from cli.processes import wait_consuming as consuming
from core.probes import probe_all
from core.settings import Settings

TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/footcast_test"
#: How long a started worker may take to consume its queues (s): an ml process loads its
#: model and store first.
WORKER_CONSUMING_TIMEOUT_S = 300
DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Test settings: the footcast_test database, Redis databases of their own, and an
    MLflow registry of the session's (the project's own ``var/`` is left alone)."""
    mlflow_dir = tmp_path_factory.mktemp("mlflow-session")
    settings = Settings(
        env="test",
        mlflow_tracking_uri=f"sqlite:///{mlflow_dir / 'mlflow.db'}",
        mlflow_artifact_root=str(mlflow_dir / "artifacts"),
        database_url=TEST_DATABASE_URL,
        results_url="redis://127.0.0.1:6379/14",
        cache_url="redis://127.0.0.1:6379/15",
        log_format="json",
        health_timeout_ms=1000,
        worker_metrics_port=0,  # each test worker on a free port of its own
    )
    down = [p for p in probe_all(settings) if not p.ok]
    if down:
        pytest.exit(f"services down ({down}); run `make services`", returncode=3)
    # the schema is made here, once: processes that find no database at the same time
    # would each try to make it
    uri = settings.mlflow_tracking_uri
    MlflowClient(tracking_uri=uri, registry_uri=uri).search_registered_models()
    return settings


@contextlib.contextmanager
def fresh_schema(settings: Settings) -> Iterator[Settings]:
    """``settings`` whose database is a fresh, empty schema, dropped on exit."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield settings.replace(database_url=f"{TEST_DATABASE_URL}?options=-csearch_path%3D{schema}")
    finally:
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def pg_settings(base_settings: Settings) -> Iterator[Settings]:
    """Settings whose database is a fresh, empty schema, dropped after the test."""
    with fresh_schema(base_settings) as settings:
        yield settings


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def broker_settings(base_settings: Settings) -> Iterator[Settings]:
    """Settings whose broker URL points at a fresh RabbitMQ vhost, deleted after the test."""
    vhost = f"footcast_test_{uuid.uuid4().hex[:12]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    yield base_settings.replace(broker_url=f"amqp://guest:guest@127.0.0.1:5672/{vhost}")
    _rabbitmqctl("delete_vhost", vhost)


@pytest.fixture
def stack_settings(pg_settings: Settings, broker_settings: Settings) -> Settings:
    """A private schema and a private vhost together."""
    return pg_settings.replace(broker_url=broker_settings.broker_url)


@pytest.fixture
def results_redis(base_settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(base_settings.results_url)


def wait_consuming(
    settings: Settings, queues: tuple[str, ...], proc: subprocess.Popen[bytes], log: Path
) -> None:
    """Return once a started worker consumes every one of ``queues``."""
    try:
        consuming(settings, queues, proc, WORKER_CONSUMING_TIMEOUT_S)
    except (RuntimeError, TimeoutError) as exc:
        pytest.fail(f"{exc}; its log: {log}")


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start real ``dramatiq`` worker processes; all of them are stopped after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        settings: Settings, *, wait: bool = True, **kwargs: object
    ) -> subprocess.Popen[bytes]:
        """A worker of ``kwargs`` (``worker_command``'s); with ``wait``, returned once it
        consumes every queue it serves, since the API answers 503 no_worker before that."""
        log = tmp_path / f"worker-{len(started)}.log"
        proc = spawn(worker_command(**kwargs), settings, log)  # type: ignore[arg-type]
        started.append(proc)
        if wait:
            queues = tuple(kwargs.get("queues", WORKER_QUEUES))  # type: ignore[call-overload]
            wait_consuming(settings, queues, proc, log)
        return proc

    yield start
    discard(*started)


def discard(*procs: subprocess.Popen[bytes]) -> None:
    """Kill processes started by a test with their whole groups, at once: a test's leftovers
    need no graceful shutdown (``cli.processes.stop`` is the graceful one, about 3 s for a
    worker), and their vhost or schema is dropped after them."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    for proc in procs:
        proc.wait()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not DATA_DIR.is_dir():
        pytest.fail(f"the shared data directory {DATA_DIR} is missing")
    return DATA_DIR
