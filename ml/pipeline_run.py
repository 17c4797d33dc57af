"""One run of the DVC pipeline in a workspace: what the ``run_pipeline`` actor calls.

The project tree (``settings.pipeline_source``, read-only in the image) is copied into a
fresh directory of the workspace, DVC is pointed at the remote and at a cache that outlives
the copy, ``dvc repro`` runs under the settings' time limit, and the outputs and
``dvc.lock`` are pushed to the remote. Only one run at a time: a request that finds the
pipeline locked is recorded as skipped. Every run is recorded in ``pipeline_runs``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.db import connect
from core.settings import Settings
from etl.store import pipeline_runs
from ml.stages.paths import DEFAULT_ROOT

#: Directories never copied into a workspace (tools, caches, local state, tests).
NOT_COPIED = {
    ".venv", "var", ".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
    "tests", "benchmarks", "helm", "secrets",
}  # fmt: skip
#: Characters of a failed run's output kept as its error.
ERROR_TAIL = 2000
#: Seconds ``dvc push`` may take after the run.
PUSH_TIMEOUT_S = 1800


@dataclass(frozen=True)
class PipelineResult:
    run_id: int
    status: str  #: succeeded, failed or skipped
    version: str | None = None  #: the challenger registered
    promoted: bool | None = None
    error: str | None = None
    stage: str | None = None  #: the stage that was running when it failed
    timed_out: bool = False


def copy_tree(source: Path, target: Path) -> None:
    """The project tree without local state, tools and caches (``.dvc/tmp``, ``.dvc/cache``)."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in NOT_COPIED or n.endswith(".egg-info")}
        if Path(directory).name == ".dvc":
            skipped |= {"tmp", "cache", "config.local"}
        return skipped

    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=ignore)
    for path in [target, *target.rglob("*")]:  # the image's tree is read-only
        path.chmod(path.stat().st_mode | 0o200)


def _dvc(tree: Path, env: dict[str, str], *args: str, timeout_s: float) -> str:
    """Run ``dvc ARGS`` in its own process group; kill the whole group on time-out."""
    proc = subprocess.Popen(
        ["dvc", *args], cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise subprocess.TimeoutExpired(exc.cmd, timeout_s, output=out) from None
    except BaseException:  # the worker shuts down: its own session would outlive it
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, ["dvc", *args], output=out)
    return out


def prepare(settings: Settings, workspace: Path) -> tuple[Path, dict[str, str]]:
    """A fresh copy of the tree configured for the remote; the environment stages run in."""
    tree = workspace / "tree"
    copy_tree(Path(settings.pipeline_source), tree)
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        **settings.as_env(),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    if not (tree / ".dvc").is_dir():
        _dvc(tree, env, "init", "--no-scm", "--quiet", timeout_s=120)
    remote = {"url": settings.dvc_remote_url}
    if os.environ.get("AWS_ENDPOINT_URL"):
        remote["endpointurl"] = os.environ["AWS_ENDPOINT_URL"]
    local = {
        "core": {"no_scm": "true", "remote": "storage"},
        "cache": {"dir": str(workspace / "cache")},
        "'remote \"storage\"'": remote,
    }
    (tree / ".dvc" / "config.local").write_text(_dvc_config(local))
    return tree, env


def _running_stage(output: str) -> str | None:
    """The last stage DVC started, from its output (``Running stage 'train':``)."""
    found = re.findall(r"Running stage '([^']+)'", output)
    return found[-1] if found else None


def _dvc_config(sections: dict[str, dict[str, str]]) -> str:
    """DVC's ``config.local`` (INI as ``dvc config --local`` writes it), written at once:
    a ``dvc config`` call per option costs a Python start-up of two seconds each."""
    lines = []
    for section, options in sections.items():
        lines.append(f"[{section}]")
        lines += [f"    {key} = {json.dumps(value)}" for key, value in options.items()]
    return "\n".join(lines) + "\n"


def reproduce(settings: Settings, workspace: Path) -> tuple[PipelineResult, str | None]:
    """``dvc repro`` then ``dvc push``; the result (run id 0) and the ``dvc.lock`` left."""
    tree, env = prepare(settings, workspace)
    lock = tree / "dvc.lock"
    try:
        _dvc(tree, env, "repro", "--pull", timeout_s=settings.pipeline_time_limit_s)
        _dvc(tree, env, "push", timeout_s=PUSH_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        output = str(exc.output or "")
        error = f"time limit of {settings.pipeline_time_limit_s:.0f} s exceeded"
        text = lock.read_text() if lock.exists() else None
        return PipelineResult(0, "failed", error=error, stage=_running_stage(output),
                              timed_out=True), text  # fmt: skip
    except subprocess.CalledProcessError as exc:
        output = str(exc.output or "")
        text = lock.read_text() if lock.exists() else None
        return PipelineResult(0, "failed", error=output[-ERROR_TAIL:],
                              stage=_running_stage(output)), text  # fmt: skip
    registration = json.loads((tree / DEFAULT_ROOT / "reports" / "registration.json").read_text())
    return PipelineResult(
        0, "succeeded", version=str(registration["version"]),
        promoted=bool(registration["promoted"]),
    ), lock.read_text()  # fmt: skip


def run_pipeline(
    settings: Settings, reason: str, requested_at: datetime | None = None
) -> PipelineResult:
    """Run the pipeline once unless a run is in progress (then record the request skipped)."""
    handled_by = f"{socket.gethostname()}:{os.getpid()}"
    with connect(settings, autocommit=True) as conn:
        if not pipeline_runs.try_lock(conn):
            run_id = pipeline_runs.record_skipped(conn, reason, requested_at, handled_by)
            return PipelineResult(run_id, "skipped", error="another run was in progress")
        try:
            run_id = pipeline_runs.start_run(conn, reason, requested_at, handled_by)
            workspace = Path(settings.pipeline_workspace)
            workspace.mkdir(parents=True, exist_ok=True)
            try:
                result, lock_text = reproduce(settings, workspace)
            except BaseException as exc:  # shutdown, time limit: the record says so
                pipeline_runs.finish_run(
                    conn, run_id, status="failed", dvc_lock=None, model_version=None,
                    promoted=None, error=f"interrupted: {type(exc).__name__} {exc}",
                )  # fmt: skip
                raise
            pipeline_runs.finish_run(
                conn, run_id, status=result.status, dvc_lock=lock_text,
                model_version=result.version, promoted=result.promoted, error=result.error,
            )  # fmt: skip
        finally:
            pipeline_runs.unlock(conn)
    return PipelineResult(
        run_id, result.status, result.version, result.promoted, result.error, result.stage,
        result.timed_out,
    )  # fmt: skip
