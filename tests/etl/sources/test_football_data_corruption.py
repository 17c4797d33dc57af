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
from etl.records import STAT_FIELDS
from etl.sources import football_data
from etl.sources.football_data import ParsedFile, parse_csv, season_path
from tests.etl.corruption import BYTE_CORRUPTIONS, damaged, quick, unchanged

#: (league, season): a recent file (Time, closing prices, CRLF), the oldest one (two-digit
#: years, attendance, extras), one with trailing blank rows (LF), one re-saved by pandas.
FILES = (("E0", "2324"), ("E0", "0001"), ("I1", "1213"), ("F1", "0304"))
#: The store keeps goals and stats as smallint and attendance as int.
SMALLINT_MAX = 32_767
INT_MAX = 2**31 - 1
GARBAGE = (
    "", " ", "0", "7", "2.0", "1.01", "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "1e30", "-1", "-0", "3.5",
    "99999", "2147483648", "0x10", "1_000", "\u0663", "31/02/2023", "2023-08-11", "1/1/1",
    "11/08/2023 20:00", "25:61", "20:00:00", "N/A", '"', '"1,2"', "\x00", "\u00e9",
)  # fmt: skip
#: Columns whose cells get garbage: dates, times, goals, stats, attendance and prices.
TARGET_COLUMNS = (
    "Date", "Time", "FTHG", "FTAG", "HTHG", "HTAG", "Attendance", "HHW", "HBP",
    *(column for home, away, _ in football_data.STAT_COLUMNS for column in (home, away)),
    "B365H", "B365D", "B365A", "B365CH", "PSCH", "PSCA", "AvgH", "MaxA", "BbAvD", "WHH",
)  # fmt: skip
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


def _table(raw: bytes) -> list[list[str]]:
    return [line.split(",") for line in football_data.decode(raw).split("\n")]


def _joined(table: list[list[str]]) -> bytes:
    return "\n".join(",".join(cells) for cells in table).encode("utf-8")


def header_column_removed(raw: bytes) -> st.SearchStrategy[bytes]:
    """A column gone from the header only (every later cell shifts) or from every line."""
    table = _table(raw)
    column = st.integers(0, len(table[0]) - 1)

    def remove(choice: tuple[int, bool]) -> bytes:
        j, everywhere = choice
        return _joined(
            [r[:j] + r[j + 1 :] if everywhere or i == 0 else r for i, r in enumerate(table)]
        )

    return st.tuples(column, st.booleans()).map(remove)


def header_column_renamed(raw: bytes) -> st.SearchStrategy[bytes]:
    table = _table(raw)
    names = sorted({*table[0], *football_data.REQUIRED, "HT", "AT", "HG", "AG", "PSCH", "VCC"})
    new_name = st.one_of(st.sampled_from(names), st.sampled_from(GARBAGE), st.text(max_size=8))

    def rename(choice: tuple[int, str]) -> bytes:
        j, name = choice
        return _joined([[*table[0][:j], name, *table[0][j + 1 :]], *table[1:]])

    return st.tuples(st.integers(0, len(table[0]) - 1), new_name).map(rename)


def garbage_cells(raw: bytes) -> st.SearchStrategy[bytes]:
    """One to five cells of dates, goals, stats or prices replaced by garbage."""
    table = _table(raw)
    present = [table[0].index(c) for c in TARGET_COLUMNS if c in table[0]]
    if len(table) < 2 or not present:
        return unchanged(raw)
    cell = st.tuples(
        st.integers(1, len(table) - 1),
        st.sampled_from(present),
        st.one_of(st.sampled_from(GARBAGE), st.text(max_size=10)),
    )

    def fill(cells: list[tuple[int, int, str]]) -> bytes:
        changed = [list(row) for row in table]
        for i, j, text in cells:
            if j < len(changed[i]):
                changed[i][j] = text
        return _joined(changed)

    return st.lists(cell, min_size=1, max_size=5).map(fill)


HEADER_CORRUPTIONS = (header_column_removed, header_column_renamed)
CSV_CORRUPTIONS = (*BYTE_CORRUPTIONS, *HEADER_CORRUPTIONS, garbage_cells)


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
            assert quote.kind in ("opening", "closing") and quote.market == "1x2"
            prices = (quote.home, quote.draw, quote.away)
            assert all(isinstance(p, float) and math.isfinite(p) for p in prices)


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
