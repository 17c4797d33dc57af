"""A scratch footcast next to the operator's: its own database, RabbitMQ vhost, model
registry and cache key space, all removed afterwards.

``footcast replay`` runs a past season through a real API and worker on one, so the
operator's store, bus and caches never see the replayed data.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import redis

from cli.processes import api_command, free_port, spawn, stop, wait_http_ok, worker_command
from core.cache import namespace
from core.settings import PROJECT_ROOT, Settings
from etl.store.databases import create_database, drop_database

#: How often scratch workers look for a new champion and new results (s): a replay waits
#: for every matchday's results to be served, so they look often.
CHECK_INTERVAL_S = 0.25
#: Seconds the scratch API may take to answer its readiness probe.
READY_TIMEOUT_S = 90


@dataclass(frozen=True)
class Scratch:
    """Settings of the scratch footcast, and a directory for its files (a ``file://``
    mirror the importers read, its model registry)."""

    settings: Settings
    directory: Path
    name: str

    @property
    def mirror_url(self) -> str:
        return (self.directory / "mirror").as_uri()


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def _with_vhost(broker_url: str, vhost: str) -> str:
    parts = urlsplit(broker_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{quote(vhost, safe='')}", parts.query, ""))


@contextlib.contextmanager
def scratch(settings: Settings, purpose: str) -> Iterator[Scratch]:
    """Create the scratch database, vhost and directory; remove them (and the scratch key
    space in both Redis databases) however the block ends."""
    name = f"footcast_{purpose}_{uuid.uuid4().hex[:10]}"
    directory = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    (directory / "mirror").mkdir()
    user = unquote(urlsplit(settings.broker_url).username or "guest")
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, directory, True)
        url = create_database(settings.database_url, name)
        stack.callback(drop_database, settings.database_url, name)
        _rabbitmqctl("add_vhost", name)
        stack.callback(_rabbitmqctl, "delete_vhost", name)
        _rabbitmqctl("set_permissions", "-p", name, user, ".*", ".*", ".*")
        scratch_settings = settings.replace(
            database_url=url,
            broker_url=_with_vhost(settings.broker_url, name),
            mlflow_tracking_uri=f"sqlite:///{directory / 'mlflow.db'}",
            mlflow_artifact_root=str(directory / "mlartifacts"),
            model_check_interval_s=CHECK_INTERVAL_S,
            data_check_interval_s=CHECK_INTERVAL_S,
        )
        stack.callback(_forget_keys, scratch_settings)
        yield Scratch(scratch_settings, directory, name)


def _forget_keys(settings: Settings) -> None:
    """Delete the scratch registry's keys (serving record, features, predictions)."""
    prefix = namespace(settings)
    for url in {settings.results_url, settings.cache_url}:
        client = redis.Redis.from_url(url)
        try:
            keys = list(client.scan_iter(f"{prefix}*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])
        finally:
            client.close()


@contextlib.contextmanager
def running_stack(scratch_: Scratch, *, worker_threads: int = 8) -> Iterator[str]:
    """An API and a worker on the scratch settings; yields the API's URL once it is ready.

    Their logs go to ``var/log/<scratch name>-api.log`` and ``-worker.log``, which outlive
    the scratch footcast so a failed run can be read afterwards.
    """
    log_dir = PROJECT_ROOT / "var" / "log"
    port = free_port()
    settings = scratch_.settings.replace(api_port=port)
    api = spawn(api_command(port), settings, log_dir / f"{scratch_.name}-api.log")
    try:
        worker = spawn(
            worker_command(processes=1, threads=worker_threads),
            settings,
            log_dir / f"{scratch_.name}-worker.log",
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_http_ok(f"{url}/health/ready", READY_TIMEOUT_S, api)
            yield url
        finally:
            stop(worker)
    finally:
        stop(api)
