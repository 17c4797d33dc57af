import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from etl.errors import MissingSource, ParseError
from etl.sources.football_data import fetch_season, parse_csv, quote_columns


def _raw(shared_data, season, league):
    return (shared_data / "football-data" / "mmz4281" / season / f"{league}.csv").read_bytes()


def _find(parsed, home, away):
    return next(r for r in parsed.rows if r.home == home and r.away == away)


def test_a_recent_file_gives_results_stats_kickoff_time_and_every_1x2_price(shared_data):
    parsed = parse_csv(_raw(shared_data, "2324", "E0"), "E0", "2324")
    assert len(parsed.rows) == 380 and parsed.blank_rows == 0
    match = _find(parsed, "Burnley", "Man City")
    assert match.kickoff_date == date(2023, 8, 11)
    assert match.kickoff_at == datetime(2023, 8, 11, 20, 0, tzinfo=ZoneInfo("Europe/London"))
    assert (match.home_goals, match.away_goals, match.ht_home_goals, match.ht_away_goals) == (
        0, 3, 0, 2,
    )  # fmt: skip
    assert match.status == "finished" and match.referee == "C Pawson"
    assert match.stats[:4] == (6, 17, 1, 8)
    quotes = {
        (q.bookmaker, q.kind): (q.home, q.draw, q.away) for q in match.odds if q.market == "1x2"
    }
    assert quotes["B365", "opening"] == (8.0, 5.5, 1.33)
    assert quotes["B365", "closing"] == (9.0, 5.25, 1.33)
    assert quotes["PS", "closing"][0] == 9.62
    assert quotes["VC", "opening"][0] == 9.5 and quotes["VC", "closing"][0] == 10.5
    assert quotes["Avg", "closing"][0] == 9.27 and quotes["Max", "opening"][0] == 9.5
    assert {"B365", "BW", "IW", "PS", "WH", "VC", "Avg", "Max"} == set(parsed.bookmakers)


def test_an_old_file_with_two_digit_years_and_no_time_column_parses(shared_data):
    parsed = parse_csv(_raw(shared_data, "0001", "E0"), "E0", "0001")
    match = _find(parsed, "Charlton", "Man City")
    assert match.kickoff_date == date(2000, 8, 19) and match.kickoff_at is None
    assert (match.home_goals, match.away_goals) == (4, 0)
    assert match.attendance == 20043
    assert match.extra == {"HHW": 2, "AHW": 1, "HO": 8, "AO": 6, "HBP": 10, "ABP": 20}


def test_numbers_written_with_a_decimal_point_are_counts(shared_data):
    raw = _raw(shared_data, "1415", "E0")
    assert b"6.0,1.0,H" in raw
    match = _find(parse_csv(raw, "E0", "1415"), "Stoke", "Liverpool")
    assert (match.home_goals, match.away_goals, match.ht_home_goals) == (6, 1, 5)
    assert match.stats[0] == 15 and isinstance(match.stats[0], int)


def test_trailing_rows_of_bare_commas_are_skipped(shared_data):
    raw = _raw(shared_data, "1213", "I1")
    assert raw.rstrip().endswith(b",,,,")
    parsed = parse_csv(raw, "I1", "1213")
    assert len(parsed.rows) == 380 and parsed.blank_rows == 3


def test_a_byte_order_mark_and_latin_1_bytes_are_read(shared_data):
    raw = _raw(shared_data, "2324", "D1")
    with_bom = b"\xef\xbb\xbf" + raw
    assert len(parse_csv(with_bom, "D1", "2324").rows) == 306
    latin = raw.replace(b"Ein Frankfurt", "Eintracht Frankfurt Gro\u00df".encode("latin-1"))
    names = {r.home for r in parse_csv(latin, "D1", "2324").rows}
    assert "Eintracht Frankfurt Gro\u00df" in names


def test_a_bookmaker_missing_for_one_match_gives_no_quote_for_it(shared_data):
    parsed = parse_csv(_raw(shared_data, "0001", "SP1"), "SP1", "0001")
    match = _find(parsed, "Osasuna", "Celta")
    bookmakers = {q.bookmaker for q in match.odds if q.market == "1x2"}
    assert "WH" not in bookmakers and "IW" in bookmakers
    assert parsed.rows[0].stats is None, "the 2000-01 La Liga file has no match stats"


def test_price_columns_tell_closing_prices_from_bookmakers_ending_in_c():
    header = ["VCH", "VCD", "VCA", "VCCH", "VCCD", "VCCA", "B365AHH", "B365AHA", "AvgCH",
              "AvgCD", "AvgCA", "HTHG"]  # fmt: skip
    found = {(q.bookmaker, q.kind) for q in quote_columns(header) if q.market == "1x2"}
    assert found == {("VC", "opening"), ("VC", "closing"), ("Avg", "closing")}


def test_handicap_prices_without_a_line_column_are_not_quotes():
    header = ["B365AHH", "B365AHA", "PAHH", "PAHA", "PCAHH", "PCAHA", "AHCh"]
    found = {(q.bookmaker, q.market, q.kind) for q in quote_columns(header)}
    assert found == {("PS", "ah", "closing")}


def test_a_recent_file_gives_over_under_and_handicap_prices_opening_and_closing(shared_data):
    match = _find(parse_csv(_raw(shared_data, "2324", "E0"), "E0", "2324"), "Burnley", "Man City")
    quotes = {(q.bookmaker, q.market, q.kind): q for q in match.odds}
    over_under = quotes["B365", "ou2.5", "opening"]
    assert (over_under.over, over_under.under, over_under.home) == (1.67, 2.2, None)
    assert quotes["PS", "ou2.5", "closing"].under == 2.35, "Pinnacle's P> columns are PS"
    handicap = quotes["Avg", "ah", "opening"]
    assert (handicap.line, handicap.home, handicap.away, handicap.draw) == (1.5, 1.85, 2.03, None)
    assert quotes["PS", "ah", "closing"].line == 1.5
    assert ("Max", "ah", "closing") not in quotes, "an empty closing price is no quote"
    assert {q.market for q in match.odds} == {"1x2", "ou2.5", "ah"}


def test_old_files_give_betbrain_and_per_bookmaker_handicap_lines(shared_data):
    old = _find(parse_csv(_raw(shared_data, "0304", "E0"), "E0", "0304"), "Birmingham", "Tottenham")
    lines = {q.bookmaker: q.line for q in old.odds if q.market == "ah"}
    assert lines == {"B365": -0.25, "GB": -0.25, "LB": 0.0}
    betbrain = parse_csv(_raw(shared_data, "1819", "E0"), "E0", "1819").rows[0]
    quotes = {(q.bookmaker, q.market): q for q in betbrain.odds}
    assert quotes["BbAv", "ah"].line is not None and quotes["BbAv", "ou2.5"].over > 1


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda raw: raw.replace(b"HomeTeam", b"Home"), r"missing column\(s\) HomeTeam"),
        (lambda raw: raw.replace(b"E0,11/08/2023", b"E0,2023-08-11", 1), "line 2: Date"),
        (lambda raw: raw.replace(b",Burnley,Man City,0,3,", b",Burnley,Man City,x,3,"), "FTHG"),
        (lambda raw: raw.replace(b"E0,11/08/2023", b"E1,11/08/2023", 1), "Div is 'E1'"),
        (lambda raw: b"", "empty"),
    ],
)
def test_a_broken_file_raises_parse_error_naming_what_is_wrong(shared_data, mutate, message):
    with pytest.raises(ParseError, match=message):
        parse_csv(mutate(_raw(shared_data, "2324", "E0")), "E0", "2324")


def test_fetching_reads_the_file_mirror_and_a_missing_file_is_a_typed_error(shared_data):
    base = (shared_data / "football-data").as_uri()
    fetched = asyncio.run(fetch_season(base, "E0", "2324"))
    assert fetched.body == _raw(shared_data, "2324", "E0")
    assert fetched.url.endswith("mmz4281/2324/E0.csv")
    with pytest.raises(MissingSource):
        asyncio.run(fetch_season(base, "E0", "9900"))
