"""New results reach a running worker through ``data_changed``, not its 60 s check."""

import time
import uuid

import psycopg
import pytest
from click.testing import CliRunner

from cli.main import main
from core.db import connect
from etl.history import import_history
from etl.migrate import migrate
from tests.conftest import TEST_DATABASE_URL
from tests.serving_fixtures import running_stack, train_and_register, wait_answered

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]

LAST_DAY = b",19/05/2024,"
#: Two fixtures of the teams that meet on the season's last day (Arsenal 2-1 Everton).
FIXTURE = {"home_team": "Arsenal", "away_team": "Man City", "competition": "E0",
           "kickoff": "2024-08-17"}  # fmt: skip
OTHER = {"home_team": "Everton", "away_team": "Arsenal", "competition": "E0",
         "kickoff": "2024-08-24"}  # fmt: skip


@pytest.fixture
def world(broker_settings, shared_data, tmp_path):
    """E0 2022-23 and 2023-24 without its last day, a champion trained on them."""
    season = tmp_path / "mirror" / "mmz4281" / "2324" / "E0.csv"
    season.parent.mkdir(parents=True)
    full = (shared_data / "football-data" / "mmz4281" / "2324" / "E0.csv").read_bytes()
    season.write_bytes(b"".join(line for line in full.splitlines(True) if LAST_DAY not in line))
    older = tmp_path / "mirror" / "mmz4281" / "2223" / "E0.csv"
    older.parent.mkdir(parents=True)
    older.write_bytes((shared_data / "football-data" / "mmz4281" / "2223" / "E0.csv").read_bytes())
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    settings = broker_settings.replace(
        database_url=f"{TEST_DATABASE_URL}?options=-csearch_path%3D{schema}",
        mlflow_tracking_uri=f"sqlite:///{tmp_path}/mlflow.db",
        mlflow_artifact_root=str(tmp_path / "artifacts"),
        football_data_url=(tmp_path / "mirror").as_uri(),
        model_check_interval_s=1.0,
        data_check_interval_s=600.0,
    )
    with connect(settings, autocommit=True) as conn:
        migrate(conn)
        summary = import_history(conn, settings.football_data_url, [("E0", "2223"), ("E0", "2324")])
        assert [f.status for f in summary.files] == ["validated", "validated"]
    train_and_register(settings, dc_weight=0.3)
    yield settings
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_a_result_imported_changes_the_next_answer_for_those_teams_without_waiting(
    world, shared_data, tmp_path
):
    with running_stack(world, tmp_path, api_workers=1) as api:
        served = wait_answered(api, FIXTURE, timeout_s=300)
        _, before = api.predict(OTHER)
        _, cached = api.predict(OTHER)
        assert cached["cached"] is True
        env = {**world.as_env(), "FOOTCAST_LOG_FORMAT": "json"}
        imported = CliRunner().invoke(
            main,
            ["ingest", "football-data", "--league", "E0", "--season", "2324",
             "--base-url", (shared_data / "football-data").as_uri(), "--json"],
            env=env,
        )  # fmt: skip
        assert imported.exit_code == 0, imported.output
        assert '"data_changed": "published"' in imported.stdout
        started = time.monotonic()
        while True:
            _, after = api.predict(OTHER)
            if after["forecast"] != before["forecast"]:
                break
            assert time.monotonic() - started < 45, "the new result was not folded in"
            time.sleep(0.3)
        assert after["cached"] is False
        assert after["forecast"]["p_home"] != before["forecast"]["p_home"]
        assert served["model"] == after["model"]
