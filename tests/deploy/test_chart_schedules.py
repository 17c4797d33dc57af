"""The chart's scheduler path: calendar CronJobs that publish, nightly backups into MinIO,
and the pipeline worker's workspace and settings; off by default, on in the production
example."""

from __future__ import annotations

import shlex

from click.testing import CliRunner

from cli.main import main as footcast
from core.settings import MAX_PIPELINE_TIME_LIMIT_S, Settings

from .conftest import find, pod_spec, production_values, render

CALENDAR = (
    "footcast-schedule-daily-ingest",
    "footcast-schedule-drift-check",
    "footcast-schedule-weekly-retrain",
)


def _cronjobs(manifests) -> dict[str, dict]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == "CronJob"}


def test_the_production_example_runs_the_calendar_and_the_nightly_backup():
    jobs = _cronjobs(render(production_values()))
    assert set(jobs) == {*CALENDAR, "footcast-backup"}
    assert not any(job["spec"]["suspend"] for job in jobs.values())
    assert jobs["footcast-schedule-weekly-retrain"]["spec"]["schedule"] == "30 3 * * 1"
    backup = pod_spec(jobs["footcast-backup"])["containers"][0]
    assert backup["command"] == [
        "footcast", "backup", "create", "--to", "s3://backups/postgresql", "--keep", "30",
    ]  # fmt: skip
    env = {e["name"]: e for e in backup["env"]}
    assert env["FOOTCAST_MLFLOW_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == (
        "MLFLOW_BACKEND_STORE_URI"
    )
    mlflow = find(render(production_values()), "Deployment", "footcast-mlflow")
    [create] = [c for c in mlflow["spec"]["template"]["spec"]["initContainers"]
                if c["name"] == "create-buckets"]  # fmt: skip
    assert "backups" in create["command"] + create.get("args", [])


def test_by_default_the_calendar_and_backups_are_rendered_but_suspended():
    jobs = _cronjobs(render())
    assert set(jobs) == {*CALENDAR, "footcast-backup"}
    assert all(job["spec"]["suspend"] for job in jobs.values())


def test_every_cronjob_runs_a_footcast_command_that_exists():
    runner = CliRunner()
    for job in _cronjobs(render(production_values())).values():
        command = pod_spec(job)["containers"][0]["command"]
        assert command[0] == "footcast", shlex.join(command)
        words = [w for w in command[1:] if not w.startswith("-")][:2]
        done = runner.invoke(footcast, [*words, "--help"])
        assert done.exit_code == 0, (command, done.output)


def test_the_pipeline_worker_has_a_workspace_and_settings_the_worker_accepts():
    manifests = render(production_values())
    worker = find(manifests, "Deployment", "footcast-worker-pipeline")["spec"]["template"]
    mounts = worker["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "workspace", "mountPath": "/workspace"} in mounts
    assert next(v for v in worker["spec"]["volumes"] if v["name"] == "workspace")["emptyDir"]
    data = find(manifests, "ConfigMap", "footcast-settings")["data"]
    settings = Settings.from_env({k: v for k, v in data.items() if k.startswith("FOOTCAST_")})
    assert settings.pipeline_workspace == "/workspace" and settings.pipeline_source == "/app"
    assert settings.dvc_remote_url == "s3://dvc"
    assert 0 < settings.pipeline_time_limit_s <= MAX_PIPELINE_TIME_LIMIT_S
    assert settings.backup_to.startswith("s3://backups")
