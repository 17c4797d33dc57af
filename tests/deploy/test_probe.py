"""scripts/probe.py: the workers' exec probes."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from types import ModuleType

import pytest

from .conftest import ROOT

PROBE = ROOT / "scripts" / "probe.py"


@pytest.fixture(scope="module")
def probe() -> ModuleType:
    spec = importlib.util.spec_from_file_location("probe", PROBE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_tcp_probe_passes_when_the_service_in_the_url_listens(probe, monkeypatch):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        monkeypatch.setenv("PROBE_URL", f"amqp://u:p@127.0.0.1:{port}/%2F")
        assert probe.tcp("PROBE_URL") is None


def test_tcp_probe_fails_with_a_reason_when_nothing_listens_or_nothing_is_set(probe, monkeypatch):
    monkeypatch.setenv("PROBE_URL", f"amqp://127.0.0.1:{_closed_port()}/")
    assert "unreachable" in probe.tcp("PROBE_URL", timeout_s=1)
    monkeypatch.delenv("PROBE_URL")
    assert probe.tcp("PROBE_URL") == "PROBE_URL is not set"


def test_children_probe_sees_a_live_child_process(probe):
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert probe.children(os.getpid()) is None
    finally:
        child.kill()
        child.wait()


def test_children_probe_fails_when_the_only_children_are_zombies(probe, tmp_path):
    def process(pid: int, name: str, state: str, ppid: int) -> None:
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({name}) {state} {ppid} 1 1 0 -1\n")

    process(1, "dramatiq", "S", 0)
    process(7, "dramatiq worker", "Z", 1)
    assert "no live child" in probe.children(1, proc=tmp_path)
    process(8, "dramatiq) (odd", "S", 1)
    assert probe.children(1, proc=tmp_path) is None


def test_probe_command_exits_nonzero_with_the_reason(tmp_path):
    env = {**os.environ, "FOOTCAST_BROKER_URL": f"amqp://127.0.0.1:{_closed_port()}/"}
    out = subprocess.run(
        [sys.executable, str(PROBE), "tcp", "FOOTCAST_BROKER_URL"],
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert out.returncode == 1 and "unreachable" in out.stderr
    usage = subprocess.run([sys.executable, str(PROBE), "nonsense"], capture_output=True)
    assert usage.returncode == 2


def test_ready_probe_counts_live_ready_processes_against_the_expected_number(
    probe, tmp_path, monkeypatch
):
    monkeypatch.setenv("STATE_DIR", str(tmp_path))
    assert "no worker supervised" in probe.ready("STATE_DIR")
    (tmp_path / "expected").write_text("2\n")
    (tmp_path / f"ready-{os.getpid()}").write_text("ready\n")
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / f"ready-{dead.pid}").write_text("ready\n")
    assert probe.ready("STATE_DIR") == "1 of 2 worker processes ready"
    child = subprocess.Popen(["sleep", "30"])
    try:
        (tmp_path / f"ready-{child.pid}").write_text("ready\n")
        assert probe.ready("STATE_DIR") is None
    finally:
        child.kill()
        child.wait()
