"""Importing real season files into a private schema: batches, idempotence, quarantine."""

import shutil

import pytest

from core.db import connect
from etl.errors import ParseError, UnknownTeam
from etl.history import import_file, import_history
from etl.migrate import migrate
from etl.store import get_batch
from etl.store.reads import load_market_odds, load_matches, load_odds
from etl.teams import seed_aliases

pytestmark = pytest.mark.integration

TABLES = ("matches", "match_stats", "odds", "teams", "team_aliases", "ingest_batches")


@pytest.fixture
def conn(pg_settings):
    with connect(pg_settings, autocommit=True) as conn:
        migrate(conn)
        seed_aliases(conn)
        yield conn


@pytest.fixture
def base(shared_data):
    return (shared_data / "football-data").as_uri()


def _mirror(tmp_path, shared_data, season, league, edit):
    """A one-file mirror in ``tmp_path`` whose file is a real one changed by ``edit``."""
    target = tmp_path / "mmz4281" / season / f"{league}.csv"
    target.parent.mkdir(parents=True)
    source = shared_data / "football-data" / "mmz4281" / season / f"{league}.csv"
    shutil.copyfile(source, target)
    target.write_bytes(edit(target.read_bytes()))
    return tmp_path.as_uri()


def _snapshot(conn):
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    stamps = conn.execute(
        "SELECT (SELECT max(updated_at) FROM matches), (SELECT max(updated_at) FROM ingest_batches)"
    ).fetchone()
    return counts, stamps


def test_importing_a_season_stores_every_match_with_stats_and_odds_and_validates_it(conn, base):
    result = import_file(conn, base, "E0", "2324")
    assert (result.status, result.matches, result.matches_new) == ("validated", 380, 380)
    matches = load_matches(conn, competitions=["E0"], seasons=["2324"])
    assert len(matches) == 380
    row = matches[(matches.home_team == "Burnley") & (matches.away_team == "Manchester City")]
    assert row.iloc[0][["home_goals", "away_goals", "home_shots", "away_shots"]].tolist() == [
        0, 3, 6, 17,
    ]  # fmt: skip
    assert str(matches.kickoff_date.dtype).startswith("datetime64")
    odds = load_odds(conn, [int(row.iloc[0].match_id)])
    b365 = odds[(odds.bookmaker == "B365")].set_index("kind")
    assert b365.loc["opening", ["home", "draw", "away"]].tolist() == [8.0, 5.5, 1.33]
    assert b365.loc["closing", ["home", "draw", "away"]].tolist() == [9.0, 5.25, 1.33]
    batch = get_batch(conn, result.batch_id)
    assert batch.raw_page_id is not None and batch.row_count == 380


def test_over_under_and_handicap_prices_are_stored_beside_the_1x2_ones(conn, base):
    import_file(conn, base, "E0", "2324")
    matches = load_matches(conn, competitions=["E0"], seasons=["2324"])
    match_id = int(
        matches[(matches.home_team == "Burnley") & (matches.away_team == "Manchester City")]
        .iloc[0]
        .match_id
    )
    over_under = load_market_odds(conn, [match_id], "ou2.5").set_index(["bookmaker", "kind"])
    assert over_under.loc[("B365", "opening"), ["over", "under"]].tolist() == [1.67, 2.2]
    assert over_under.loc[("PS", "closing"), ["over", "under"]].tolist() == [1.65, 2.35]
    handicap = load_market_odds(conn, [match_id], "ah").set_index(["bookmaker", "kind"])
    assert handicap.loc[("Avg", "opening"), ["line", "home", "away"]].tolist() == [1.5, 1.85, 2.03]
    assert list(handicap.columns) == ["match_id", "line", "home", "away"]
    assert len(load_odds(conn, [match_id])) == 16, "the 1X2 prices are unchanged"
    with pytest.raises(ValueError, match="unknown market"):
        load_market_odds(conn, [match_id], "btts")


def test_re_importing_the_same_files_changes_nothing(conn, base):
    first = import_history(conn, base, [("E0", "2324"), ("SP1", "0001")])
    before = _snapshot(conn)
    again = import_history(conn, base, [("E0", "2324"), ("SP1", "0001")])
    assert [f.status for f in first.files] == ["validated", "validated"]
    assert (again.matches_new, again.matches_updated) == (0, 0)
    assert [f.status for f in again.files] == ["validated", "validated"]
    assert _snapshot(conn) == before


def test_a_changed_file_updates_only_what_changed_in_a_new_batch(conn, base, tmp_path, shared_data):
    import_file(conn, base, "E0", "2324")
    edited = _mirror(
        tmp_path, shared_data, "2324", "E0",
        lambda raw: raw.replace(b",Burnley,Man City,0,3,A,0,2,", b",Burnley,Man City,0,4,A,0,2,"),
    )  # fmt: skip
    # the mirror serves the same path, so the batch key is the same and the content differs
    result = import_file(conn, edited, "E0", "2324")
    assert (result.matches_new, result.matches_updated, result.status) == (0, 380, "validated")
    goals = conn.execute(
        "SELECT m.away_goals FROM matches m JOIN teams t ON t.id = m.home_team_id"
        " WHERE t.name = 'Burnley' AND m.kickoff_date = '2023-08-11'"
    ).fetchone()[0]
    assert goals == 4
    assert conn.execute("SELECT count(*) FROM matches").fetchone()[0] == 380


def test_a_corrupted_file_is_quarantined_with_a_typed_error_and_writes_no_rows(
    conn, tmp_path, shared_data
):
    broken = _mirror(
        tmp_path, shared_data, "2324", "E0",
        lambda raw: raw.replace(b",Luton,Burnley,1,2,", b",Luton,Burnley,one,2,"),
    )  # fmt: skip
    with pytest.raises(ParseError, match="FTHG"):
        import_file(conn, broken, "E0", "2324")
    batch = conn.execute("SELECT status, reason, raw_page_id FROM ingest_batches").fetchone()
    assert batch[0] == "quarantined" and "ParseError" in batch[1] and batch[2] is not None
    for table in ("matches", "match_stats", "odds"):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    summary = import_history(conn, broken, [("E0", "2324")])
    assert [f.status for f in summary.quarantined] == ["quarantined"]


def test_a_team_name_close_to_a_known_one_quarantines_the_whole_file(conn, tmp_path, shared_data):
    misspelt = _mirror(
        tmp_path, shared_data, "2324", "E0", lambda raw: raw.replace(b",Man United,", b",Man Utd,")
    )
    with pytest.raises(UnknownTeam) as caught:
        import_file(conn, misspelt, "E0", "2324")
    assert caught.value.candidates == ["Manchester United"]
    reason = conn.execute("SELECT reason FROM ingest_batches").fetchone()[0]
    assert "footcast teams alias add" in reason
    assert conn.execute("SELECT count(*) FROM matches").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM teams WHERE name = 'Man Utd'").fetchone()[0] == 0


def test_a_batch_failing_its_gate_is_quarantined_and_hidden_from_training_reads(
    conn, tmp_path, shared_data
):
    impossible = _mirror(
        tmp_path, shared_data, "2324", "E0",
        lambda raw: raw.replace(b",Burnley,Man City,0,3,A,0,2,", b",Burnley,Man City,0,33,A,0,2,"),
    )  # fmt: skip
    result = import_file(conn, impossible, "E0", "2324")
    assert result.status == "quarantined"
    batch = get_batch(conn, result.batch_id)
    assert "away_goals" in batch.reason and batch.report["success"] is False
    assert load_matches(conn).empty
    assert len(load_matches(conn, validated_only=False)) == 380


def test_a_match_another_source_re_stamped_is_left_alone_by_a_re_import(conn, base):
    import_file(conn, base, "E0", "2324")
    other = conn.execute(
        "INSERT INTO ingest_batches (source, batch_key, content_sha256, status)"
        " VALUES ('whoscored', 'match/1', 'x', 'validated') RETURNING id"
    ).fetchone()[0]
    conn.execute(
        "UPDATE matches SET batch_id = %s, referee = 'Craig Pawson'"
        " WHERE referee = 'C Pawson' AND kickoff_date = '2023-08-11'",
        (other,),
    )
    before = _snapshot(conn)
    again = import_file(conn, base, "E0", "2324")
    assert (again.matches_new, again.matches_updated) == (0, 0)
    assert _snapshot(conn) == before
    assert (
        conn.execute("SELECT count(*) FROM matches WHERE batch_id = %s", (other,)).fetchone()[0]
        == 1
    )
