"""The fixture a client asks a forecast for, checked and normalised once for every path.

A fixture is ``{"home_team", "away_team", "competition", "kickoff"?}`` or ``{"match_id"}``,
either with optional ``"prices": {"home", "draw", "away"}`` (decimal 1X2 prices the client
wants the forecast to read instead of the store's). The API, the command line and the
``predict`` actor all normalise through ``normalise_fixture``, so a fixture has one spelling
everywhere, cache keys included: names stripped, the kickoff an ISO date (today, UTC, when
omitted), prices as floats.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from core.errors import CoreError

#: Codes of the error item an answer holds for a fixture that could not be forecast (the
#: workers write them, the API answers each with the status of ``api/errors.py``).
NO_MODEL = "no_model"
UNKNOWN_TEAM = "unknown_team"
UNKNOWN_COMPETITION = "unknown_competition"
UNKNOWN_MATCH = "unknown_match"
COMPETITION_NOT_COVERED = "competition_not_covered"
SAME_TEAM = "same_team"
INVALID_FIXTURE = "invalid_fixture"
#: The code of request prices of no one market: their overround out of bounds, or a price
#: too large for a double (the API answers it, 422).
IMPLAUSIBLE_PRICES = "implausible_prices"

NAME_FIELDS = ("home_team", "away_team", "competition")
KNOWN_FIELDS = frozenset({*NAME_FIELDS, "kickoff", "match_id", "prices"})
PRICE_FIELDS = ("home", "draw", "away")
#: Bounds of a 1X2 book's overround (sum of 1/price): outside them the prices are typos or
#: not one market's home, draw and away prices.
OVERROUND_BOUNDS = (0.9, 1.5)
#: Longest team or competition name accepted (characters).
MAX_NAME_CHARS = 80
#: What a team or competition name must hold: a letter or digit (the API document states it).
NAME_PATTERN = "[0-9A-Za-z]"
#: Kickoffs outside these years are typos, not fixtures.
KICKOFF_YEARS = (1990, 2100)
#: A kickoff as the API document describes it and the API checks it: an ISO date of those
#: years, optionally with a time and offset. 29 February only in leap years (2100 is not
#: one), so that every date the document allows is one the API can read.
KICKOFF_PATTERN = (
    r"^((199\d|20\d\d|2100)-"
    r"((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)|02-(0[1-9]|1\d|2[0-8]))"
    r"|(199[26]|20([02468][048]|[13579][26]))-02-29)"
    r"(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?)?$"
)
#: Largest match id (the store's ids are PostgreSQL bigints).
MAX_MATCH_ID = 2**63 - 1


class InvalidFixture(CoreError):
    """Raised when a fixture lacks a field or holds an unusable value; names the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class SameTeam(InvalidFixture):
    """Raised for a fixture whose two sides are one team: well formed, but no such match
    exists, so it is answered like an unknown team (404, or an error item in a batch)."""

    code = SAME_TEAM

    def item(self) -> dict[str, Any]:
        """This error as a batch item, in the shape of the API's error body."""
        return {"error": {"code": self.code, "message": str(self), "field": self.field}}


class ImplausiblePrices(InvalidFixture):
    """Raised for prices each well formed that are no one market's: their overround is out of
    bounds (a rule across the three that JSON Schema cannot state) or one is too large for a
    double. The API document describes it in words, and the refusal has a code of its own,
    telling it from a malformed field."""

    code = IMPLAUSIBLE_PRICES


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _kickoff(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidFixture(field, f"{field} must be an ISO date or date-time string")
    try:
        if not re.fullmatch(KICKOFF_PATTERN, value):
            raise ValueError(value)
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFixture(field, f"{field} is not an ISO date: {value[:40]!r}") from None
    if not KICKOFF_YEARS[0] <= when.year <= KICKOFF_YEARS[1]:
        raise InvalidFixture(
            field, f"{field} must fall between {KICKOFF_YEARS[0]} and {KICKOFF_YEARS[1]}"
        )
    return when.date().isoformat()


def _prices(value: Any, field: str) -> dict[str, float]:
    if not isinstance(value, dict):
        raise InvalidFixture(field, f"{field} must be an object with home, draw and away prices")
    unknown = sorted(set(value) - set(PRICE_FIELDS))
    if unknown:
        raise InvalidFixture(f"{field}.{unknown[0]}", f"unknown price {unknown[0]!r}")
    prices: dict[str, float] = {}
    for name in PRICE_FIELDS:
        price = value.get(name)
        if isinstance(price, bool) or not isinstance(price, int | float) or not price > 1.0:
            raise InvalidFixture(
                f"{field}.{name}", f"{field}.{name} must be a decimal price greater than 1.0"
            )
        if price != price or price == float("inf"):
            raise InvalidFixture(f"{field}.{name}", f"{field}.{name} must be a finite number")
        try:
            prices[name] = float(price)
        except OverflowError:  # a JSON integer past any double: a number, but no market's price
            raise ImplausiblePrices(
                f"{field}.{name}", f"{field}.{name} is too large to be a decimal price"
            ) from None
    overround = sum(1.0 / p for p in prices.values())
    low, high = OVERROUND_BOUNDS
    if not low <= overround <= high:
        raise ImplausiblePrices(
            field,
            f"{field} imply an overround of {overround:.3f} (1/home + 1/draw + 1/away);"
            f" it must lie between {low} and {high}",
        )
    return prices


def normalise_fixture(value: Any, prefix: str = "", today: dt.date | None = None) -> dict[str, Any]:
    """The fixture in its one spelling; ``prefix`` goes before field names in errors
    (``fixtures[3].``)."""
    if not isinstance(value, dict):
        raise InvalidFixture(prefix.rstrip(".") or "fixture", "a fixture must be a JSON object")
    unknown = sorted(set(value) - KNOWN_FIELDS)
    if unknown:
        raise InvalidFixture(f"{prefix}{unknown[0]}", f"unknown field {unknown[0]!r} in a fixture")
    priced = {"prices": _prices(value["prices"], f"{prefix}prices")} if "prices" in value else {}
    if "match_id" in value:
        match_id = value["match_id"]
        if isinstance(match_id, float) and match_id.is_integer():
            match_id = int(match_id)  # JSON has one number type: 137737.0 is an integer
        if (
            isinstance(match_id, bool)
            or not isinstance(match_id, int)
            or not 0 < match_id <= MAX_MATCH_ID
        ):
            raise InvalidFixture(
                f"{prefix}match_id", f"match_id must be an integer from 1 to {MAX_MATCH_ID}"
            )
        if set(value) - {"prices"} != {"match_id"}:
            raise InvalidFixture(f"{prefix}match_id", "give either match_id or the teams, not both")
        return {"match_id": match_id, **priced}
    fixture: dict[str, Any] = {}
    for name in NAME_FIELDS:
        field = f"{prefix}{name}"
        text = value.get(name)
        if text is None:
            raise InvalidFixture(field, f"{field} is required (or give match_id)")
        if (
            not isinstance(text, str)
            or not re.search(NAME_PATTERN, text)
            or len(text) > MAX_NAME_CHARS
        ):
            raise InvalidFixture(
                field,
                f"{field} must be a string of at most {MAX_NAME_CHARS} characters"
                " with a letter or digit",
            )
        fixture[name] = " ".join(text.split())
    if fixture["home_team"].casefold() == fixture["away_team"].casefold():
        raise SameTeam(f"{prefix}away_team", "a team cannot play itself")
    kickoff = value.get("kickoff")
    fixture["kickoff"] = (
        (today or today_utc()).isoformat()
        if kickoff is None
        else _kickoff(kickoff, f"{prefix}kickoff")
    )
    return {**fixture, **priced}
