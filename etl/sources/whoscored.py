"""WhoScored pages and feeds → records: pure functions from bytes, no network, no database.

Every parser first refuses the bot-protection page (``BlockedError``) and raises
``ParseError`` naming what it could not find, so a layout change is a clear error and never
a wrong row. WhoScored writes local times in UK time; the records carry UTC.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, SoupStrainer

from etl.errors import BlockedError, ParseError
from etl.sources.jsliteral import find_assignment

#: The time zone of WhoScored's local ``startTime`` values (its feeds' ``timezoneOffset``).
SITE_TZ = ZoneInfo("Europe/London")

#: Markers of the Incapsula bot-protection page served instead of data.
_BLOCK_MARKERS = (b"_Incapsula_Resource", b"Incapsula incident ID", b"Request unsuccessful.")
_ARGS = r"require\.config\.params\[\s*['\"]args['\"]\s*\]"
_MATCHHEADER = r"require\.config\.params\[\s*['\"]matchheader['\"]\s*\]"
_SEASON_URL = re.compile(r"/Regions/(\d+)/Tournaments/(\d+)/Seasons/(\d+)", re.IGNORECASE)
_SCORE = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")

#: Per-minute stat series that are ratios or ratings, not counts: never summed as such.
_RATIO_SUFFIXES = ("Success", "Accuracy")
_NOT_SUMMED = ("ratings", "possession")

Status = Literal["scheduled", "live", "finished", "postponed", "cancelled"]
PageKind = Literal[
    "tournament", "calendar", "fixtures", "match_centre", "preview", "blocked", "unknown"
]


@dataclass(frozen=True)
class Season:
    season_id: int
    name: str  #: as WhoScored writes it: ``2020/2021``
    url: str


@dataclass(frozen=True)
class TournamentPage:
    """A tournament or season page: the season list and the current stage."""

    region_id: int
    tournament_id: int
    seasons: tuple[Season, ...]
    selected_season_id: int | None
    stage_id: int
    calendar: Calendar | None  #: the stage's calendar when the page embeds it


@dataclass(frozen=True)
class Calendar:
    """Which months of a stage have matches; one fixtures feed request per month."""

    stage_id: int | None
    months: tuple[tuple[int, int], ...]  #: (year, month 1-12), in order


@dataclass(frozen=True)
class Fixture:
    match_id: int
    stage_id: int | None
    kickoff_utc: datetime
    home_id: int
    home_name: str
    away_id: int
    away_name: str
    status: Status
    elapsed: str
    home_goals: int | None
    away_goals: int | None


@dataclass(frozen=True)
class TeamSheet:
    team_id: int
    name: str
    goals: int | None
    ht_goals: int | None
    formations: tuple[str, ...]  #: in the order they were used; the first is the starting one
    manager: str | None
    totals: dict[str, float]  #: per-minute series summed over the match
    possession_pct: float | None
    yellow_cards: int
    red_cards: int


@dataclass(frozen=True)
class MatchCentre:
    """What the match-centre data says about one match."""

    match_id: int | None  #: absent from the bare ``matchCentreData`` object
    kickoff_utc: datetime
    status: Status
    elapsed: str
    home: TeamSheet
    away: TeamSheet
    referee: str | None
    venue: str | None
    attendance: int | None
    event_count: int
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MatchHeader:
    """The preview page's ``matchheader``: who plays whom, when, and the score if played."""

    match_id: int
    home_id: int
    away_id: int
    home_name: str
    away_name: str
    kickoff_utc: datetime
    status: Status
    elapsed: str
    ht_score: tuple[int, int] | None
    ft_score: tuple[int, int] | None


# -- shared helpers ----------------------------------------------------------------------


def ensure_not_blocked(body: bytes) -> None:
    """Raise ``BlockedError`` if ``body`` is the bot-protection page."""
    head = body[:20_000]
    if any(marker in head for marker in _BLOCK_MARKERS):
        raise BlockedError("WhoScored answered with its bot-protection (Incapsula) page")


def decode(body: bytes) -> str:
    """Bytes as text; gzip'd bodies (saved pages) are decompressed first."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as exc:
            raise ParseError(f"gzip'd body is corrupt or truncated: {exc}") from exc
    ensure_not_blocked(body)
    return body.decode("utf-8", errors="replace")


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{what}: not valid JSON ({exc})") from exc
    except RecursionError:
        raise ParseError(f"{what}: nested too deeply to read") from None


def _need(data: Any, key: str, what: str) -> Any:
    if not isinstance(data, dict) or data.get(key) is None:
        raise ParseError(f"{what}: missing {key!r}")
    return data[key]


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise ParseError(f"{what}: expected an integer, got {value!r}") from None


def _optional_int(value: Any, what: str) -> int | None:
    return None if value is None or value == "" else _int(value, what)


def _float(value: Any, what: str) -> float:
    """A finite number (``json`` reads ``NaN`` and ``Infinity`` too)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParseError(f"{what}: expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ParseError(f"{what}: expected a finite number, got {value!r}")
    return number


def _optional_text(value: Any, what: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ParseError(f"{what}: expected text, got {value!r}")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ParseError(f"{what}: expected a list, got {type(value).__name__}")
    return value


def _utc(value: Any, what: str) -> datetime:
    """An ISO timestamp; naive ones are WhoScored local (UK) time."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=SITE_TZ)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ParseError(f"{what}: not a timestamp: {value!r}") from None


def _score(value: Any) -> tuple[int, int] | None:
    match = _SCORE.match(value) if isinstance(value, str) else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def status_from_elapsed(elapsed: str | None) -> Status:
    """WhoScored's ``elapsed`` text (``FT``, ``45'``, ``Postp.``…) as a match status."""
    text = (elapsed or "").strip().rstrip(".").upper()
    if text in {"FT", "AET", "PEN", "FIN"}:
        return "finished"
    if text.startswith("POSTP") or text in {"PP", "PST"}:
        return "postponed"
    if text.startswith(("CANC", "ABD", "ABAN")) or text == "CAN":
        return "cancelled"
    if text in {"", "-", "VS", "TBA"}:
        return "scheduled"
    return "live"


# -- tournament and season pages ---------------------------------------------------------


def parse_tournament_page(body: bytes) -> TournamentPage:
    """Season ids (``<select id="seasons">``) and the stage id (``params['args']``)."""
    text = decode(body)
    soup = BeautifulSoup(text, "lxml", parse_only=SoupStrainer("select", id="seasons"))
    select = soup.find("select", id="seasons")
    if select is None:
        raise ParseError("tournament page: <select id='seasons'> not found")
    seasons, selected, region_id, tournament_id = [], None, None, None
    for option in select.find_all("option"):
        url = str(option.get("value") or "")
        match = _SEASON_URL.search(url)
        if match is None:
            raise ParseError(f"tournament page: season option without a season URL: {url!r}")
        region_id, tournament_id = int(match.group(1)), int(match.group(2))
        season = Season(int(match.group(3)), option.get_text(strip=True), url)
        seasons.append(season)
        if option.has_attr("selected"):
            selected = season.season_id
    if not seasons or region_id is None or tournament_id is None:
        raise ParseError("tournament page: <select id='seasons'> lists no season")
    args = find_assignment(text, _ARGS, what="tournament page params['args']")
    stage_id = _int(_need(args, "stageId", "tournament page params['args']"), "stageId")
    calendar = None
    if re.search(r"var\s+wsCalendar\s*=", text):
        calendar = calendar_from_data(
            find_assignment(text, r"var\s+wsCalendar", what="wsCalendar"), "wsCalendar"
        )
    return TournamentPage(region_id, tournament_id, tuple(seasons), selected, stage_id, calendar)


# -- fixtures calendar and feed ----------------------------------------------------------


def parse_calendar(body: bytes) -> Calendar:
    """The calendar mask, as JSON or as a page's ``var wsCalendar = {...}``."""
    text = decode(body)
    if text.lstrip().startswith("{"):
        return calendar_from_data(_json(text, "calendar"), "calendar")
    return calendar_from_data(
        find_assignment(text, r"var\s+wsCalendar", what="wsCalendar"), "wsCalendar"
    )


def calendar_from_data(data: Any, what: str) -> Calendar:
    """``mask{year{month{day}}}`` with JavaScript's 0-based months → (year, month 1-12)."""
    mask = _need(data, "mask", what)
    if not isinstance(mask, dict):
        raise ParseError(f"{what}: 'mask' is not an object")
    try:
        months = sorted(
            (int(year), int(month) + 1)
            for year, by_month in mask.items()
            for month, days in by_month.items()
            if days
        )
    except (AttributeError, ValueError) as exc:
        raise ParseError(f"{what}: malformed 'mask' ({exc})") from exc
    if any(not 1 <= month <= 12 for _, month in months):
        raise ParseError(f"{what}: month outside 0-11 in 'mask'")
    stage_id = data.get("stageId")
    return Calendar(_optional_int(stage_id, f"{what} stageId"), tuple(months))


def parse_fixtures(body: bytes) -> list[Fixture]:
    """The fixtures feed (``tournaments[].matches[]``) → one record per match."""
    data = _json(decode(body), "fixtures feed")
    tournaments = _need(data, "tournaments", "fixtures feed")
    if not isinstance(tournaments, list):
        raise ParseError("fixtures feed: 'tournaments' is not a list")
    fixtures = []
    for tournament in tournaments:
        what = "fixtures feed tournament"
        for raw in _list(_need(tournament, "matches", what), f"{what} 'matches'"):
            fixtures.append(_fixture(raw))
    return fixtures


def _fixture(raw: Any) -> Fixture:
    if not isinstance(raw, dict):
        raise ParseError(f"fixtures feed: a match is not an object: {raw!r}")
    what = f"fixtures feed match {raw.get('id')}"
    elapsed = str(raw.get("elapsed") or "")
    status = status_from_elapsed(elapsed)
    kickoff = raw.get("startTimeUtc") or _need(raw, "startTime", what)
    home_goals = _optional_int(raw.get("homeScore"), f"{what} homeScore")
    away_goals = _optional_int(raw.get("awayScore"), f"{what} awayScore")
    if status == "finished" and (home_goals is None or away_goals is None):
        raise ParseError(f"{what}: finished but without a score")
    return Fixture(
        match_id=_int(_need(raw, "id", what), f"{what} id"),
        stage_id=_optional_int(raw.get("stageId"), f"{what} stageId"),
        kickoff_utc=_utc(kickoff, f"{what} startTimeUtc"),
        home_id=_int(_need(raw, "homeTeamId", what), f"{what} homeTeamId"),
        home_name=str(_need(raw, "homeTeamName", what)),
        away_id=_int(_need(raw, "awayTeamId", what), f"{what} awayTeamId"),
        away_name=str(_need(raw, "awayTeamName", what)),
        status=status,
        elapsed=elapsed,
        home_goals=home_goals if status != "scheduled" else None,
        away_goals=away_goals if status != "scheduled" else None,
    )


# -- match centre ------------------------------------------------------------------------


def parse_match_centre(body: bytes) -> MatchCentre:
    """The match centre: a live page (``params["args"]``) or a bare ``matchCentreData`` JSON."""
    text = decode(body)
    if text.lstrip().startswith("{"):
        return match_centre_from_data(_json(text, "matchCentreData"), None)
    args = find_assignment(text, _ARGS, what="match page params['args']")
    data = _need(args, "matchCentreData", "match page params['args']")
    return match_centre_from_data(data, _optional_int(args.get("matchId"), "match page matchId"))


def match_centre_from_data(data: Any, match_id: int | None) -> MatchCentre:
    what = "matchCentreData"
    if not isinstance(data, dict):
        raise ParseError(f"{what} is not an object (the match has no data yet?)")
    elapsed = str(data.get("elapsed") or "")
    status = status_from_elapsed(elapsed)
    home = _team_sheet(_need(data, "home", what), "home")
    away = _team_sheet(_need(data, "away", what), "away")
    home_possession, away_possession = _possession(home.totals, away.totals)
    home_goals, away_goals = (
        _score(data.get("ftScore"))
        or _score(data.get("score"))
        or (
            home.goals,
            away.goals,
        )
    )
    ht = _score(data.get("htScore")) or (home.ht_goals, away.ht_goals)
    if status == "finished" and (home_goals is None or away_goals is None):
        raise ParseError(f"{what}: finished but without a final score")
    referee = data.get("referee")
    if isinstance(referee, dict):
        referee = referee.get("name")
    attendance = data.get("attendance")
    events = data.get("events")
    if events is None:
        raise ParseError(f"{what}: missing 'events'")
    _list(events, f"{what} 'events'")
    return MatchCentre(
        match_id=match_id,
        kickoff_utc=_utc(_need(data, "startTime", what), f"{what} startTime"),
        status=status,
        elapsed=elapsed,
        home=replace(home, goals=home_goals, ht_goals=ht[0], possession_pct=home_possession),
        away=replace(away, goals=away_goals, ht_goals=ht[1], possession_pct=away_possession),
        referee=_optional_text(referee, f"{what} referee"),
        venue=_optional_text(data.get("venueName"), f"{what} venueName"),
        attendance=_optional_int(attendance, f"{what} attendance"),
        event_count=len(events),
        extra={"weather_code": data.get("weatherCode") or None},
    )


def _team_sheet(side: Any, field_name: str) -> TeamSheet:
    what = f"matchCentreData {field_name}"
    stats = side.get("stats") if isinstance(side, dict) else None
    if not isinstance(stats, dict):
        raise ParseError(f"{what}: missing 'stats'")
    totals: dict[str, float] = {}
    for name, series in stats.items():
        if isinstance(series, dict) and not _is_ratio(name):
            values = (_float(v, f"{what} stats {name}") for v in series.values())
            totals[name] = round(sum(values), 2)
    possession = stats.get("possession")
    if isinstance(possession, dict):
        totals["possession"] = float(
            sum(_float(v, f"{what} possession") for v in possession.values())
        )
    scores = side.get("scores") or {}
    if not isinstance(scores, dict):
        raise ParseError(f"{what}: 'scores' is not an object")
    incidents = _list(side.get("incidentEvents") or [], f"{what} 'incidentEvents'")
    formations = _list(side.get("formations") or [], f"{what} 'formations'")
    if not all(isinstance(item, dict) for item in (*incidents, *formations)):
        raise ParseError(f"{what}: an incident or formation is not an object")
    card_types = [e.get("cardType") for e in incidents]
    cards = [c.get("displayName") if isinstance(c, dict) else None for c in card_types]
    return TeamSheet(
        team_id=_int(_need(side, "teamId", what), f"{what} teamId"),
        name=str(_need(side, "name", what)),
        goals=_optional_int(scores.get("fulltime", scores.get("running")), f"{what} score"),
        ht_goals=_optional_int(scores.get("halftime"), f"{what} half-time score"),
        formations=tuple(str(f.get("formationName")) for f in formations),
        manager=_optional_text(side.get("managerName"), f"{what} managerName"),
        totals=totals,
        possession_pct=None,
        yellow_cards=sum(card == "Yellow" for card in cards),
        red_cards=sum(card in {"Red", "SecondYellow"} for card in cards),
    )


def _is_ratio(name: str) -> bool:
    return name.endswith(_RATIO_SUFFIXES) or name in _NOT_SUMMED


def _possession(home: dict[str, float], away: dict[str, float]) -> tuple[float | None, ...]:
    """Possession shares (%) from the two sides' possession counts."""
    home_count, away_count = home.get("possession"), away.get("possession")
    if not home_count or not away_count or min(home_count, away_count) < 0:
        return None, None
    share = 100 * home_count / (home_count + away_count)
    return round(share, 1), round(100 - share, 1)


def stat(sheet: TeamSheet, name: str) -> int | None:
    """A summed count stat; a series WhoScored omits counts as 0 once the match has stats."""
    if not sheet.totals:
        return None
    return int(sheet.totals.get(name, 0))


def shots_on_target(sheet: TeamSheet) -> int | None:
    """On target = total - off target - blocked (WhoScored omits the series when zero)."""
    total = stat(sheet, "shotsTotal")
    if total is None:
        return None
    if "shotsOnTarget" in sheet.totals:
        return int(sheet.totals["shotsOnTarget"])
    return total - (stat(sheet, "shotsOffTarget") or 0) - (stat(sheet, "shotsBlocked") or 0)


# -- preview page ------------------------------------------------------------------------


def parse_preview(body: bytes) -> MatchHeader:
    """The preview page's ``params['matchheader'] = {input: [...], matchId: ...}``."""
    what = "preview matchheader"
    header = find_assignment(decode(body), _MATCHHEADER, what=what)
    fields = _need(header, "input", what)
    if not isinstance(fields, list) or len(fields) < 10:
        raise ParseError(f"{what}: 'input' has fewer than 10 fields")
    try:
        local = datetime.strptime(str(fields[4]), "%d/%m/%Y %H:%M:%S")
    except ValueError:
        raise ParseError(f"{what}: kickoff is not dd/mm/yyyy HH:MM:SS: {fields[4]!r}") from None
    elapsed = str(fields[7] or "")
    return MatchHeader(
        match_id=_int(_need(header, "matchId", what), f"{what} matchId"),
        home_id=_int(fields[0], f"{what} home id"),
        away_id=_int(fields[1], f"{what} away id"),
        home_name=str(fields[2]),
        away_name=str(fields[3]),
        kickoff_utc=local.replace(tzinfo=SITE_TZ).astimezone(UTC),
        status=status_from_elapsed(elapsed),
        elapsed=elapsed,
        ht_score=_score(fields[8]),
        ft_score=_score(fields[9]),
    )


# -- what is this page? ------------------------------------------------------------------


def detect_kind(body: bytes) -> PageKind:
    """Guess which parser a saved page or feed needs (for the ``whoscored parse`` command)."""
    try:
        text = decode(body)
    except BlockedError:
        return "blocked"
    head = text.lstrip()[:200]
    if head.startswith("{"):
        if '"tournaments"' in text[:2000] or '"tournaments"' in text:
            return "fixtures"
        if '"mask"' in text[:5000]:
            return "calendar"
        if '"home"' in text and '"events"' in text:
            return "match_centre"
        return "unknown"
    if "matchCentreData" in text:
        return "match_centre"
    if re.search(_MATCHHEADER, text):
        return "preview"
    if 'id="seasons"' in text:
        return "tournament"
    if "wsCalendar" in text:
        return "calendar"
    return "unknown"
