"""A fixture's prices are checked and normalised with the fixture, so they key the cache."""

import calendar
import datetime as dt
import re

import pytest

from core.cache import digest
from core.fixtures import KICKOFF_PATTERN, ImplausiblePrices, InvalidFixture, normalise_fixture

FIXTURE = {"home_team": "Arsenal", "away_team": "Chelsea", "competition": "E0"}
PRICES = {"home": 2.1, "draw": 3.4, "away": 3.6}


def test_prices_are_kept_as_floats_and_change_the_fixture_key():
    plain = normalise_fixture({**FIXTURE, "kickoff": "2024-08-17"})
    priced = normalise_fixture({**plain, "prices": {**PRICES, "home": 2}})
    assert priced["prices"] == {**PRICES, "home": 2.0}
    assert "prices" not in plain
    assert digest(priced) != digest(plain)


def test_a_match_id_may_carry_prices():
    assert normalise_fixture({"match_id": 3, "prices": PRICES}) == {"match_id": 3, "prices": PRICES}


@pytest.mark.parametrize(
    ("prices", "field"),
    [
        ({**PRICES, "home": 1.0}, "fixtures[2].prices.home"),
        ({**PRICES, "draw": True}, "fixtures[2].prices.draw"),
        ({**PRICES, "away": float("nan")}, "fixtures[2].prices.away"),
        ({"home": 1.05, "draw": 1.05, "away": 1.05}, "fixtures[2].prices"),
        ({"home": 15.0, "draw": 15.0, "away": 15.0}, "fixtures[2].prices"),
    ],
)
def test_bad_prices_name_the_price_at_fault(prices, field):
    with pytest.raises(InvalidFixture) as caught:
        normalise_fixture({**FIXTURE, "prices": prices}, "fixtures[2].")
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("prices", "field"),
    [(dict.fromkeys(PRICES, 1.9), "prices"), ({**PRICES, "away": 10**400}, "prices.away")],
)
def test_prices_of_no_one_market_are_implausible_not_a_bad_field(prices, field):
    """Each is a number above 1.0, as the document asks: the refusal has its own code."""
    with pytest.raises(ImplausiblePrices) as caught:
        normalise_fixture({**FIXTURE, "prices": prices})
    assert (caught.value.code, caught.value.field) == ("implausible_prices", field)


def test_the_documented_kickoff_pattern_allows_exactly_the_days_a_fixture_may_have():
    """Every day of 1990-2100 and no other, 29 February only in leap years."""
    day, last = dt.date(1989, 1, 1), dt.date(2101, 12, 31)
    while day <= last:
        assert bool(re.fullmatch(KICKOFF_PATTERN, day.isoformat())) == (1990 <= day.year <= 2100)
        day += dt.timedelta(days=1)
    for year in range(1989, 2102):
        allowed = bool(re.fullmatch(KICKOFF_PATTERN, f"{year}-02-29"))
        assert allowed == (calendar.isleap(year) and 1990 <= year <= 2100), year
    with pytest.raises(InvalidFixture):
        normalise_fixture({**FIXTURE, "kickoff": "2023-02-29"})
    assert normalise_fixture({**FIXTURE, "kickoff": "2024-02-29"})["kickoff"] == "2024-02-29"


def test_an_overround_at_the_bounds_is_accepted():
    for price in (3.3, 2.0):  # overround 0.909 and 1.5
        assert normalise_fixture({**FIXTURE, "prices": dict.fromkeys(PRICES, price)})["prices"]
