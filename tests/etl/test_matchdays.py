"""A past season as it looked on any day, rebuilt from the real season files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools

import pytest

from etl.errors import ParseError
from etl.matchdays import SeasonFile
from etl.sources.football_data import parse_csv


@pytest.fixture(scope="module")
def e0_2324(shared_data) -> SeasonFile:
    return SeasonFile.parse((shared_data / "football-data/mmz4281/2324/E0.csv").read_bytes())


def _rows(raw: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_a_season_splits_into_matchdays_of_consecutive_dates(e0_2324):
    days = e0_2324.matchdays()
    assert sum(d.matches for d in days) == 380
    assert (days[0].first, days[0].last, days[0].matches) == (
        dt.date(2023, 8, 11),
        dt.date(2023, 8, 14),
        10,
    )
    assert days[-1].first == days[-1].last == dt.date(2024, 5, 19)
    assert all((b.first - a.last).days > 1 for a, b in itertools.pairwise(days))
    assert days[0].eve == dt.date(2023, 8, 10)


def test_the_fixtures_file_of_a_window_is_the_one_the_site_published(e0_2324, shared_data):
    rebuilt = _rows(e0_2324.fixtures_csv(dt.date(2024, 5, 17), dt.date(2024, 5, 26)))
    published = (shared_data / "football-data/fixtures/fixtures_2024-05-16.csv").read_bytes()
    expected = [r for r in _rows(published) if r["Div"] == "E0"]
    assert rebuilt == expected
    assert not {"FTHG", "FTR", "HS", "PSCH", "AvgC>2.5", "AHCh", "PCAHH"} & set(rebuilt[0])


def test_the_season_file_as_it_stood_holds_only_the_matches_played_by_then(e0_2324):
    parsed = parse_csv(e0_2324.results_through(dt.date(2023, 8, 14)), "E0", "2324")
    assert len(parsed.rows) == 10
    assert max(r.kickoff_date for r in parsed.rows) == dt.date(2023, 8, 14)
    assert all(r.status == "finished" for r in parsed.rows)


def test_a_season_file_without_dates_is_a_parse_error():
    with pytest.raises(ParseError, match="no Date column"):
        SeasonFile.parse(b"Div,HomeTeam\nE0,Arsenal\n")
    with pytest.raises(ParseError, match="unreadable match date"):
        SeasonFile.parse(b"Div,Date\nE0,31-02\n")
