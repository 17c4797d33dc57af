import gzip

import pytest

from core.db import connect
from etl.errors import BlockedError, ParseError, UnknownMatch
from etl.migrate import migrate
from etl.raw import load_raw
from etl.sources.whoscored_scrape import (
    fixtures_path,
    match_path,
    scrape_fixtures,
    scrape_match,
)

pytestmark = pytest.mark.integration

EPL = "ENG-Premier League"
JANUARY = fixtures_path(18685, 2021, 1)


@pytest.fixture
def settings(pg_settings):
    with connect(pg_settings) as conn:
        migrate(conn)
        conn.commit()
    return pg_settings.replace(
        whoscored_min_interval_s=0.0,
        whoscored_backoff_s=0.01,
        whoscored_timeout_s=2.0,
        scraper_contact="tests@example.org",
    )


def snapshot(settings):
    """Everything a re-run must leave as it was."""
    with connect(settings) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("matches", "match_stats", "teams", "team_aliases", "ingest_batches")
        }


def test_a_season_and_a_match_are_scraped_into_the_store_and_a_rerun_changes_nothing(
    settings, whoscored_server
):
    base = whoscored_server.base_url
    report = scrape_fixtures(settings, EPL, "2021", base_url=base)
    assert (report.competition, report.season) == ("E0", "2021")
    assert (report.fixtures, report.new, report.updated) == (380, 380, 0)
    assert report.pages == 2 + 9 and not report.failures and not report.quarantined
    assert len(report.to_scrape) == 380 and 1485184 in report.to_scrape

    match = scrape_match(settings, 1485184, base_url=base)
    assert match.changed and match.centre.home.name == "Burnley"

    with connect(settings) as conn:
        row = conn.execute(
            "SELECT ht.name, at.name, m.kickoff_date::text, m.kickoff_at = '2021-01-12 20:15Z',"
            " m.status, m.home_goals, m.away_goals, m.ht_home_goals, m.ht_away_goals,"
            " m.referee, m.venue, m.attendance"
            " FROM matches m JOIN teams ht ON ht.id = m.home_team_id"
            " JOIN teams at ON at.id = m.away_team_id WHERE m.whoscored_id = 1485184"
        ).fetchone()
        stats = conn.execute(
            "SELECT home_shots, away_shots, home_shots_on_target, away_shots_on_target,"
            " home_corners, away_corners, home_fouls, away_fouls, home_yellow, away_yellow,"
            " home_possession, away_possession, extra->'formations'->0->>0"
            " FROM match_stats WHERE source = 'whoscored'"
        ).fetchall()
        batches = conn.execute(
            "SELECT status, count(*), sum(row_count) FROM ingest_batches GROUP BY status"
        ).fetchall()
        teams = conn.execute("SELECT count(DISTINCT home_team_id) FROM matches").fetchone()[0]
        runs = conn.execute("SELECT status, pages FROM scrape_runs ORDER BY id").fetchall()
    assert row == (
        "Burnley", "Manchester United", "2021-01-12", True, "finished", 0, 1, 0, 0,
        "Kevin Friend", "Turf Moor", 0,
    )  # fmt: skip
    assert stats == [
        (11, 13, 0, 7, 3, 4, 15, 13, 1, 2, pytest.approx(37.3), pytest.approx(62.7), "442")
    ]
    assert batches == [("pending", 10, 381)]
    assert teams == 20
    assert runs == [("ok", 11), ("ok", 1)]

    before = snapshot(settings)
    again = scrape_fixtures(settings, EPL, "2021", base_url=base)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 380)
    assert 1485184 not in again.to_scrape and len(again.to_scrape) == 379
    assert not scrape_match(settings, 1485184, base_url=base).changed
    assert snapshot(settings) == before


def test_a_fixtures_page_whose_layout_changed_is_quarantined_with_its_raw_page(
    settings, whoscored_server
):
    whoscored_server.replace(JANUARY, b'{"tournaments": [{"matches": [{"id": 1}]}]}')
    report = scrape_fixtures(settings, EPL, "2021", base_url=whoscored_server.base_url)
    assert report.fixtures == 380 - 50 and len(report.quarantined) == 1
    with pytest.raises(ParseError, match="missing 'startTime'"):
        report.raise_first_failure()
    with connect(settings) as conn:
        batch_key, reason, raw_id, report_json = conn.execute(
            "SELECT batch_key, reason, raw_page_id, report FROM ingest_batches"
            " WHERE status = 'quarantined'"
        ).fetchone()
        assert batch_key == "fixtures/E0/2021/2021-01" and "startTime" in reason
        assert report_json["error_type"] == "ParseError"
        assert load_raw(conn, raw_id).startswith(b'{"tournaments"')
        run = conn.execute("SELECT status, error FROM scrape_runs").fetchone()
    assert run[0] == "partial" and "startTime" in run[1]


def test_a_truncated_match_page_is_a_parse_error_and_the_page_is_kept(
    settings, whoscored_server, shared_data
):
    base = whoscored_server.base_url
    scrape_fixtures(settings, EPL, "2021", base_url=base)
    page = gzip.decompress((shared_data / "whoscored" / "live" / "1650630.html.gz").read_bytes())
    whoscored_server.replace(match_path(1485184), page[: len(page) // 3])
    with pytest.raises(ParseError, match="truncated"):
        scrape_match(settings, 1485184, base_url=base)
    with connect(settings) as conn:
        assert conn.execute("SELECT count(*) FROM match_stats").fetchone()[0] == 0
        raw_id, status = conn.execute(
            "SELECT raw_page_id, status FROM ingest_batches WHERE batch_key = 'match/1485184'"
        ).fetchone()
        assert status == "quarantined" and load_raw(conn, raw_id) == page[: len(page) // 3]
        assert conn.execute("SELECT status FROM scrape_runs ORDER BY id DESC").fetchone() == (
            "failed",
        )


def test_a_block_stops_the_run_quarantines_and_later_runs_wait_for_the_cool_down(
    settings, whoscored_server
):
    whoscored_server.script(JANUARY, "blocked")
    with pytest.raises(BlockedError, match="bot-protection"):
        scrape_fixtures(settings, EPL, "2021", base_url=whoscored_server.base_url)
    requests = len(whoscored_server.hits)
    with pytest.raises(BlockedError, match="cooling down"):
        scrape_fixtures(settings, EPL, "2021", base_url=whoscored_server.base_url)
    assert len(whoscored_server.hits) == requests  # the second run sent nothing
    with connect(settings) as conn:
        assert conn.execute("SELECT status FROM scrape_runs").fetchall() == [("blocked",)]
        raw_id = conn.execute(
            "SELECT raw_page_id FROM ingest_batches WHERE status = 'quarantined'"
        ).fetchone()[0]
        assert b"Incapsula" in load_raw(conn, raw_id)
    cooled = settings.replace(whoscored_block_cooldown_s=0.0)
    assert scrape_fixtures(cooled, EPL, "2021", base_url=whoscored_server.base_url).fixtures == 380


def test_a_match_the_store_does_not_know_is_refused_without_a_request(settings, whoscored_server):
    with pytest.raises(UnknownMatch, match="scrape its season's fixtures first"):
        scrape_match(settings, 1485184, base_url=whoscored_server.base_url)
    assert whoscored_server.hits == []
