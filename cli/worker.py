"""``footcast worker``: dramatiq on the given queues, supervised (restarted if it dies).

It imports nothing heavy itself (``cli.entry`` runs it without loading the other commands),
so the time to a worker's first message is the worker's own boot.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import click

from actors.contracts import QUEUES
from cli.context import pass_settings
from cli.processes import free_port
from cli.supervisor import METRICS_DIR, Supervisor
from core.settings import PREFIX, Settings


def dramatiq_command(queues: tuple[str, ...], processes: int, threads: int) -> list[str]:
    return [
        sys.executable, "-m", "dramatiq", "actors.worker:boot",
        "--processes", str(processes), "--threads", str(threads), "--queues", *queues,
    ]  # fmt: skip


@click.command()
@click.option("--processes", type=click.IntRange(1), default=1, show_default=True)
@click.option("--threads", type=click.IntRange(1), default=8, show_default=True)
@click.argument("queues", nargs=-1, type=click.Choice(QUEUES))
@pass_settings
def worker(settings: Settings, processes: int, threads: int, queues: tuple[str, ...]) -> None:
    """Serve QUEUES (default: all) with dramatiq, restarting it with back-off if it dies.

    Worker processes mark themselves ready in FOOTCAST_WORKER_STATE_DIR (a temporary
    directory if unset) once their actors can serve; `scripts/probe.py ready` reads it.
    Their metrics are served on FOOTCAST_WORKER_METRICS_PORT (0: a free port, written to
    `metrics-port` in the state directory).
    """
    queues = queues or QUEUES
    state_dir = settings.worker_state_dir or tempfile.mkdtemp(prefix="footcast-worker-")
    port = settings.worker_metrics_port or free_port()
    (Path(state_dir) / "metrics-port").parent.mkdir(parents=True, exist_ok=True)
    (Path(state_dir) / "metrics-port").write_text(f"{port}\n")
    env = {
        **os.environ,
        f"{PREFIX}WORKER_QUEUES": ",".join(queues),
        f"{PREFIX}WORKER_STATE_DIR": state_dir,
        # dramatiq's Prometheus middleware: its samples and its exposition port; our own
        # metrics (pipeline events) write their samples to the same directory
        "dramatiq_prom_db": str(Path(state_dir) / METRICS_DIR),
        "dramatiq_prom_port": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(Path(state_dir) / METRICS_DIR),
    }
    supervisor = Supervisor(dramatiq_command(queues, processes, threads), env,
                            Path(state_dir), processes)  # fmt: skip
    try:
        code = supervisor.run()
    finally:
        if not settings.worker_state_dir:
            shutil.rmtree(state_dir, ignore_errors=True)
    sys.exit(code)
