"""Damaged WhoScored pages and feeds: a well-typed record or ParseError/BlockedError, nothing else.

The pages are the real ones from the shared data. Hypothesis damages their bytes (cut,
overwritten, deleted, repeated, lines moved) and, for the data they embed, their structure:
a value swapped for one of another type (null, text, a number, NaN, a list...) or a key
removed, the page or feed then written back as its source would.
"""

import gzip
import json
import math
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from etl.errors import BlockedError, EtlError, ParseError
from etl.sources import whoscored as ws
from etl.sources.jsliteral import parse_js_literal
from tests.etl.corruption import BYTE_CORRUPTIONS, brackets_opened, damaged, quick

EPL_2021 = "ENG-Premier League_2021"
LIVE = "live/1650630.html.gz"
#: Pages embed data in JSON or JavaScript literals, so nesting is damage of its own.
CORRUPTIONS = (*BYTE_CORRUPTIONS, brackets_opened)
#: name: (parser, path under whoscored/, examples of byte damage); the live page is
#: damaged both as saved (gzip'd) and after decompression.
PAGES = {
    "fixtures feed": (ws.parse_fixtures, f"matches/{EPL_2021}_18685_0.json", 150),
    "calendar": (ws.parse_calendar, f"matches/{EPL_2021}.html", 100),
    "match-centre events": (ws.parse_match_centre, f"events/{EPL_2021}/1485184.json", 60),
    "live page": (ws.parse_match_centre, LIVE, 30),
    "gzip'd live page": (ws.parse_match_centre, LIVE, 60),
    "season page": (ws.parse_tournament_page, f"seasons/{EPL_2021}.html", 30),
    "preview page": (ws.parse_preview, f"previews/{EPL_2021}/1485184.html", 60),
    "bot-protection page": (ws.parse_fixtures, "blocked/incapsula.html", 60),
}
#: Values a damaged feed may hold where the parser expects something else.
ODD_VALUES = (
    None, True, 0, -1, 7, 1.5, 10**30, math.nan, math.inf, -math.inf, "", "x", "FT", "Postp.",
    "1 : 2", "2021-01-12T20:15:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00",
    "12/01/2021 20:15:00", "\ud800", [], [1], ["x", None], {}, {"name": 1},
)  # fmt: skip


class Pages(dict[str, bytes]):
    """Each page's bytes by name; short in hypothesis' reports."""

    def __repr__(self) -> str:
        return f"Pages({sorted(self)})"


@pytest.fixture(scope="module")
def pages(shared_data) -> Pages:
    found = Pages()
    for name, (_, path, _) in PAGES.items():
        body = (shared_data / "whoscored" / path).read_bytes()
        found[name] = gzip.decompress(body) if name == "live page" else body
    return found


# -- what a parse may give -------------------------------------------------------------


def _is_utc(moment: Any) -> bool:
    return isinstance(moment, datetime) and moment.utcoffset() == UTC.utcoffset(None)


def _optional(value: Any, kind: type) -> bool:
    return value is None or (isinstance(value, kind) and not isinstance(value, bool))


def assert_well_typed(record: Any) -> None:
    """A record holds what its type declares: what the store writes can be written."""
    if isinstance(record, list):
        for item in record:
            assert_well_typed(item)
        return
    if isinstance(record, ws.Fixture):
        assert isinstance(record.match_id, int) and _is_utc(record.kickoff_utc)
        assert isinstance(record.home_id, int) and isinstance(record.away_id, int)
        assert isinstance(record.home_name, str) and isinstance(record.away_name, str)
        assert record.status in ws.Status.__args__
        assert _optional(record.home_goals, int) and _optional(record.away_goals, int)
    elif isinstance(record, ws.MatchCentre):
        assert _optional(record.match_id, int) and _is_utc(record.kickoff_utc)
        assert record.status in ws.Status.__args__ and isinstance(record.event_count, int)
        assert _optional(record.referee, str) and _optional(record.venue, str)
        assert _optional(record.attendance, int)
        for sheet in (record.home, record.away):
            assert isinstance(sheet.team_id, int) and isinstance(sheet.name, str)
            assert _optional(sheet.goals, int) and _optional(sheet.ht_goals, int)
            assert _optional(sheet.manager, str)
            assert all(isinstance(f, str) for f in sheet.formations)
            assert all(_optional(v, float | int) for v in sheet.totals.values())
            assert all(math.isfinite(v) for v in sheet.totals.values())
            assert _optional(sheet.possession_pct, float)
            assert isinstance(sheet.yellow_cards, int) and isinstance(sheet.red_cards, int)
            for name in ("shotsTotal", "cornersTotal", "foulsCommited"):
                assert _optional(ws.stat(sheet, name), int)
            assert _optional(ws.shots_on_target(sheet), int)
    elif isinstance(record, ws.MatchHeader):
        assert isinstance(record.match_id, int) and _is_utc(record.kickoff_utc)
        assert isinstance(record.home_id, int) and isinstance(record.away_id, int)
        assert record.status in ws.Status.__args__
    elif isinstance(record, ws.TournamentPage):
        assert isinstance(record.stage_id, int) and record.seasons
        assert all(isinstance(s.season_id, int) for s in record.seasons)
        if record.calendar is not None:
            assert_well_typed(record.calendar)
    elif isinstance(record, ws.Calendar):
        assert _optional(record.stage_id, int)
        assert all(1 <= month <= 12 for _, month in record.months)
    else:
        pytest.fail(f"unexpected result {type(record).__name__}")


def parses_or_refuses(parse: Any, body: bytes) -> str:
    """The record's kind, or the typed error's: what the outcome was, for the statistics."""
    try:
        record = parse(body)
    except EtlError as exc:
        assert isinstance(exc, ParseError | BlockedError), f"{type(exc).__name__}: {exc}"
        assert str(exc)
        return type(exc).__name__
    assert_well_typed(record)
    return "parsed"


# -- damaged bytes ---------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_a_damaged_page_or_feed_parses_or_raises_a_typed_error(pages, name):
    parse, _, examples = PAGES[name]

    @quick(examples)
    @given(body=damaged(pages[name], CORRUPTIONS))
    def check(body: bytes) -> None:
        event(parses_or_refuses(parse, body))

    check()


@quick(80)
@given(data=st.data())
def test_any_damaged_file_is_recognised_or_is_a_parse_error(pages, data):
    name = data.draw(st.sampled_from(sorted(pages)), label="page")
    body = data.draw(damaged(pages[name], CORRUPTIONS), label="damaged")
    try:
        kind = ws.detect_kind(body)
    except EtlError as exc:
        assert isinstance(exc, ParseError) and "gzip" in str(exc)
        return
    assert kind in ws.PageKind.__args__


# -- damaged structure -----------------------------------------------------------------

_REMOVE = object()


@st.composite
def _changed(draw: st.DrawFn, node: Any) -> Any:
    """``node`` with one value somewhere below it replaced by an odd one, or removed.

    Containers are copied along the path only, so megabyte feeds stay cheap to change.
    """
    go_down = draw(st.integers(0, 9)) < 8
    if go_down and isinstance(node, dict) and node:
        key = draw(st.sampled_from(sorted(node)))
        child = draw(_changed(node[key]))
        return {k: v for k, v in node.items() if k != key or child is not _REMOVE} | (
            {} if child is _REMOVE else {key: child}
        )
    if go_down and isinstance(node, list) and node:
        index = draw(st.integers(0, len(node) - 1))
        child = draw(_changed(node[index]))
        rest = node[index + 1 :]
        return [*node[:index], *([] if child is _REMOVE else [child]), *rest]
    return draw(st.one_of(st.sampled_from(ODD_VALUES), st.just(_REMOVE)))


@st.composite
def restructured(draw: st.DrawFn, data: Any) -> Any:
    """``data`` after one to three changes of its structure."""
    for _ in range(draw(st.integers(1, 3))):
        changed = draw(_changed(data))
        data = None if changed is _REMOVE else changed
    return data


class Embedded:
    """A page whose data is a literal assigned in a script: its text around the literal."""

    def __init__(self, text: str, target: str) -> None:
        match = re.search(target + r"\s*=\s*", text)
        assert match is not None
        self.value, end = parse_js_literal(text, match.end())
        self.before, self.after = text[: match.end()], text[end:]

    def __repr__(self) -> str:
        return f"<page of {len(self.before) + len(self.after)} characters>"

    def page(self, value: Any) -> bytes:
        return (self.before + json.dumps(value) + self.after).encode("utf-8", "surrogatepass")


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")


@quick(150)
@given(data=st.data())
def test_a_fixtures_feed_with_values_of_the_wrong_type_parses_or_raises_a_parse_error(pages, data):
    feed = json.loads(pages["fixtures feed"])
    body = _json_bytes(data.draw(restructured(feed), label="feed"))
    event(parses_or_refuses(ws.parse_fixtures, body))


@quick(100)
@given(data=st.data())
def test_a_calendar_with_values_of_the_wrong_type_parses_or_raises_a_parse_error(pages, data):
    calendar = json.loads(pages["calendar"])
    body = _json_bytes(data.draw(restructured(calendar), label="calendar"))
    event(parses_or_refuses(ws.parse_calendar, body))


@pytest.fixture(scope="module")
def events_data(pages) -> dict[str, Any]:
    return json.loads(pages["match-centre events"])


@quick(150)
@given(data=st.data())
def test_match_centre_data_with_values_of_the_wrong_type_parses_or_raises_a_parse_error(
    events_data, data
):
    """The 1.3 MB object is handed over decoded: what ``parse_match_centre`` does after json."""
    changed = data.draw(restructured(events_data), label="matchCentreData")
    event(parses_or_refuses(lambda _: ws.match_centre_from_data(changed, None), b""))


@pytest.fixture(scope="module")
def embedded(pages) -> dict[str, Embedded]:
    return {
        "live page": Embedded(pages["live page"].decode(), ws._ARGS),
        "preview page": Embedded(pages["preview page"].decode(), ws._MATCHHEADER),
    }


@pytest.mark.parametrize(("name", "examples"), [("live page", 40), ("preview page", 100)])
def test_a_page_whose_embedded_data_has_values_of_the_wrong_type_parses_or_raises_a_parse_error(
    pages, embedded, name, examples
):
    page = embedded[name]
    parse = PAGES[name][0]

    @quick(examples)
    @given(value=restructured(page.value))
    def check(value: Any) -> None:
        event(parses_or_refuses(parse, page.page(value)))

    check()


def test_every_page_as_saved_parses(pages):
    for name, (parse, _, _) in PAGES.items():
        outcome = parses_or_refuses(parse, pages[name])
        assert outcome == ("BlockedError" if name == "bot-protection page" else "parsed"), name


@pytest.mark.parametrize("literal", ["[" * 5000, "{a:" * 3000, '{"a":' * 3000 + "1", "[1," * 3000])
def test_a_literal_nested_deeper_than_python_recurses_is_a_parse_error(literal):
    with pytest.raises(ParseError, match="args: nested too deeply"):
        parse_js_literal(literal, what="args")


def test_a_lone_surrogate_escape_in_a_single_quoted_string_is_kept_as_json_keeps_it():
    assert parse_js_literal(r"['\ud83d\ude00', '\ud800']")[0] == ["\U0001f600", "\ud800"]
    assert json.loads(r'"\ud800"') == "\ud800"
