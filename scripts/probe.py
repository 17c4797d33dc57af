"""Kubernetes exec probes for processes that serve no HTTP (the Dramatiq workers).

Standard library only, so a probe costs milliseconds and never imports footcast:

    python scripts/probe.py tcp FOOTCAST_BROKER_URL   # the service in that URL accepts TCP
    python scripts/probe.py children                  # PID 1 still has live child processes
    python scripts/probe.py ready FOOTCAST_WORKER_STATE_DIR  # every worker process can serve

Liveness uses ``children`` (a worker whose processes died must restart; a broker outage must
not restart it); readiness uses ``ready``: ``footcast worker`` writes how many processes it
runs in the state directory (``expected``), and each worker process writes ``ready-<pid>``
once its actors can serve (``ml``: champion and feature state loaded).
Exit status 0 means healthy; the reason for a failure is printed.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

#: Ports implied by a URL scheme when the URL names none.
DEFAULT_PORTS = {"amqp": 5672, "amqps": 5671, "redis": 6379, "rediss": 6379, "postgresql": 5432}
TIMEOUT_S = 2.0


def tcp(env_name: str, timeout_s: float = TIMEOUT_S) -> str | None:
    """Why the service named by the URL in ``env_name`` is unreachable, or None if it answers."""
    url = os.environ.get(env_name)
    if not url:
        return f"{env_name} is not set"
    parts = urlsplit(url)
    port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    if not parts.hostname or not port:
        return f"{env_name} names no host and port"
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout_s).close()
    except OSError as exc:
        return f"{parts.hostname}:{port} unreachable: {exc}"
    return None


def children(parent_pid: int = 1, proc: Path = Path("/proc")) -> str | None:
    """Why ``parent_pid`` has no live (non-zombie) child process, or None if it has one."""
    for stat in proc.glob("[0-9]*/stat"):
        try:
            # the command name may hold spaces: fields after its closing ")" are fixed
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        state, ppid = fields[0], int(fields[1])
        if ppid == parent_pid and state != "Z":
            return None
    return f"process {parent_pid} has no live child process"


def ready(env_name: str) -> str | None:
    """Why the worker group whose state directory ``env_name`` names is not ready, or None."""
    directory = os.environ.get(env_name)
    if not directory:
        return f"{env_name} is not set"
    state = Path(directory)
    try:
        expected = int((state / "expected").read_text())
    except (OSError, ValueError):
        return f"no worker supervised in {state}"
    alive = 0
    for marker in state.glob("ready-*"):
        try:
            os.kill(int(marker.name.removeprefix("ready-")), 0)
        except (ValueError, ProcessLookupError):
            continue
        except PermissionError:
            pass
        alive += 1
    if alive < expected:
        return f"{alive} of {expected} worker processes ready"
    return None


def main(argv: list[str]) -> int:
    if argv[:1] == ["tcp"] and len(argv) == 2:
        problem = tcp(argv[1])
    elif argv[:1] == ["ready"] and len(argv) == 2:
        problem = ready(argv[1])
    elif argv == ["children"]:
        problem = children()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
