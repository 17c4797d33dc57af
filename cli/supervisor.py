"""A supervisor for one dramatiq worker: restart it when it dies, stop it when asked.

Dramatiq's main process stops itself when one of its worker processes dies (an OOM kill, a
SIGKILL); nothing restarts it under ``make run`` or the Procfile, and in a pod the restart
costs the container's whole boot. ``Supervisor`` starts the worker again, after a back-off
that doubles while it keeps dying and resets once it has run for a while, and forwards
SIGTERM/SIGINT so a stop finishes the messages in hand.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import structlog

log = structlog.get_logger("footcast.supervisor")

#: First wait before restarting a worker that died (s); doubles up to ``MAX_BACKOFF_S``.
MIN_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
#: A worker that ran this long before dying is restarted after ``MIN_BACKOFF_S`` again (s).
STABLE_S = 60.0
#: File in the state directory holding how many worker processes make the group ready
#: (``scripts/probe.py ready`` compares the live ``ready-<pid>`` files with it).
EXPECTED_FILE = "expected"
#: Directory in the state directory where the worker processes keep their metric samples.
METRICS_DIR = "prometheus"


class Supervisor:
    """Runs ``command`` until asked to stop, restarting it whenever it exits on its own."""

    def __init__(
        self,
        command: Sequence[str],
        env: dict[str, str],
        state_dir: Path,
        processes: int,
        min_backoff_s: float = MIN_BACKOFF_S,
        max_backoff_s: float = MAX_BACKOFF_S,
    ) -> None:
        self.command = list(command)
        self.env = env
        self.state_dir = state_dir
        self.processes = processes
        self.min_backoff_s = min_backoff_s
        self.max_backoff_s = max_backoff_s
        self.child: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.restarts = 0

    def _forward(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping.set()
        child = self.child
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM if signum == signal.SIGINT else signum)

    def _reset_state(self) -> None:
        """Forget the previous worker's ready marks and metric samples (its counters start
        again from zero, which Prometheus reads as a counter reset)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.state_dir.glob("ready-*"):
            stale.unlink(missing_ok=True)
        shutil.rmtree(self.state_dir / METRICS_DIR, ignore_errors=True)
        (self.state_dir / METRICS_DIR).mkdir()
        (self.state_dir / EXPECTED_FILE).write_text(f"{self.processes}\n")

    def run(self) -> int:
        """Supervise until SIGTERM/SIGINT; the worker's exit status after a requested stop."""
        signal.signal(signal.SIGTERM, self._forward)
        signal.signal(signal.SIGINT, self._forward)
        backoff_s = self.min_backoff_s
        while True:
            self._reset_state()
            started = time.monotonic()
            self.child = subprocess.Popen(self.command, env=self.env)
            log.info("worker started", pid=self.child.pid, restarts=self.restarts)
            code = self.child.wait()
            if self.stopping.is_set():
                return code
            if time.monotonic() - started >= STABLE_S:
                backoff_s = self.min_backoff_s
            log.error("worker exited unexpectedly; restarting", code=code, in_s=backoff_s)
            if self.stopping.wait(backoff_s):
                return code
            backoff_s = min(backoff_s * 2, self.max_backoff_s)
            self.restarts += 1
