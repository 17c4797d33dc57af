import gzip
from datetime import UTC, datetime

import pytest

from etl.errors import BlockedError, ParseError
from etl.sources import whoscored as ws

EPL_2021 = "ENG-Premier League_2021"


@pytest.fixture(scope="module")
def ws_dir(shared_data):
    return shared_data / "whoscored"


@pytest.fixture(scope="module")
def live_page(ws_dir):
    return (ws_dir / "live" / "1650630.html.gz").read_bytes()


@pytest.fixture(scope="module")
def events_json(ws_dir):
    return (ws_dir / "events" / EPL_2021 / "1485184.json").read_bytes()


def test_a_season_page_gives_every_season_id_the_stage_id_and_its_calendar(ws_dir):
    page = ws.parse_tournament_page((ws_dir / "seasons" / f"{EPL_2021}.html").read_bytes())
    assert (page.region_id, page.tournament_id, page.stage_id) == (252, 2, 18685)
    assert page.selected_season_id == 8228
    by_name = {season.name: season.season_id for season in page.seasons}
    assert by_name["2020/2021"] == 8228 and by_name["1999/2000"] == 2
    assert len(page.seasons) == 27
    assert page.calendar is not None and page.calendar.months[0] == (2020, 9)


def test_the_tournament_page_names_the_current_season_and_stage(ws_dir):
    page = ws.parse_tournament_page((ws_dir / "seasons" / "ENG-Premier League.html").read_bytes())
    assert page.stage_id == 23400 and page.selected_season_id == 10316
    assert page.seasons[0].name == "2025/2026"


def test_the_calendar_mask_turns_javascript_months_into_calendar_months(ws_dir):
    calendar = ws.parse_calendar((ws_dir / "matches" / f"{EPL_2021}.html").read_bytes())
    assert calendar.stage_id == 18685
    assert calendar.months == (
        (2020, 9), (2020, 10), (2020, 11), (2020, 12),
        (2021, 1), (2021, 2), (2021, 3), (2021, 4), (2021, 5),
    )  # fmt: skip


def test_the_fixtures_feed_gives_ids_utc_kickoffs_teams_scores_and_status(ws_dir):
    fixtures = ws.parse_fixtures((ws_dir / "matches" / f"{EPL_2021}_18685_0.json").read_bytes())
    assert len(fixtures) == 50
    burnley = next(f for f in fixtures if f.match_id == 1485184)
    assert burnley.kickoff_utc == datetime(2021, 1, 12, 20, 15, tzinfo=UTC)
    assert (burnley.home_id, burnley.home_name) == (184, "Burnley")
    assert (burnley.away_id, burnley.away_name) == (32, "Manchester United")
    assert (burnley.home_goals, burnley.away_goals, burnley.status) == (0, 1, "finished")


def test_the_whole_season_feed_holds_380_distinct_finished_matches(ws_dir):
    fixtures = [
        f
        for path in sorted((ws_dir / "matches").glob(f"{EPL_2021}_18685_*.json"))
        for f in ws.parse_fixtures(path.read_bytes())
    ]
    assert len({f.match_id for f in fixtures}) == len(fixtures) == 380
    assert {f.status for f in fixtures} == {"finished"}


def test_summer_kickoffs_are_converted_from_uk_time_to_utc(ws_dir):
    fixtures = ws.parse_fixtures((ws_dir / "matches" / f"{EPL_2021}_18685_4.json").read_bytes())
    first = min(fixtures, key=lambda f: f.kickoff_utc)
    assert first.kickoff_utc == datetime(2021, 5, 1, 11, 30, tzinfo=UTC)


def test_match_centre_json_gives_scores_stat_totals_officials_and_formations(events_json):
    match = ws.parse_match_centre(events_json)
    assert match.match_id is None
    assert match.kickoff_utc == datetime(2021, 1, 12, 20, 15, tzinfo=UTC)
    assert (match.home.name, match.away.name) == ("Burnley", "Man Utd")
    assert (match.home.team_id, match.away.team_id) == (184, 32)
    assert (match.home.goals, match.away.goals) == (0, 1)
    assert (match.home.ht_goals, match.away.ht_goals) == (0, 0)
    # the same match at football-data.co.uk: HS 11, AS 13, HST 0, AST 7, HF 15, AF 13, HC 3, AC 4
    assert (ws.stat(match.home, "shotsTotal"), ws.stat(match.away, "shotsTotal")) == (11, 13)
    assert (ws.shots_on_target(match.home), ws.shots_on_target(match.away)) == (0, 7)
    assert (ws.stat(match.home, "foulsCommited"), ws.stat(match.away, "foulsCommited")) == (15, 13)
    assert (ws.stat(match.home, "cornersTotal"), ws.stat(match.away, "cornersTotal")) == (3, 4)
    assert (match.home.yellow_cards, match.away.yellow_cards) == (1, 2)
    assert match.home.totals["tackleSuccessful"] == 5 and "tackleSuccess" not in match.home.totals
    assert match.home.possession_pct == 37.3 and match.away.possession_pct == 62.7
    assert match.home.formations[0] == "442" and match.away.formations[0] == "4231"
    assert (match.referee, match.venue, match.attendance) == ("Kevin Friend", "Turf Moor", 0)
    assert match.event_count == 1551 and match.status == "finished"


def test_the_gzipped_live_page_javascript_literal_is_parsed(live_page):
    match = ws.parse_match_centre(live_page)
    assert match.match_id == 1650630
    assert (match.home.name, match.away.name) == ("Barcelona", "Rayo Vallecano")
    assert (match.home.goals, match.away.goals, match.home.ht_goals) == (0, 0, 0)
    assert match.kickoff_utc == datetime(2022, 8, 13, 19, 0, tzinfo=UTC)
    assert (ws.stat(match.home, "shotsTotal"), ws.shots_on_target(match.home)) == (21, 6)
    assert match.home.red_cards == 1 and match.away.yellow_cards == 6
    assert (match.venue, match.attendance) == ("Spotify Camp Nou", 81104)
    assert match.referee == "Alejandro José Hernández Hernández"
    assert match.event_count == 1465


def test_the_preview_page_match_header_is_read(ws_dir):
    header = ws.parse_preview((ws_dir / "previews" / EPL_2021 / "1485184.html").read_bytes())
    assert header.match_id == 1485184
    assert (header.home_id, header.home_name, header.away_name) == (
        184,
        "Burnley",
        "Manchester United",
    )
    assert header.kickoff_utc == datetime(2021, 1, 12, 20, 15, tzinfo=UTC)
    assert (header.ht_score, header.ft_score, header.status) == ((0, 0), (0, 1), "finished")


@pytest.mark.parametrize(
    "parser",
    [ws.parse_tournament_page, ws.parse_calendar, ws.parse_fixtures, ws.parse_match_centre,
     ws.parse_preview],
)  # fmt: skip
def test_the_bot_protection_page_is_refused_by_every_parser(ws_dir, parser):
    with pytest.raises(BlockedError, match="bot-protection"):
        parser((ws_dir / "blocked" / "incapsula.html").read_bytes())


def test_a_truncated_live_page_raises_a_parse_error_naming_the_args(live_page):
    text = gzip.decompress(live_page)
    with pytest.raises(ParseError, match=r"params\['args'\]: truncated"):
        ws.parse_match_centre(text[: len(text) // 2])


def test_a_truncated_gzip_file_is_a_parse_error(live_page):
    with pytest.raises(ParseError, match="gzip"):
        ws.parse_match_centre(live_page[:5000])


def test_a_match_centre_without_its_teams_names_the_missing_field(events_json):
    changed = events_json.replace(b'"home":', b'"homeTeam":', 1)
    with pytest.raises(ParseError, match="missing 'home'"):
        ws.parse_match_centre(changed)


def test_a_fixtures_feed_whose_layout_changed_names_what_is_missing(ws_dir):
    body = (ws_dir / "matches" / f"{EPL_2021}_18685_0.json").read_bytes()
    with pytest.raises(ParseError, match="missing 'homeTeamId'"):
        ws.parse_fixtures(body.replace(b'"homeTeamId"', b'"homeId"'))
    with pytest.raises(ParseError, match="missing 'tournaments'"):
        ws.parse_fixtures(b'{"stages": []}')


def test_a_season_page_without_the_season_list_is_a_parse_error():
    with pytest.raises(ParseError, match="select id='seasons'"):
        ws.parse_tournament_page(b"<html><body>maintenance</body></html>")


@pytest.mark.parametrize(
    ("elapsed", "status"),
    [("FT", "finished"), ("AET", "finished"), ("Postp.", "postponed"), ("Canc.", "cancelled"),
     ("-", "scheduled"), ("", "scheduled"), ("67'", "live"), ("HT", "live")],
)  # fmt: skip
def test_elapsed_texts_map_to_statuses(elapsed, status):
    assert ws.status_from_elapsed(elapsed) == status


def test_each_saved_file_is_recognised_by_kind(ws_dir):
    assert ws.detect_kind((ws_dir / "live" / "1650630.html.gz").read_bytes()) == "match_centre"
    assert ws.detect_kind((ws_dir / "matches" / f"{EPL_2021}.html").read_bytes()) == "calendar"
    assert ws.detect_kind((ws_dir / "blocked" / "incapsula.html").read_bytes()) == "blocked"
    preview = (ws_dir / "previews" / EPL_2021 / "1485184.html").read_bytes()
    assert ws.detect_kind(preview) == "preview"
