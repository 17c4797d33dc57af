"""Season codes, their years and the day a season turns, in one place."""

from datetime import date

import pytest

from core.errors import InvalidSeason
from core.seasons import (
    code_of_start_year,
    parse_season,
    season_codes,
    season_of_day,
    season_start_year,
)


@pytest.mark.parametrize(("code", "year"), [("2324", 2023), ("9900", 1999), ("0001", 2000)])
def test_a_code_names_the_year_its_season_starts(code, year):
    assert season_start_year(code) == year
    assert code_of_start_year(year) == code


@pytest.mark.parametrize("code", ["2325", "23-24", "232", "abcd", ""])
def test_a_code_that_is_not_two_following_years_is_refused(code):
    with pytest.raises(InvalidSeason, match="2324"):
        season_start_year(code)


def test_the_season_of_a_day_turns_on_the_first_of_july():
    assert season_of_day(date(2024, 6, 30)) == "2324"
    assert season_of_day(date(2024, 7, 1)) == "2425"
    assert season_of_day(date(2021, 1, 12)) == "2021"


def test_a_range_of_seasons_crosses_the_century_and_refuses_to_run_backwards():
    assert season_codes("9899", "0102") == ["9899", "9900", "0001", "0102"]
    with pytest.raises(InvalidSeason, match="comes before"):
        season_codes("2324", "2223")


@pytest.mark.parametrize(
    ("text", "code"),
    [("2021", "2021"), ("2020-21", "2021"), ("2020/2021", "2021"), (" 99-00 ", "9900")],
)
def test_season_spellings_become_football_data_codes(text, code):
    assert parse_season(text) == code


def test_the_season_module_imports_nothing_outside_the_standard_library():
    import subprocess
    import sys

    probe = (
        "import sys; import core.seasons; "
        "print(sorted(m.split('.')[0] for m in sys.modules if m.split('.')[0] in "
        "{'pandas', 'numpy', 'psycopg', 'dramatiq', 'redis', 'structlog'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
