"""Worker readiness: a process is ready once its actors can serve, not merely started.

Actor modules register what must be in place before they can answer (the ``ml`` group: the
champion and the feature state in memory). ``ReadyFile`` runs those preparations before the
worker process starts consuming, so a process that cannot serve yet takes no message: while
it loads, its queue has no consumer and the API answers ``503 no_worker`` at once instead
of holding requests behind the load. Then it writes ``ready-<pid>`` in the state directory,
which the chart's readiness probe (``scripts/probe.py ready``) reads. The file goes when the
process stops; a file whose process died is ignored by the probe.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from dramatiq import Broker, Middleware

#: What must finish before this process is ready, registered by the actor modules it serves.
PREPARATIONS: list[Callable[[], object]] = []

log = structlog.get_logger("footcast.readiness")


def prepare(preparation: Callable[[], object]) -> None:
    """Make readiness wait for ``preparation`` (which blocks until its part can serve)."""
    PREPARATIONS.append(preparation)


def ready_path(directory: str | Path, pid: int | None = None) -> Path:
    return Path(directory) / f"ready-{os.getpid() if pid is None else pid}"


class ReadyFile(Middleware):
    """Runs the preparations before the worker consumes, then writes its ready file (if
    there is a state directory: ``footcast worker`` gives one)."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def before_worker_boot(self, broker: Broker, worker: Any) -> None:
        for preparation in PREPARATIONS:
            preparation()

    def after_worker_boot(self, broker: Broker, worker: Any) -> None:
        if not self.directory:
            return
        path = ready_path(self.directory)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("ready\n")
        log.info("worker process ready", path=str(path))

    def before_worker_shutdown(self, broker: Broker, worker: Any) -> None:
        if self.directory:
            ready_path(self.directory).unlink(missing_ok=True)
