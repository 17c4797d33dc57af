import csv
import io
import json

import pytest
from click.testing import CliRunner

from cli.main import main
from core.db import connect
from etl.errors import UnknownTeam
from etl.migrate import migrate
from etl.teams import is_close, resolve_team, seed_aliases, shipped_aliases


def _football_data_names(shared_data):
    names = set()
    for path in (shared_data / "football-data" / "mmz4281").glob("*/*.csv"):
        for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))):
            names.update(n for n in (row.get("HomeTeam"), row.get("AwayTeam")) if n)
    return names


def _whoscored_names(shared_data):
    names = set()
    for path in (shared_data / "whoscored" / "matches").glob("*.json"):
        for tournament in json.loads(path.read_text()).get("tournaments", []):
            for match in tournament["matches"]:
                names.update((match["homeTeamName"], match["awayTeamName"]))
    for path in (shared_data / "whoscored" / "events").glob("*/*.json"):
        centre = json.loads(path.read_text())
        names.update((centre["home"]["name"], centre["away"]["name"]))
    return names


def test_the_shipped_alias_table_covers_every_team_name_in_the_data(shared_data):
    aliases = shipped_aliases()
    known = {(a.source, a.alias) for a in aliases}
    fd_missing = {n for n in _football_data_names(shared_data) if ("football-data", n) not in known}
    ws_missing = {n for n in _whoscored_names(shared_data) if ("whoscored", n) not in known}
    assert fd_missing == set() and ws_missing == set()
    assert len(known) == len(aliases), "an alias is listed twice"


def test_the_same_club_has_one_canonical_name_across_sources():
    by_alias = {(a.source, a.alias): a.team for a in shipped_aliases()}
    assert by_alias["football-data", "Man United"] == "Manchester United"
    assert by_alias["whoscored", "Man Utd"] == "Manchester United"
    assert by_alias["whoscored", "Manchester United"] == "Manchester United"
    assert by_alias["football-data", "West Brom"] == by_alias["whoscored", "West Bromwich Albion"]


def test_close_names_are_recognised_and_different_clubs_are_not():
    assert is_close("Man Utd", "Man United")
    assert is_close("FC Augsburg", "Augsburg")
    assert not is_close("Arsenal", "Chelsea")
    assert not is_close("Real Madrid", "Real Betis")


@pytest.mark.integration
def test_known_aliases_resolve_to_one_team_and_seeding_twice_changes_nothing(pg_settings):
    with connect(pg_settings, autocommit=True) as conn:
        migrate(conn)
        assert seed_aliases(conn) > 0
        assert seed_aliases(conn) == 0
        fd = resolve_team(conn, "football-data", "Man United", "E0")
        ws = resolve_team(conn, "whoscored", "Man Utd", "ENG-Premier League")
        assert fd == ws
        count = conn.execute("SELECT count(*) FROM teams").fetchone()[0]
    assert count == len({a.team for a in shipped_aliases()})


@pytest.mark.integration
def test_a_name_close_to_a_known_team_stops_with_the_candidates_and_the_fix(pg_settings):
    with connect(pg_settings, autocommit=True) as conn:
        migrate(conn)
        with pytest.raises(UnknownTeam) as caught:
            resolve_team(conn, "whoscored", "Man. United", "E0")
        teams_after = conn.execute("SELECT count(*) FROM teams").fetchone()[0]
    assert caught.value.candidates == ["Manchester United"]
    assert "footcast teams alias add --source whoscored --competition E0" in str(caught.value)
    assert teams_after == len({a.team for a in shipped_aliases()})


@pytest.mark.integration
def test_a_name_close_to_nothing_becomes_a_new_team_once(pg_settings):
    with connect(pg_settings, autocommit=True) as conn:
        migrate(conn)
        first = resolve_team(conn, "football-data", "Wrexham", "E0")
        again = resolve_team(conn, "football-data", "Wrexham", "E0")
        with pytest.raises(UnknownTeam):
            resolve_team(conn, "football-data", "Barnsley", "E0", create=False)
        country = conn.execute("SELECT country FROM teams WHERE id = %s", (first,)).fetchone()[0]
    assert first == again and country == "England"


@pytest.mark.integration
def test_an_operator_alias_fixes_a_close_name_from_the_command_line(pg_settings):
    runner = CliRunner()
    env = pg_settings.as_env()
    with connect(pg_settings, autocommit=True) as conn:
        migrate(conn)
    added = runner.invoke(
        main,
        ["teams", "alias", "add", "--source", "whoscored", "--competition", "E0",
         "Man. United", "Manchester United"],
        env=env,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = runner.invoke(
        main, ["teams", "alias", "list", "--source", "whoscored", "--json"], env=env
    )
    assert {
        "source": "whoscored",
        "alias": "Man. United",
        "team": "Manchester United",
    } in json.loads(listed.output)
    with connect(pg_settings, autocommit=True) as conn:
        assert resolve_team(conn, "whoscored", "Man. United", "E0") == resolve_team(
            conn, "football-data", "Man United", "E0"
        )
    unknown = runner.invoke(
        main, ["teams", "alias", "add", "--source", "user", "X", "No Such Club"], env=env
    )
    assert unknown.exit_code != 0 and "--create" in unknown.output
