"""Fixtures of the serving tests: a small real store, a registry with a champion, and the
real stack (gunicorn API + dramatiq worker) over them.

The store holds three real Premier League seasons (imported by the project's importer from
the shared data); models are trained on them in a couple of seconds. The store and registry
are built once per session; each stack gets its own RabbitMQ vhost.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from cli.processes import (
    api_command,
    free_port,
    spawn,
    wait_consuming,
    wait_http_ok,
    worker_command,
)
from core.db import connect
from core.settings import Settings
from etl.history import import_history
from etl.migrate import migrate
from etl.store.reads import load_matches, load_odds
from ml import registry
from ml.backtest import prepare_frame
from ml.features import FeatureConfig
from ml.models.stack import Stack
from ml.training import ModelSpecs, train_forecaster
from tests.api.openapi_check import check_response
from tests.conftest import TEST_DATABASE_URL, _rabbitmqctl, discard

SEASONS = ("2122", "2223", "2324")
#: The priced path of the served test model: the stats members stacked on the market, with
#: parameters of the size the backtest fits (docs/models.md).
PRICED_STACKS = {
    "stacked_1x2": Stack(
        alpha=1.15,
        beta=(-0.12, 0.03),
        inputs=("dixon_coles", "multinomial"),
        intercept=(0.07, 0.03),
    )
}
#: A fixture of the next season, in its teams' own (football-data) spelling.
FIXTURE = {"home_team": "Arsenal", "away_team": "Man United", "competition": "E0"}


def train_and_register(settings: Settings, dc_weight: float, promote: bool = True) -> str:
    """Fit a forecaster on the store's matches (every season, so the priced path has enough
    matches to be fitted too), register it, and make it champion."""
    with connect(settings) as conn:
        matches = load_matches(conn, ["E0"])
        odds = load_odds(conn, matches["match_id"])
    config = FeatureConfig()
    frame = prepare_frame(matches, odds, config)
    forecaster = train_forecaster(
        frame, ModelSpecs(), config, dc_weight, PRICED_STACKS, burn_in_seasons=0
    )
    version = registry.register_model(
        settings, forecaster, {"rps": 0.2 - dc_weight / 100}, {"dc_weight": dc_weight}, {}
    )
    if promote:
        registry.promote(settings, version)
    return version


@contextmanager
def store_with_champion(
    base_settings: Settings,
    shared_data: Path,
    mlflow_dir: Path,
    files: list[tuple[str, str]],
    model_check_interval_s: float,
) -> Iterator[Settings]:
    """A schema holding the football-data ``files`` (league, season) and a private registry
    whose champion was trained on the store's E0 matches; the schema is dropped on exit."""
    schema = f"t_serving_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    settings = base_settings.replace(
        database_url=f"{TEST_DATABASE_URL}?options=-csearch_path%3D{schema}",
        mlflow_tracking_uri=f"sqlite:///{mlflow_dir}/mlflow.db",
        mlflow_artifact_root=str(mlflow_dir / "artifacts"),
        football_data_url=(shared_data / "football-data").as_uri(),
        model_check_interval_s=model_check_interval_s,
    )
    try:
        with connect(settings) as conn:
            migrate(conn)
            conn.commit()
            import_history(conn, settings.football_data_url, files)
            conn.commit()
        train_and_register(settings, dc_weight=0.3)
        yield settings
    finally:
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(scope="session")
def serving_world(
    base_settings: Settings, shared_data: Path, tmp_path_factory
) -> Iterator[Settings]:
    """A schema with E0 2021-22 to 2023-24 and a registry whose champion was trained on it."""
    files = [("E0", s) for s in SEASONS]
    mlflow_dir = tmp_path_factory.mktemp("mlflow")
    with store_with_champion(base_settings, shared_data, mlflow_dir, files, 1.0) as settings:
        yield settings


@dataclass
class Api:
    """A running API: calls return (status, headers, JSON body)."""

    base: str
    settings: Settings  #: the stack's, broker included

    def call(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None, **headers: str
    ) -> tuple[int, dict[str, str], Any]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as resp:
                status, got, payload = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            status, got, payload = exc.code, dict(exc.headers), exc.read()
        got = {k.lower(): v for k, v in got.items()}
        is_json = got.get("content-type", "").startswith("application/json")
        decoded = json.loads(payload) if is_json else payload
        check_response(method, path, status, decoded)
        return status, got, decoded

    def predict(self, fixture: dict[str, Any]) -> tuple[int, Any]:
        status, _, body = self.call("POST", "/v1/predict", fixture)
        return status, body


@contextmanager
def rabbitmq_vhost() -> Iterator[str]:
    """The URL of a fresh RabbitMQ vhost, deleted on exit."""
    vhost = f"footcast_test_{uuid.uuid4().hex[:12]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        _rabbitmqctl("delete_vhost", vhost)


@contextmanager
def running_stack(
    settings: Settings,
    log_dir: Path,
    api_workers: int = 2,
    queues: tuple[str, ...] = ("ml", "ops"),
) -> Iterator[Api]:
    """A dramatiq worker (of ``queues``) and a gunicorn API, stopped on exit."""
    worker = spawn(worker_command(queues, threads=4), settings, log_dir / "worker.log")
    port = free_port()
    api = spawn(
        api_command(port, workers=api_workers, threads=4), settings, log_dir / f"api-{port}.log"
    )
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/health/live", 30, api)
        wait_consuming(settings, queues, worker, 120)
        yield Api(f"http://127.0.0.1:{port}", settings)
    finally:
        discard(api, worker)


@pytest.fixture
def serving_settings(serving_world: Settings, broker_settings: Settings) -> Settings:
    """The serving world on a private vhost."""
    return serving_world.replace(broker_url=broker_settings.broker_url)


@pytest.fixture(scope="module")
def stack(serving_world: Settings, tmp_path_factory) -> Iterator[Api]:
    """API and worker up on a vhost of their own, the worker's serving state loaded; shared by a
    test module."""
    with rabbitmq_vhost() as broker_url:
        settings = serving_world.replace(broker_url=broker_url)
        with running_stack(settings, tmp_path_factory.mktemp("stack")) as api:
            wait_answered(api, FIXTURE)
            yield api


def wait_answered(api: Api, fixture: dict[str, Any], timeout_s: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status, body = api.predict(fixture)
        if status == 200:
            return dict(body)
        assert time.monotonic() < deadline, f"no prediction: {status} {body}"
        time.sleep(0.5)
