"""Start and stop footcast's own processes (API, worker): the demo, tests and benchmarks.

The commands here are the ones in ``Procfile`` and the Helm chart, so every way of running
footcast runs the same thing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from actors.contracts import QUEUES
from core.settings import PROJECT_ROOT, Settings


def api_command(port: int, *, workers: int = 2, threads: int = 8) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "api.wsgi:app",
        "--bind", f"127.0.0.1:{port}",
        "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
        "--graceful-timeout", "20", "--config", "python:api.gunicorn_conf",
    ]  # fmt: skip


#: Queues of the general worker; ``pipeline`` has a worker group of its own.
WORKER_QUEUES = tuple(q for q in QUEUES if q != "pipeline")


def worker_command(
    queues: Sequence[str] = WORKER_QUEUES, *, processes: int = 1, threads: int = 8
) -> list[str]:
    """``footcast worker``: dramatiq on ``queues`` under its supervisor."""
    return [
        sys.executable, "-m", "cli.entry", "worker",
        "--processes", str(processes), "--threads", str(threads), *queues,
    ]  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(command: list[str], settings: Settings, log_path: Path) -> subprocess.Popen[bytes]:
    """Start a child with ``settings`` in its environment and its output in ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **settings.as_env(), "PYTHONUNBUFFERED": "1"}
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def wait_http_ok(url: str, timeout_s: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``url`` until it answers 200; fail early if ``proc`` dies meanwhile."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} was up")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout_s}s: {last}")


def wait_consuming(
    settings: Settings,
    queues: Sequence[str],
    proc: subprocess.Popen[bytes],
    timeout_s: float,
    consumers: int = 1,
) -> None:
    """Poll the broker until a started worker consumes every one of ``queues`` (the API
    answers 503 no_worker before that), with ``consumers`` processes each (a process that
    loads its serving state first attaches once loaded); fail early if ``proc`` dies."""
    from actors.queue_status import queue_status

    deadline = time.monotonic() + timeout_s
    while not all(s.consumers >= consumers for s in queue_status(settings, queues).values()):
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode} before consuming {queues}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no worker consumes {list(queues)} after {timeout_s}s")
        time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 20) -> int:
    """Ask the process to stop as Kubernetes does (SIGTERM to it alone, so gunicorn and
    dramatiq wind their children down gracefully), then kill its whole group if it hangs."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode
