"""``footcast ingest fixtures`` on the shared files: its summary, exit status and event."""

import json

import pika
import pytest
from click.testing import CliRunner

from cli.main import main
from core.db import connect
from etl.migrate import migrate

pytestmark = pytest.mark.integration

MAY = "fixtures/fixtures_2024-05-16.csv"


@pytest.fixture
def env(stack_settings, shared_data):
    with connect(stack_settings, autocommit=True) as conn:
        migrate(conn)
    settings = stack_settings.replace(
        football_data_url=(shared_data / "football-data").as_uri(), log_format="json"
    )
    return settings.as_env()


def run(*args, env):
    return CliRunner().invoke(main, ["ingest", "fixtures", *args], env=env)


def _queued(broker_url, queue):
    connection = pika.BlockingConnection(pika.URLParameters(broker_url))
    channel = connection.channel()
    bodies = []
    while (got := channel.basic_get(queue, auto_ack=True))[0] is not None:
        bodies.append(json.loads(got[2]))
    connection.close()
    return bodies


def test_the_summary_counts_matches_snapshots_and_skipped_divisions_and_tells_serving(env):
    result = run("--path", MAY, "--as-of", "2024-05-16", "--league", "E0", "--json", env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{\n") :])
    assert (report["status"], report["matches_new"], report["fixtures"]) == ("validated", 10, 10)
    assert report["skipped"] == {"D1": 9, "F1": 9, "I1": 20, "SP1": 20}
    assert report["seen_at"] == "2024-05-16T00:00:00+00:00" and report["snapshots_added"] > 30
    assert report["data_changed"] == "published"
    [event] = _queued(env["FOOTCAST_BROKER_URL"], "ops")
    assert (event["actor_name"], event["args"][0]) == (
        "data_changed", {"v": 1, "batch_ids": [report["batch_id"]]},
    )  # fmt: skip
    again = run("--path", MAY, "--as-of", "2024-05-16", "--league", "E0", env=env)
    assert again.exit_code == 0
    assert "0 new, 0 updated" in again.output and "0 price snapshots added" in again.output
    assert "skipped divisions: D1 9, F1 9, I1 20, SP1 20" in again.output
    assert _queued(env["FOOTCAST_BROKER_URL"], "ops") == [], "nothing changed, nothing told"


def test_a_quarantined_file_exits_1_with_the_reason_and_a_bad_as_of_is_a_usage_error(
    env, tmp_path, shared_data
):
    broken = tmp_path / MAY
    broken.parent.mkdir(parents=True)
    broken.write_bytes((shared_data / "football-data" / MAY).read_bytes().replace(b"1.18,", b"x,"))
    result = run("--base-url", tmp_path.as_uri(), "--path", MAY, env=env)
    assert result.exit_code == 1
    assert "quarantined" in result.output and "ParseError" in result.output
    bad = run("--path", MAY, "--as-of", "yesterday", env=env)
    assert bad.exit_code == 2 and "--as-of" in bad.output


def test_help_says_what_the_command_does_and_how_to_point_it_at_a_mirror():
    result = CliRunner().invoke(main, ["ingest", "fixtures", "--help"])
    assert result.exit_code == 0
    for words in ("fixtures.csv", "--base-url", "--path", "--as-of", "quarantined", "skipped"):
        assert words in result.output
