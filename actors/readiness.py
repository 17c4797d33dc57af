"""Worker readiness: a process is ready once its actors can serve, not merely started.

Actor modules register what must be in place before they can answer (the ``ml`` group: the
champion and the feature state in memory). In a process that serves only such queues,
``ReadyFile`` runs those preparations before the worker starts consuming, so a process
that cannot serve yet takes no message: while it loads, its queue has no consumer and the
API answers ``503 no_worker`` at once instead of holding requests behind the load. Then it
writes ``ready-<pid>`` in the state directory, which the chart's readiness probe
(``scripts/probe.py ready``) reads. The file goes when the process stops; a file whose
process died is ignored by the probe.
"""

from __future__ import annotations

import gc
import os
import threading
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
    """Runs the preparations, then writes the ready file (if there is a state directory:
    ``footcast worker`` gives one).

    With ``before_consuming`` (a process that serves only queues whose actors need the
    preparations, like the ``ml`` group) they run before the worker consumes; otherwise
    (one worker for every queue, as under ``make run``) in the background, so the other
    queues are served meanwhile.
    """

    def __init__(self, directory: str, *, before_consuming: bool) -> None:
        self.directory = directory
        self.before_consuming = before_consuming

    def before_worker_boot(self, broker: Broker, worker: Any) -> None:
        if self.before_consuming:
            self._prepare()

    def after_worker_boot(self, broker: Broker, worker: Any) -> None:
        if self.before_consuming:
            self._mark_ready()
        else:
            threading.Thread(target=self._prepare_then_mark, name="footcast-readiness",
                             daemon=True).start()  # fmt: skip

    def _prepare(self) -> None:
        for preparation in PREPARATIONS:
            preparation()
        # what the process loaded (libraries, the champion, the feature state) lives as long
        # as it does: out of the collector, whose full walks of a quarter of a million
        # objects paused every thread for about 150 ms
        gc.freeze()

    def _prepare_then_mark(self) -> None:
        self._prepare()
        self._mark_ready()

    def _mark_ready(self) -> None:
        if not self.directory:
            return
        path = ready_path(self.directory)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("ready\n")
        log.info("worker process ready", path=str(path))

    def before_worker_shutdown(self, broker: Broker, worker: Any) -> None:
        if self.directory:
            ready_path(self.directory).unlink(missing_ok=True)
