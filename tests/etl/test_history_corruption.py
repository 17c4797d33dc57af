"""Importing damaged season files into the store: a gated batch or a typed error, never half.

Each example imports one real file, damaged by hypothesis, into a private schema emptied
before it. Either the whole file is stored as one batch (validated or quarantined by its
gates), or a typed error is raised with the batch quarantined and no match, stat or price
written; any other exception fails the property.
"""

import hashlib

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from core.db import connect
from etl.errors import EtlError, ParseError
from etl.history import import_file
from etl.migrate import migrate
from etl.sources.football_data import parse_csv, season_path
from etl.teams import seed_aliases
from tests.etl.corruption import (
    CSV_CORRUPTIONS,
    Original,
    damaged,
    lines_repeated,
    quick,
    truncated,
    wrong_teams,
    wrong_values,
)

pytestmark = pytest.mark.integration

#: A recent file (106 columns, closing prices) and the oldest (attendance, extras).
FILES = (("E0", "2324"), ("E0", "0001"))
WRITTEN = ("matches", "match_stats", "odds")
#: Every corruption, with the ones that reach the store and its gates drawn more often.
STORE_CORRUPTIONS = (
    *CSV_CORRUPTIONS, wrong_values, wrong_values, wrong_teams, wrong_teams, truncated,
    lines_repeated,
)  # fmt: skip


@pytest.fixture
def conn(pg_settings):
    with connect(pg_settings, autocommit=True) as conn:
        migrate(conn)
        yield conn


@pytest.fixture(scope="module")
def originals(shared_data):
    return {
        key: Original((shared_data / "football-data" / season_path(*key)).read_bytes())
        for key in FILES
    }


def _empty_store(conn) -> None:
    conn.execute(
        "TRUNCATE odds, match_stats, matches, ingest_batches, raw_pages, team_aliases, teams,"
        " seasons, competitions RESTART IDENTITY CASCADE"
    )
    seed_aliases(conn)


def _counts(conn) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in WRITTEN}


def _batch(conn, body: bytes) -> tuple[int, str, str | None, int]:
    row = conn.execute(
        "SELECT id, status, reason, row_count FROM ingest_batches WHERE content_sha256 = %s",
        (hashlib.sha256(body).hexdigest(),),
    ).fetchone()
    assert row is not None, "the file has no batch"
    return row


@quick(20)
@given(data=st.data())
def test_a_damaged_file_is_stored_whole_as_a_gated_batch_or_quarantined_with_nothing_written(
    conn, originals, tmp_path, data
):
    league, season = data.draw(st.sampled_from(FILES), label="file")
    body = data.draw(damaged(originals[league, season], STORE_CORRUPTIONS), label="damaged")
    path = tmp_path / season_path(league, season)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    _empty_store(conn)
    before = _counts(conn)

    try:
        result = import_file(conn, tmp_path.as_uri(), league, season)
    except EtlError as exc:
        batch_id, status, reason, _ = _batch(conn, body)
        assert status == "quarantined" and type(exc).__name__ in (reason or "")
        assert _counts(conn) == before, "a failed import left rows behind"
        event(f"raised {type(exc).__name__}")
        return

    batch_id, status, _, row_count = _batch(conn, body)
    assert result.batch_id == batch_id and result.status == status
    assert status in ("validated", "quarantined")
    rows = parse_csv(body, league, season).rows
    assert result.matches == row_count == len(rows)
    assert _counts(conn) == {
        "matches": before["matches"] + len(rows),
        "match_stats": before["match_stats"]
        + sum(1 for r in rows if r.stats is not None or r.extra),
        "odds": before["odds"] + sum(len(r.odds) for r in rows),
    }
    stamped = conn.execute("SELECT count(*) FROM matches WHERE batch_id = %s", (batch_id,))
    assert stamped.fetchone()[0] == len(rows)
    event(f"stored, {status}")


def _import_body(conn, tmp_path, body: bytes, league: str = "E0", season: str = "2324"):
    path = tmp_path / season_path(league, season)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    seed_aliases(conn)
    return import_file(conn, tmp_path.as_uri(), league, season)


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (b"Burnley,Man City,", b"Burnley,Burnley,", "a team plays itself: Burnley v Burnley"),
        (
            b"E0,12/08/2023,12:30,Arsenal,Nott'm Forest,",
            b"E0,11/08/2023,20:00,Burnley,Manchester City,",
            "the same match appears twice: Burnley v Man City on 2023-08-11;"
            " Burnley v Manchester City on 2023-08-11",
        ),
    ],
)
def test_a_team_playing_itself_or_one_match_spelt_two_ways_quarantines_with_nothing_written(
    conn, originals, tmp_path, old, new, error
):
    body = originals["E0", "2324"].replace(old, new, 1)
    with pytest.raises(ParseError, match=error):
        _import_body(conn, tmp_path, body)
    assert _batch(conn, body)[1] == "quarantined"
    assert _counts(conn) == dict.fromkeys(WRITTEN, 0)


def test_a_zero_price_is_quarantined_by_its_gate_with_a_report_the_store_can_keep(
    conn, originals, tmp_path
):
    """A header one column short shifts stats into prices: 1/0 makes an infinite overround."""
    lines = originals["E0", "2324"].split(b"\r\n")
    header = lines[0].split(b",")
    body = b"\r\n".join([b",".join(header[:12] + header[13:]), *lines[1:]])
    result = _import_body(conn, tmp_path, body)
    assert result.status == "quarantined" and result.matches == 380
    report = conn.execute(
        "SELECT report FROM ingest_batches WHERE id = %s", (result.batch_id,)
    ).fetchone()[0]
    samples = [
        v for check in report["suites"]["odds"]["checks"] for v in check["unexpected_sample"]
    ]
    assert "inf" in samples
