"""Fault injection for tests: hard kills, polling, private RabbitMQ and PostgreSQL servers.

A fault test starts, stops and kills only processes it owns; the shared services on their
usual ports are never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pika
import pika.exceptions
import psutil
import pytest
import redis

from cli.processes import free_port


def kill_hard(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process started with ``cli.processes.spawn`` and all its children."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def missing_tool(what: str) -> None:
    """Skip a test whose server binaries are not installed; in CI (``CI=true``) fail instead,
    so that a run without the tools cannot pass by testing nothing."""
    message = f"{what} is not installed (make services installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def worker_children(proc: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The processes that run messages under a ``footcast worker`` (supervisor → dramatiq
    main → these): the leaves of its process tree, less dramatiq's fork process that serves
    the worker's metrics (the one leaf that listens on a port)."""
    tree = psutil.Process(proc.pid).children(recursive=True)
    return [p for p in tree if not p.children() and not _listens(p)]


def _listens(process: psutil.Process) -> bool:
    return any(c.status == psutil.CONN_LISTEN for c in process.net_connections(kind="tcp"))


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


class PrivateRabbitMQ:
    """A RabbitMQ node of the test's own: own node name, ports, data and logs under ``root``.

    It runs in the foreground as a child of the test (its own process group), so stopping it
    never touches the shared node on 5672. As root the Debian wrapper would switch to the
    ``rabbitmq`` user, so the server script is run directly.
    """

    def __init__(self, root: Path) -> None:
        script = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
        found = str(script) if os.geteuid() == 0 and script.exists() else None
        self.server = found or shutil.which("rabbitmq-server")
        if self.server is None:
            missing_tool("rabbitmq-server")
        self.root = root
        self.port = free_port()
        self.node = f"footcast_test_{uuid.uuid4().hex[:8]}@localhost"
        self.proc: subprocess.Popen[bytes] | None = None
        (root / "mnesia").mkdir(parents=True, exist_ok=True)
        (root / "enabled_plugins").write_text("[].\n")
        (root / "rabbitmq.conf").write_text(f"listeners.tcp.1 = 127.0.0.1:{self.port}\n")
        (root / "rabbitmq-env.conf").write_text("")
        self.env = {
            **os.environ,
            "HOME": str(root),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_CONF_ENV_FILE": str(root / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(root / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(root / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(root / "log"),
            "RABBITMQ_FEATURE_FLAGS_FILE": str(root / "feature_flags"),
            "RABBITMQ_PID_FILE": str(root / "rabbitmq.pid"),
            "ERL_CRASH_DUMP": str(root / "erl_crash.dump"),
        }

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def start(self, timeout_s: float = 60) -> float:
        """Start the node (keeping its data) and wait until it accepts logins; seconds taken."""
        started = time.monotonic()
        with (self.root / "server.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [self.server], cwd=self.root, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        params = pika.URLParameters(self.url)
        params.connection_attempts = 1
        params.socket_timeout = 2
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"private RabbitMQ exited; see {self.root / 'server.log'}")
            try:
                pika.BlockingConnection(params).close()
                return time.monotonic() - started
            except pika.exceptions.AMQPError:
                if time.monotonic() - started > timeout_s:
                    pytest.fail(f"private RabbitMQ not up after {timeout_s}s")
                time.sleep(0.2)

    def stop(self) -> float:
        """Stop the node (SIGTERM, then SIGKILL after 30 s); seconds taken."""
        started = time.monotonic()
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        return time.monotonic() - started


class PrivateRedis:
    """A Redis server of the test's own on a free port, without persistence.

    ``stop`` is an outage: whatever it held is gone when it starts again, as after a crash of
    a Redis that keeps nothing on disk.
    """

    def __init__(self, root: Path) -> None:
        self.server = shutil.which("redis-server")
        if self.server is None:
            missing_tool("redis-server")
        self.root = root
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout_s: float = 20) -> None:
        with (self.root / "server.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [self.server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.root)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        client = redis.Redis.from_url(self.url(), socket_timeout=1)
        wait_until(lambda: _answers(client), timeout_s, "the private Redis to answer")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(20)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, in a temporary directory on a free port.

    ``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres``
    OS user. ``stop`` and ``start`` keep the data: that is the outage.
    """

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not bins:
            missing_tool("PostgreSQL server (pg_ctl)")
        self.bin = bins[-1].parent
        self.as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="footcast-pg-"))
        if self.as_root:
            shutil.chown(self.root, "postgres")
        self.data = self.root / "data"
        self.port = free_port()
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "-t", "30", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``fast`` closes sessions cleanly; ``immediate`` is a crash (recovery on start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
