"""Fault injection for tests: hard kills, polling, private RabbitMQ and PostgreSQL servers.

A fault test starts, stops and kills only processes it owns; the shared services on their
usual ports are never touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable

import pytest


def kill_hard(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process started with ``cli.processes.spawn`` and all its children."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def wait_until(condition: Callable[[], object], timeout_s: float, what: str) -> object:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.1)
