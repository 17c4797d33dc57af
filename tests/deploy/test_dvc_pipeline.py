"""scripts/dvc-pipeline.sh: the chart's pipeline job reproduces and pushes from a read-only tree."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

STAGE = """\
stages:
  count:
    cmd: python -c "open('out.txt', 'w').write('42')"
    outs: [out.txt]
"""


@pytest.mark.slow
def test_pipeline_job_reproduces_in_a_workspace_and_pushes_to_the_remote(tmp_path: Path):
    source, workspace, remote = tmp_path / "app", tmp_path / "ws", tmp_path / "remote"
    (source / "scripts").mkdir(parents=True)
    workspace.mkdir()
    shutil.copy(ROOT / "scripts" / "dvc-pipeline.sh", source / "scripts")
    (source / "dvc.yaml").write_text(STAGE)
    for path in [source, *source.rglob("*")]:  # the image's tree is read-only
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "DVC_REMOTE_URL": str(remote),
    }
    subprocess.run(
        ["bash", str(source / "scripts" / "dvc-pipeline.sh"), str(workspace)],
        env=env, capture_output=True, check=True, timeout=180,
    )  # fmt: skip
    assert (workspace / "out.txt").read_text() == "42"
    assert (workspace / "dvc.lock").is_file()
    assert [p for p in remote.rglob("*") if p.is_file()], "nothing was pushed"
    assert not (source / "dvc.lock").exists()
