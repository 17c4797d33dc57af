"""Importing fixtures.csv (the shared files, and damaged copies) into a private schema."""

import shutil
from datetime import UTC, datetime

import pytest

from etl.errors import ParseError
from etl.fixtures import import_fixtures
from etl.history import import_file
from etl.store import get_batch
from etl.store.prices import pre_kickoff_prices

pytestmark = pytest.mark.integration

MARCH = "fixtures/fixtures_2024-03-28.csv"
MAY = "fixtures/fixtures_2024-05-16.csv"
AS_OF = datetime(2024, 3, 28, 12, 0, tzinfo=UTC)
TABLES = ("matches", "price_snapshots", "teams", "ingest_batches")


def _mirror(tmp_path, shared_data, path, edit):
    """A one-file mirror in ``tmp_path`` whose file is a shared one changed by ``edit``."""
    target = tmp_path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shared_data / "football-data" / path, target)
    target.write_bytes(edit(target.read_bytes()))
    return tmp_path.as_uri()


def _match_id(conn, home, away):
    row = conn.execute(
        "SELECT m.id FROM matches m JOIN teams h ON h.id = m.home_team_id"
        " JOIN teams a ON a.id = m.away_team_id WHERE h.name = %s AND a.name = %s",
        (home, away),
    ).fetchone()
    return int(row[0])


def _snapshots(conn, match_id):
    return {
        (market, bookmaker, seen_at): (home, draw, away, over, under, line)
        for market, bookmaker, seen_at, home, draw, away, over, under, line in conn.execute(
            "SELECT market, bookmaker, seen_at, home, draw, away, over, under, line"
            " FROM price_snapshots WHERE match_id = %s",
            (match_id,),
        ).fetchall()
    }


def _counts(conn):
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_a_fixtures_file_stores_scheduled_matches_with_1x2_over_under_and_handicap_prices(
    conn, base
):
    result = import_fixtures(conn, base, path=MARCH, as_of=AS_OF)
    assert (result.status, result.fixtures, result.matches_new) == ("validated", 59, 59)
    assert result.skipped == {} and result.snapshots_added > 59 * 3
    match_id = _match_id(conn, "Newcastle United", "West Ham United")
    status, kickoff_at, referee = conn.execute(
        "SELECT status, kickoff_at, referee FROM matches WHERE id = %s", (match_id,)
    ).fetchone()
    assert (status, referee) == ("scheduled", "R Jones")
    assert kickoff_at == datetime(2024, 3, 30, 12, 30, tzinfo=UTC)
    snapshots = _snapshots(conn, match_id)
    assert snapshots["1x2", "PS", AS_OF][:3] == (1.81, 4.26, 4.0)
    assert snapshots["ou2.5", "PS", AS_OF][3:5] == (1.51, 2.65)
    assert snapshots["ah", "Avg", AS_OF] == (2.05, None, 1.82, None, None, -0.75)
    prices = pre_kickoff_prices(conn)[match_id]
    assert (prices.bookmaker, prices.home, prices.seen_at) == ("PS", 1.81, AS_OF)
    batch = get_batch(conn, result.batch_id)
    assert batch.batch_key == MARCH and batch.raw_page_id is not None


def test_divisions_not_imported_are_skipped_and_counted_not_errors(
    conn, base, tmp_path, shared_data
):
    only_two = import_fixtures(conn, base, path=MAY, leagues=["E0", "D1"])
    assert only_two.skipped == {"F1": 9, "I1": 20, "SP1": 20}
    assert (only_two.status, only_two.matches_new) == ("validated", 19)
    extra = (
        b"SC1,18/05/2024,15:00,Airdrie Utd,Raith Rvs,,2.5,3.4,2.6\r\n"
        b"EC,18/05/2024,15:00,Bromley,Solihull,,2.1,3.3,3.2\r\n"
    )
    mirror = _mirror(tmp_path, shared_data, MAY, lambda raw: raw + extra)
    everything = import_fixtures(conn, mirror, path=MAY)
    assert everything.skipped == {"EC": 1, "SC1": 1}
    assert (everything.status, everything.fixtures, everything.matches_new) == ("validated", 68, 49)
    assert conn.execute("SELECT count(*) FROM teams WHERE name = 'Bromley'").fetchone()[0] == 0


def test_a_fixture_gets_its_result_on_the_same_row_and_a_fixtures_list_never_erases_one(conn, base):
    import_fixtures(conn, base, path=MAY, leagues=["E0"])
    fixture_id = _match_id(conn, "Arsenal", "Everton")
    played = import_file(conn, base, "E0", "2324")
    assert played.status == "validated" and played.matches_new == 370
    assert _match_id(conn, "Arsenal", "Everton") == fixture_id
    row = conn.execute(
        "SELECT status, home_goals, away_goals FROM matches WHERE id = %s", (fixture_id,)
    ).fetchone()
    assert row == ("finished", 2, 1)
    assert _snapshots(conn, fixture_id), "the fixture's prices stay with the played match"
    again = import_fixtures(conn, base, path=MAY, leagues=["E0"], as_of=AS_OF)
    assert (again.already_played, again.matches_new, again.matches_updated) == (10, 0, 0)
    assert again.status == "validated"
    assert conn.execute(
        "SELECT status, home_goals FROM matches WHERE id = %s", (fixture_id,)
    ).fetchone() == ("finished", 2)


def test_re_importing_the_same_bytes_changes_nothing(conn, base):
    first = import_fixtures(conn, base, path=MARCH)
    before = _counts(conn)
    again = import_fixtures(conn, base, path=MARCH)
    assert again.batch_id == first.batch_id and again.seen_at == first.seen_at
    assert (again.matches_new, again.matches_updated, again.snapshots_added) == (0, 0, 0)
    assert again.status == "validated" and not again.changed
    assert _counts(conn) == before


def test_two_downloads_keep_two_snapshots_and_the_newest_seen_before_kickoff_is_read(
    conn, base, tmp_path, shared_data
):
    import_fixtures(conn, base, path=MARCH, as_of=AS_OF)
    moved = _mirror(
        tmp_path, shared_data, MARCH,
        lambda raw: raw.replace(b"R Jones,1.83,4.2,3.8,1.85,4,3.75,,,,1.81,4.26,4",
                                b"R Jones,1.83,4.2,3.8,1.85,4,3.75,,,,1.75,4.4,4.3"),
    )  # fmt: skip
    later = datetime(2024, 3, 29, 18, 0, tzinfo=UTC)
    second = import_fixtures(conn, moved, path=MARCH, as_of=later)
    assert second.status == "validated" and second.matches_new == 0
    match_id = _match_id(conn, "Newcastle United", "West Ham United")
    snapshots = _snapshots(conn, match_id).items()
    pinnacle = {key[2]: prices[:3] for key, prices in snapshots if key[:2] == ("1x2", "PS")}
    assert pinnacle == {AS_OF: (1.81, 4.26, 4.0), later: (1.75, 4.4, 4.3)}
    assert pre_kickoff_prices(conn)[match_id].home == 1.75
    after_kickoff = datetime(2024, 3, 30, 13, 0, tzinfo=UTC)
    import_fixtures(conn, base, path=MARCH, as_of=after_kickoff)
    assert pre_kickoff_prices(conn)[match_id].home == 1.75


def test_a_fixture_moved_to_another_day_moves_its_row_and_keeps_its_prices(
    conn, base, tmp_path, shared_data
):
    import_fixtures(conn, base, path=MARCH, as_of=AS_OF)
    match_id = _match_id(conn, "Newcastle United", "West Ham United")
    before = _counts(conn)
    moved = _mirror(
        tmp_path, shared_data, MARCH,
        lambda raw: raw.replace(b"E0,30/03/2024,12:30,Newcastle", b"E0,02/04/2024,19:45,Newcastle"),
    )  # fmt: skip
    later = datetime(2024, 3, 29, 18, 0, tzinfo=UTC)
    again = import_fixtures(conn, moved, path=MARCH, as_of=later)
    assert (again.status, again.matches_new, again.matches_updated) == ("validated", 0, 1)
    assert _match_id(conn, "Newcastle United", "West Ham United") == match_id
    kickoff = conn.execute(
        "SELECT kickoff_date::text, status FROM matches WHERE id = %s", (match_id,)
    ).fetchone()
    assert kickoff == ("2024-04-02", "scheduled")
    assert _counts(conn)["matches"] == before["matches"]
    assert {seen for _, _, seen in _snapshots(conn, match_id)} == {AS_OF, later}


def test_a_row_that_does_not_parse_quarantines_the_file_and_writes_nothing(
    conn, tmp_path, shared_data
):
    broken = _mirror(
        tmp_path, shared_data, MARCH, lambda raw: raw.replace(b"R Jones,1.83,", b"R Jones,x,")
    )
    with pytest.raises(ParseError, match="line 5 B365 1x2 opening: price 'x'"):
        import_fixtures(conn, broken, path=MARCH)
    result = import_fixtures(conn, broken, path=MARCH, raise_errors=False)
    assert result.status == "quarantined" and "ParseError" in result.error
    assert _counts(conn)["matches"] == 0 and _counts(conn)["price_snapshots"] == 0


def test_implausible_prices_quarantine_the_batch_and_are_never_served(conn, tmp_path, shared_data):
    absurd = _mirror(
        tmp_path, shared_data, MARCH,
        lambda raw: raw.replace(b",,,,1.81,4.26,4,", b",,,,0.5,4.26,4,"),
    )  # fmt: skip
    result = import_fixtures(conn, absurd, path=MARCH, as_of=AS_OF)
    assert result.status == "quarantined"
    assert "odds" in get_batch(conn, result.batch_id).reason
    match_id = _match_id(conn, "Newcastle United", "West Ham United")
    assert match_id not in pre_kickoff_prices(conn)
