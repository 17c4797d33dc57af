"""gunicorn hooks of the API: ``gunicorn -c python:api.gunicorn_conf api.wsgi:app``.

The API runs several gunicorn worker processes, and ``GET /metrics`` must count the
requests of all of them, so metrics use prometheus-client's multiprocess mode: every
process writes its samples to files in one directory (``PROMETHEUS_MULTIPROC_DIR``, a fresh
temporary directory unless set), which any process reads when scraped. The directory is
set here, in the master, before any worker imports prometheus-client.

Each worker listens on a socket of its own (``reuse_port``: ``SO_REUSEPORT``), so the
kernel spreads new connections over the workers. On one shared socket, whichever worker
was waiting in ``accept`` took them: a load of 16 keep-alive connections would often land
on one process, which then served at one core's pace while the others idled.

Each worker freezes what it loaded (``gc.freeze``) once its app is up: a quarter of a
million long-lived objects (Falcon, pika, redis, structlog, the app) that every full
collection would otherwise walk, a pause of the whole process each time.
"""

from __future__ import annotations

import gc
import os
import tempfile
from pathlib import Path
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

reuse_port = True


def on_starting(server: Any) -> None:
    directory = Path(os.environ.get(MULTIPROC_ENV) or tempfile.mkdtemp(prefix="footcast-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(directory)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker: Any) -> None:
    gc.freeze()
