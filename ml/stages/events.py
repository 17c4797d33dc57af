"""The pipeline's events, published by the stages through the ``footcast`` command.

The ML side never imports the bus: a stage runs ``footcast pipeline event NAME --data JSON``
(or ``footcast model publish-promoted``) as a child process with its own settings. Events
are reports: one that cannot be published is a warning on stderr and the stage goes on;
only a promotion the bus did not hear fails the stage (``register``), since workers would
keep serving the old champion.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.settings import Settings

#: The first stage of ``dvc.yaml``: its start is the pipeline's start.
FIRST_STAGE = "export"
#: Seconds a ``footcast`` child may take to publish one message.
PUBLISH_TIMEOUT_S = 120


def footcast(settings: Settings, *args: str) -> None:
    """Run ``footcast ARGS`` (the one beside this interpreter) with ``settings``; raises
    ``OSError`` or ``subprocess.SubprocessError`` (its stderr attached) when it fails."""
    command = shutil.which("footcast", path=str(Path(sys.executable).parent)) or "footcast"
    env = {**os.environ, **settings.as_env()}
    subprocess.run(
        [command, *args], env=env, check=True, capture_output=True, text=True,
        timeout=PUBLISH_TIMEOUT_S,
    )  # fmt: skip


def publish_event(settings: Settings, event: str, **fields: Any) -> bool:
    """Publish one pipeline event; warn on stderr and return False if it could not be."""
    try:
        footcast(settings, "pipeline", "event", event, "--data", json.dumps(fields))
    except (OSError, subprocess.SubprocessError) as exc:
        detail = (getattr(exc, "stderr", None) or str(exc)).strip()
        print(f"warning: {event} was not published: {detail}", file=sys.stderr)
        return False
    return True


@contextmanager
def stage_events(stage: str, settings: Settings) -> Iterator[None]:
    """Publish ``pipeline_started`` (first stage), then ``stage_finished {stage, seconds}``
    or, if the stage fails, ``pipeline_failed {stage, error}``, and let the failure go on."""
    if stage == FIRST_STAGE:
        publish_event(settings, "pipeline_started")
    started = time.monotonic()
    try:
        yield
    except SystemExit as exc:
        if exc.code not in (None, 0):
            publish_event(settings, "pipeline_failed", stage=stage, error=str(exc.code))
        raise
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        publish_event(settings, "pipeline_failed", stage=stage, error=error)
        raise
    publish_event(settings, "stage_finished", stage=stage, seconds=time.monotonic() - started)
