"""One pipeline run at a time, failures and time-outs recorded with their stage (a tiny
DVC project, no models)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.db import connect
from core.settings import Settings
from etl.migrate import migrate
from etl.store import pipeline_runs
from ml.pipeline_run import run_pipeline

pytestmark = pytest.mark.integration

STAGES = """\
stages:
  first:
    cmd: python -c "open('one.txt', 'w').write('1')"
    outs: [one.txt]
  second:
    cmd: {second}
    deps: [one.txt]
    outs: [two.txt]
"""


def _settings(pg_settings: Settings, tmp_path: Path, second: str, limit_s: float) -> Settings:
    source = tmp_path / "source"
    source.mkdir()
    (source / "dvc.yaml").write_text(STAGES.format(second=second))
    with connect(pg_settings, autocommit=True) as conn:
        migrate(conn)
    return pg_settings.replace(
        pipeline_source=str(source),
        pipeline_workspace=str(tmp_path / "workspace"),
        dvc_remote_url=str(tmp_path / "remote"),
        pipeline_time_limit_s=limit_s,
    )


def test_a_request_while_a_run_holds_the_pipeline_is_recorded_as_skipped(
    pg_settings: Settings, tmp_path: Path
):
    settings = _settings(pg_settings, tmp_path, "true", 60)
    with connect(settings, autocommit=True) as holder:
        assert pipeline_runs.try_lock(holder)
        result = run_pipeline(settings, "weekly retrain")
    assert (result.status, result.error) == ("skipped", "another run was in progress")
    assert not (tmp_path / "workspace").exists()
    with connect(settings) as conn:
        [run] = pipeline_runs.recent_runs(conn)
    assert (run.reason, run.status) == ("weekly retrain", "skipped")


@pytest.mark.slow
def test_a_failing_stage_is_recorded_with_its_name_and_the_lock_released(
    pg_settings: Settings, tmp_path: Path
):
    settings = _settings(pg_settings, tmp_path, 'python -c "raise SystemExit(3)"', 120)
    result = run_pipeline(settings, "asked by an operator")
    assert (result.status, result.stage, result.timed_out) == ("failed", "second", False)
    with connect(settings, autocommit=True) as conn:
        [run] = pipeline_runs.recent_runs(conn)
        assert run.status == "failed" and "second" in (run.error or "")
        assert "first:" in (pipeline_runs.run_lock(conn, run.id) or "")
        assert pipeline_runs.try_lock(conn)  # released


@pytest.mark.slow
def test_a_run_past_its_time_limit_is_killed_and_recorded_as_timed_out(
    pg_settings: Settings, tmp_path: Path
):
    settings = _settings(pg_settings, tmp_path, "sleep 600", 8)
    result = run_pipeline(settings, "asked by an operator")
    assert (result.status, result.timed_out) == ("failed", True)
    assert result.stage in {"first", "second"}  # the stage running when time ran out
    assert result.error == "time limit of 8 s exceeded"
