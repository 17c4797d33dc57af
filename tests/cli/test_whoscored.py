import json

import pika
import pytest
from click.testing import CliRunner

from cli.main import main

EPL_2021 = "ENG-Premier League_2021"


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_parse_prints_match_id_kickoff_teams_scores_and_stat_totals(shared_data):
    result = run("whoscored", "parse", str(shared_data / "whoscored" / "live" / "1650630.html.gz"))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "(match_centre)" in lines[0]
    assert lines[1].startswith("match 1650630  kickoff 2022-08-13 19:00 UTC")
    assert lines[2] == "Barcelona 0-0 Rayo Vallecano  (half time 0-0)"
    assert lines[4].split() == ["shots", "21", "4"]
    assert "referee Alejandro José Hernández Hernández" in lines[-1]


def test_parse_json_of_a_fixtures_feed_lists_every_match(shared_data):
    feed = shared_data / "whoscored" / "matches" / f"{EPL_2021}_18685_0.json"
    result = run("whoscored", "parse", str(feed), "--json")
    parsed = json.loads(result.output)
    assert parsed["kind"] == "fixtures" and len(parsed["data"]) == 50
    burnley = next(m for m in parsed["data"] if m["match_id"] == 1485184)
    assert (burnley["home_name"], burnley["away_name"]) == ("Burnley", "Manchester United")
    assert burnley["kickoff_utc"].startswith("2021-01-12 20:15:00")


def test_parse_refuses_the_bot_protection_page_and_truncated_pages(shared_data, tmp_path):
    blocked = run(
        "whoscored", "parse", str(shared_data / "whoscored" / "blocked" / "incapsula.html")
    )
    assert blocked.exit_code == 1 and "bot-protection" in blocked.output
    page = (shared_data / "whoscored" / "previews" / EPL_2021 / "1485184.html").read_bytes()
    cut = tmp_path / "preview.html"
    cut.write_bytes(page[: page.index(b"matchId: 1485184")])
    truncated = run("whoscored", "parse", str(cut))
    assert truncated.exit_code == 1 and "matchheader: truncated" in truncated.output


@pytest.mark.integration
def test_scrape_whoscored_publishes_one_scrape_fixtures_per_competition_and_season(
    broker_settings,
):
    env = {"FOOTCAST_BROKER_URL": broker_settings.broker_url, "FOOTCAST_LOG_FORMAT": "json"}
    result = run(
        "scrape", "whoscored", "--competition", "ENG-Premier League", "--season", "2020-21",
        "--season", "2122", "--base-url", "http://127.0.0.1:9", env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    connection = pika.BlockingConnection(pika.URLParameters(broker_settings.broker_url))
    channel = connection.channel()
    bodies = []
    while (got := channel.basic_get("etl", auto_ack=True))[0] is not None:
        bodies.append(json.loads(got[2]))
    connection.close()
    assert [(b["actor_name"], b["args"][0]) for b in bodies] == [
        ("scrape_fixtures", {"v": 1, "competition": "E0", "season": season,
                             "base_url": "http://127.0.0.1:9"})
        for season in ("2021", "2122")
    ]  # fmt: skip


def test_scrape_whoscored_rejects_an_unknown_competition_before_publishing():
    result = run("scrape", "whoscored", "--competition", "Moon League", "--season", "2021")
    assert result.exit_code == 1 and "unknown competition 'Moon League'" in result.output
