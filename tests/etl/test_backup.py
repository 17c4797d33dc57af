"""Backups of a real store (one season) and a real MLflow database (a registered model),
restored into fresh databases: row counts and the model's run survive; damage and occupied
databases are refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from mlflow.tracking import MlflowClient

from cli.main import main as footcast
from core.db import connect
from core.settings import Settings
from etl.backup import create_backup, list_backups, prune, restore_backup
from etl.errors import BackupError
from etl.history import import_history
from etl.migrate import migrate

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

SERVER = "postgresql://postgres@127.0.0.1:5432"
TABLES = ("matches", "odds", "teams", "match_stats", "ingest_batches")


@pytest.fixture
def new_database() -> Iterator[object]:
    """Make empty databases on demand; all are dropped after the test."""
    made: list[str] = []

    def make() -> str:
        name = f"footcast_bk_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        made.append(name)
        return f"{SERVER}/{name}"

    yield make
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        for name in made:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def _registered_run(tracking_uri: str) -> str:
    """A registered version of footcast-outcome whose run holds a metric, a param, a tag."""
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    experiment = client.create_experiment("footcast", artifact_location="/tmp/unused")
    run = client.create_run(experiment, tags={"footcast.git_commit": "abc123"})
    client.log_metric(run.info.run_id, "rps", 0.2012)
    client.log_param(run.info.run_id, "train.seed", "20240817")
    client.set_terminated(run.info.run_id)
    client.create_registered_model("footcast-outcome")
    client.create_model_version("footcast-outcome", "runs:/x/model", run_id=run.info.run_id)
    client.set_registered_model_alias("footcast-outcome", "champion", "1")
    return run.info.run_id


def test_a_backup_of_the_store_and_mlflow_restores_into_fresh_databases(
    base_settings: Settings, new_database, shared_data: Path, tmp_path: Path
):
    store, mlflow_db = new_database(), new_database()
    settings = base_settings.replace(database_url=store)
    with connect(settings, autocommit=True) as conn:
        migrate(conn)
        import_history(conn, (shared_data / "football-data").as_uri(), [("E0", "2324")])
    run_id = _registered_run(mlflow_db)
    before = _counts(store)
    assert before["matches"] == 380

    to = str(tmp_path / "backups")
    manifest = create_backup({"store": store, "mlflow": mlflow_db}, to)
    assert [f.name for f in manifest.files] == ["store.dump", "mlflow.dump"]
    assert all(f.size > 1000 and len(f.sha256) == 64 for f in manifest.files)
    assert manifest.files[0].server_version.startswith("15")
    assert [m.id for m in list_backups(to)] == [manifest.id]

    restored_store, restored_mlflow = new_database(), new_database()
    restore_backup(f"{manifest.location}/store.dump", restored_store)
    restore_backup(f"{manifest.location}/mlflow.dump", restored_mlflow)
    assert _counts(restored_store) == before
    client = MlflowClient(tracking_uri=restored_mlflow, registry_uri=restored_mlflow)
    version = client.get_model_version_by_alias("footcast-outcome", "champion")
    assert (str(version.version), version.run_id) == ("1", run_id)
    run = client.get_run(run_id)
    assert run.data.metrics == {"rps": 0.2012}
    assert run.data.tags["footcast.git_commit"] == "abc123"

    with pytest.raises(BackupError, match=r"already holds \d+ tables"):
        restore_backup(f"{manifest.location}/store.dump", restored_store)
    assert restore_backup(f"{manifest.location}/store.dump", restored_store, force=True)
    assert _counts(restored_store) == before

    damaged = Path(manifest.location) / "store.dump"
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(BackupError, match="SHA-256"):
        restore_backup(str(damaged), new_database())


def test_backup_create_keeps_the_newest_and_the_command_lists_them(
    base_settings: Settings, new_database, tmp_path: Path
):
    store = new_database()
    settings = base_settings.replace(database_url=store, backup_to=str(tmp_path), backup_keep=2)
    with connect(settings, autocommit=True) as conn:
        migrate(conn)
    env = settings.as_env()
    runner = CliRunner()
    for _ in range(3):
        created = runner.invoke(footcast, ["backup", "create"], env=env)
        assert created.exit_code == 0, created.output
    listed = runner.invoke(footcast, ["backup", "list"], env=env)
    assert len(listed.output.splitlines()) == 2
    oldest = list_backups(str(tmp_path))[0].id
    assert prune(str(tmp_path), 1) == [oldest]
    assert [m.id for m in list_backups(str(tmp_path))] != [oldest]
