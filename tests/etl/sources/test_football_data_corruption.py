"""Damaged football-data season files: valid rows or a ParseError naming the file, nothing else.

The files are real ones from the shared data, damaged by hypothesis: bytes, lines, header
columns, cells of dates, goals, stats and prices, and the whole file's encoding.
"""

import math
from datetime import date, datetime

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from etl.errors import EtlError, ParseError
from etl.records import PRICE_FIELDS, STAT_FIELDS
from etl.sources import football_data
from etl.sources.football_data import ParsedFile, parse_csv, season_path
from etl.store.reads import MARKET_PRICES
from tests.etl.corruption import CSV_CORRUPTIONS, HEADER_CORRUPTIONS, damaged, garbage_cells, quick

#: (league, season): a recent file (Time, closing prices, CRLF), the oldest one (two-digit
#: years, attendance, extras), one with trailing blank rows (LF), one re-saved by pandas.
FILES = (("E0", "2324"), ("E0", "0001"), ("I1", "1213"), ("F1", "0304"))
#: The store keeps goals and stats as smallint and attendance as int.
SMALLINT_MAX = 32_767
INT_MAX = 2**31 - 1
ENCODINGS = ("utf-16", "utf-16-be", "utf-32", "cp500", "latin-1", "shift_jis", "mac_roman")


class SeasonFiles(dict[tuple[str, str], bytes]):
    """The original bytes by (league, season); short in hypothesis' reports."""

    def __repr__(self) -> str:
        return f"SeasonFiles({sorted(self)})"


@pytest.fixture(scope="module")
def season_files(shared_data):
    return SeasonFiles(
        (key, (shared_data / "football-data" / season_path(*key)).read_bytes()) for key in FILES
    )


def _count_ok(value: object, maximum: int = SMALLINT_MAX) -> bool:
    return value is None or (type(value) is int and 0 <= value <= maximum)


def assert_valid(parsed: ParsedFile, league: str, season: str) -> None:
    """Every row is one the store can hold and the gates can judge."""
    assert (parsed.league, parsed.season) == (league, season) and parsed.rows
    for row in parsed.rows:
        assert isinstance(row.kickoff_date, date)
        assert isinstance(row.home, str) and row.home == row.home.strip() != ""
        assert isinstance(row.away, str) and row.away == row.away.strip() != ""
        assert row.status == ("scheduled" if row.home_goals is None else "finished")
        assert (row.home_goals is None) == (row.away_goals is None)
        goals = (row.home_goals, row.away_goals, row.ht_home_goals, row.ht_away_goals)
        assert all(_count_ok(g) for g in goals)
        assert _count_ok(row.attendance, INT_MAX)
        if row.kickoff_at is not None:
            assert isinstance(row.kickoff_at, datetime) and row.kickoff_at.tzinfo is not None
            assert row.kickoff_at.date() == row.kickoff_date
        if row.stats is not None:
            assert len(row.stats) == len(STAT_FIELDS) and all(_count_ok(v) for v in row.stats)
        assert row.extra is None or all(_count_ok(v) for v in row.extra.values())
        for quote in row.odds:
            assert quote.kind in ("opening", "closing") and quote.market in MARKET_PRICES
            prices = [getattr(quote, name) for name in MARKET_PRICES[quote.market]]
            assert all(isinstance(p, float) and math.isfinite(p) for p in prices)
            others = set(PRICE_FIELDS) - set(MARKET_PRICES[quote.market])
            assert all(getattr(quote, name) is None for name in others)


def parses_or_names_the_file(raw: bytes, league: str, season: str) -> str:
    """Which of the two outcomes it was (for hypothesis' statistics)."""
    try:
        parsed = parse_csv(raw, league, season)
    except EtlError as exc:
        assert isinstance(exc, ParseError), f"{type(exc).__name__} is not a ParseError"
        assert str(exc).startswith(season_path(league, season))
        return "ParseError"
    assert_valid(parsed, league, season)
    return "parsed"


@quick(200)
@given(data=st.data())
def test_a_file_damaged_byte_or_line_wise_gives_valid_rows_or_a_parse_error(season_files, data):
    league, season = data.draw(st.sampled_from(FILES), label="file")
    raw = data.draw(damaged(season_files[league, season]), label="damaged")
    event(parses_or_names_the_file(raw, league, season))


@quick(150)
@given(data=st.data())
def test_garbage_dates_goals_stats_or_prices_give_valid_rows_or_a_parse_error(season_files, data):
    league, season = data.draw(st.sampled_from(FILES), label="file")
    raw = data.draw(garbage_cells(season_files[league, season]), label="damaged")
    event(parses_or_names_the_file(raw, league, season))


@quick(100)
@given(data=st.data())
def test_removed_or_renamed_header_columns_give_valid_rows_or_a_parse_error(season_files, data):
    league, season = data.draw(st.sampled_from(FILES), label="file")
    raw = data.draw(damaged(season_files[league, season], HEADER_CORRUPTIONS), label="damaged")
    event(parses_or_names_the_file(raw, league, season))


@quick(100)
@given(data=st.data())
def test_any_mix_of_damage_gives_valid_rows_or_a_parse_error(season_files, data):
    league, season = data.draw(st.sampled_from(FILES), label="file")
    raw = data.draw(damaged(season_files[league, season], CSV_CORRUPTIONS), label="damaged")
    event(parses_or_names_the_file(raw, league, season))


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(("league", "season"), FILES)
def test_a_file_saved_in_another_encoding_gives_valid_rows_or_a_parse_error(
    season_files, league, season, encoding
):
    text = football_data.decode(season_files[league, season])
    parses_or_names_the_file(text.encode(encoding, errors="replace"), league, season)


@pytest.mark.parametrize(
    "raw",
    [b"", b"\n", b"\r\n\r\n", b"   \t", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n", b",,,,\n,,,,\n",
     b"\x00", b"\xff\xfe", b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG\r\n"],
)  # fmt: skip
def test_an_empty_or_header_only_file_is_a_parse_error_naming_it(raw):
    with pytest.raises(ParseError, match=r"^mmz4281/2324/E0\.csv"):
        parse_csv(raw, "E0", "2324")


def test_an_unclosed_quote_that_swallows_the_rest_of_the_file_is_a_parse_error(season_files):
    raw = season_files["E0", "2324"]
    assert len(raw) > 131_072, "the rest of the file must outgrow the csv module's field limit"
    damaged_raw = raw.replace(b"E0,11/08/2023", b'E0,"11/08/2023', 1)
    with pytest.raises(ParseError, match=r"^mmz4281/2324/E0\.csv line \d+: not CSV"):
        parse_csv(damaged_raw, "E0", "2324")
