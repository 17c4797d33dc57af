"""football-data.co.uk: season CSV files of results, match stats and bookmaker odds, and
``fixtures.csv``, the coming days' matches with their pre-match prices.

``fetch`` only fetches (``file://`` mirror or the live site) and archives the raw bytes;
``parse_csv`` and ``parse_fixtures`` are pure, from bytes to :class:`MatchRow` records,
sharing the row and price parsing, and survive the
files' real quirks: ``dd/mm/yy`` and ``dd/mm/yyyy`` dates, ``Time`` only from 2019-20,
columns that change every season, trailing rows of bare commas, a UTF-8 byte-order mark or
latin-1 bytes, numbers written ``8`` or ``8.0``, and missing odds as empty cells.
"""

from __future__ import annotations

import asyncio
import csv
import io
import math
import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import psycopg

from core.seasons import season_of_day
from etl.errors import MissingSource, ParseError, SourceUnavailable
from etl.raw import archive_raw
from etl.records import FixtureRow, MatchRow, OddsQuote

SOURCE = "football-data"
#: Kick-off times in the files are UK local time.
SOURCE_TZ = ZoneInfo("Europe/London")
#: Seconds an HTTP fetch may take before the source counts as unavailable.
FETCH_TIMEOUT_S = 60.0

#: Match stat columns (home, away), in the order of ``etl.records.STAT_FIELDS``.
STAT_COLUMNS = (
    ("HS", "AS", "shots"),
    ("HST", "AST", "shots_on_target"),
    ("HC", "AC", "corners"),
    ("HF", "AF", "fouls"),
    ("HY", "AY", "yellow"),
    ("HR", "AR", "red"),
)
#: Rarer per-match counts of older seasons (woodwork, offsides, booking points), kept as extras.
EXTRA_COLUMNS = ("HHW", "AHW", "HO", "AO", "HBP", "ABP", "HFKC", "AFKC")
#: Alternative spellings some files use for the required columns.
COLUMN_SYNONYMS = {"HomeTeam": ("HT",), "AwayTeam": ("AT",), "FTHG": ("HG",), "FTAG": ("AG",)}
REQUIRED = ("Date", "HomeTeam", "AwayTeam", "FTHG", "FTAG")
#: ``fixtures.csv`` has no result columns, and mixes divisions.
FIXTURE_REQUIRED = ("Div", "Date", "HomeTeam", "AwayTeam")
#: The live file's path below the base URL.
FIXTURES_PATH = "fixtures.csv"
#: Column prefixes naming a bookmaker (or the market's average and maximum); closing
#: prices add ``C`` to the prefix.
KNOWN_BOOKMAKERS = frozenset(
    ("B365", "BW", "IW", "LB", "PS", "P", "WH", "SJ", "VC", "GB", "BS", "SB", "SO", "SY",
     "Avg", "Max", "BbAv", "BbMx")
)  # fmt: skip
#: Football-data's prefixes that differ between markets for one bookmaker: the code stored.
BOOKMAKER_CODES = {"P": "PS"}
#: Per market: the column pattern giving the prefix, and each (suffix, ``OddsQuote`` field).
_MARKET_COLUMNS = (
    ("1x2", re.compile(r"^([A-Za-z0-9]+)[HDA]$"), (("H", "home"), ("D", "draw"), ("A", "away"))),
    ("ou2.5", re.compile(r"^([A-Za-z0-9]+)[<>]2\.5$"), ((">2.5", "over"), ("<2.5", "under"))),
    ("ah", re.compile(r"^([A-Za-z0-9]+?)AH[HA]$"), (("AHH", "home"), ("AHA", "away"))),
)
#: Largest count the store holds: goals and stats are ``smallint``, attendance ``int``.
MAX_COUNT = 32_767
MAX_ATTENDANCE = 2**31 - 1


@dataclass(frozen=True)
class ParsedFile:
    league: str
    season: str
    rows: list[MatchRow]
    columns: tuple[str, ...]
    blank_rows: int = 0
    bookmakers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedFixtures:
    rows: list[FixtureRow]
    skipped: dict[str, int]  #: rows of divisions not imported, per division
    columns: tuple[str, ...]
    bookmakers: tuple[str, ...] = ()


@dataclass(frozen=True)
class FetchedFile:
    url: str
    body: bytes
    http_status: int | None


def season_path(league: str, season: str) -> str:
    """The file's path below the base URL, the same on the live site and the mirror."""
    return f"mmz4281/{season}/{league}.csv"


async def fetch_season(base_url: str, league: str, season: str) -> FetchedFile:
    """The raw bytes of one season file; ``file://`` reads the mirror, http(s) the site."""
    return await fetch(base_url, season_path(league, season))


async def fetch(base_url: str, path: str) -> FetchedFile:
    """The raw bytes of a file below the base URL (a ``file://`` mirror or the site)."""
    url = f"{base_url.rstrip('/')}/{path.lstrip('/')}"
    scheme = urlsplit(url).scheme
    if scheme == "file":
        local = Path(unquote(urlsplit(url).path))
        try:
            body = await asyncio.to_thread(local.read_bytes)
        except FileNotFoundError as exc:
            raise MissingSource(f"no file {local}") from exc
        except OSError as exc:
            raise SourceUnavailable(f"cannot read {local}: {exc}") from exc
        return FetchedFile(url, body, None)
    if scheme in ("http", "https"):
        return await _fetch_http(url)
    raise MissingSource(f"unsupported URL scheme {scheme!r} in {url}")


async def _fetch_http(url: str) -> FetchedFile:
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
    headers = {"User-Agent": "footcast (football forecasting research; +https://github.com)"}
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout, headers=headers) as session,
            session.get(url) as response,
        ):
            body = await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise SourceUnavailable(f"{url}: {type(exc).__name__}: {exc}") from exc
    if status == 404:
        raise MissingSource(f"{url}: HTTP 404")
    if status >= 400:
        raise SourceUnavailable(f"{url}: HTTP {status}")
    return FetchedFile(url, body, status)


def archive(conn: psycopg.Connection, fetched: FetchedFile) -> int:
    """Keep the fetched bytes in the raw archive before anything parses them."""
    return archive_raw(
        conn,
        source=SOURCE,
        url=fetched.url,
        body=fetched.body,
        http_status=fetched.http_status,
        content_type="text/csv",
    )


def decode(raw: bytes) -> str:
    """Text of a file that may start with a byte-order mark or hold latin-1 bytes."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def parse_csv(raw: bytes, league: str, season: str) -> ParsedFile:
    """Every match of one season file; ``ParseError`` names the file, row and column at fault."""
    where = season_path(league, season)
    table = _read_table(raw, where, REQUIRED)
    rows = [
        _parse_row(cells, table.index, table.quotes, league, f"{where} line {line_no}")
        for line_no, cells in table.lines
    ]
    return ParsedFile(league, season, rows, table.header, table.blank, table.bookmakers)


def parse_fixtures(raw: bytes, where: str, divisions: Collection[str]) -> ParsedFixtures:
    """The upcoming matches of a ``fixtures.csv`` in ``divisions``, each with its season.

    The file mixes divisions; rows of the others are counted, not parsed. A fixture's
    season follows from its date (a season starts on 1 July). ``where`` names the file in
    errors. ``ParseError`` names the row and column at fault, as for season files.
    """
    table = _read_table(raw, where, FIXTURE_REQUIRED)
    rows: list[FixtureRow] = []
    skipped: Counter[str] = Counter()
    for line_no, cells in table.lines:
        at = f"{where} line {line_no}"
        division = _cell(cells, table.index, "Div")
        if not division:
            raise ParseError(f"{at}: Div is empty")
        if division not in divisions:
            skipped[division] += 1
            continue
        match = _parse_row(cells, table.index, table.quotes, division, at)
        if match.status != "scheduled":
            raise ParseError(f"{at}: {match.home} v {match.away} has a result, not a fixture")
        rows.append(FixtureRow(division, season_of_day(match.kickoff_date), match))
    return ParsedFixtures(rows, dict(sorted(skipped.items())), table.header, table.bookmakers)


@dataclass(frozen=True)
class _Table:
    """A football-data CSV split into its header and its non-blank lines."""

    header: tuple[str, ...]
    index: dict[str, int]
    quotes: list[QuoteColumns]
    lines: list[tuple[int, list[str]]]
    blank: int

    @property
    def bookmakers(self) -> tuple[str, ...]:
        return tuple(sorted({spec.bookmaker for spec in self.quotes}))


def _read_table(raw: bytes, where: str, required: tuple[str, ...]) -> _Table:
    if not raw.strip():
        raise ParseError(f"{where}: the file is empty")
    reader = csv.reader(io.StringIO(decode(raw), newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        index = _column_index(header, where, required)
        blank = 0
        lines: list[tuple[int, list[str]]] = []
        for line_no, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                blank += 1
                continue
            lines.append((line_no, cells))
    except csv.Error as exc:
        raise ParseError(f"{where} line {reader.line_num}: not CSV ({exc})") from exc
    if not lines:
        raise ParseError(f"{where}: no match rows")
    return _Table(tuple(header), index, quote_columns(header), lines, blank)


def _column_index(header: list[str], where: str, required: tuple[str, ...]) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        index.setdefault(name, position)
    for name, synonyms in COLUMN_SYNONYMS.items():
        for synonym in synonyms:
            if name not in index and synonym in index:
                index[name] = index[synonym]
    missing = [name for name in required if name not in index]
    if missing:
        raise ParseError(f"{where}: missing column(s) {', '.join(missing)}")
    return index


@dataclass(frozen=True)
class QuoteColumns:
    """Where one bookmaker's prices of one market and kind sit in a file's rows."""

    bookmaker: str
    kind: str  #: opening | closing
    market: str  #: 1x2 | ou2.5 | ah
    #: (``OddsQuote`` field, column position) of each price.
    prices: tuple[tuple[str, int], ...]
    line: int | None = None  #: position of the handicap line (Asian handicap only)


def quote_columns(header: list[str]) -> list[QuoteColumns]:
    """Every complete set of price columns a header holds, for the three markets.

    1X2 is ``<p>H``/``<p>D``/``<p>A``, over/under 2.5 ``<p>>2.5``/``<p><2.5`` and the Asian
    handicap ``<p>AHH``/``<p>AHA``. ``PSCH`` is Pinnacle's closing home price, but ``VCH``
    is VC Bet's opening one: a trailing ``C`` means closing only when the prefix without it
    is a bookmaker too. Pinnacle's over/under and handicap prefix ``P`` is stored as ``PS``,
    its 1X2 prefix, so one code names one bookmaker in every market. A handicap's line is
    the bookmaker's own ``<p>AH`` column (older files) or the file's shared one: ``AHh``
    (``BbAHh`` before 2019) for opening prices, ``AHCh`` for closing ones.
    """
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        positions.setdefault(name, i)
    found: list[QuoteColumns] = []
    for market, pattern, suffixes in _MARKET_COLUMNS:
        prefixes = {m.group(1) for name in header if (m := pattern.match(name))}
        complete = {p for p in prefixes if all(f"{p}{s}" in positions for s, _ in suffixes)}
        for prefix in sorted(complete):
            base = prefix[:-1]
            closing = prefix.endswith("C") and (base in complete or base in KNOWN_BOOKMAKERS)
            bookmaker = base if closing else prefix
            if bookmaker not in KNOWN_BOOKMAKERS and not closing:
                continue
            kind = "closing" if closing else "opening"
            line = None
            if market == "ah":
                shared = ("AHCh",) if closing else ("AHh", "BbAHh")
                line = next(
                    (positions[n] for n in (f"{prefix}AH", *shared) if n in positions), None
                )
                if line is None:
                    continue
            found.append(
                QuoteColumns(
                    BOOKMAKER_CODES.get(bookmaker, bookmaker),
                    kind,
                    market,
                    tuple((field, positions[f"{prefix}{s}"]) for s, field in suffixes),
                    line,
                )
            )
    return found


def _cell(cells: list[str], index: dict[str, int], name: str) -> str:
    position = index.get(name)
    if position is None or position >= len(cells):
        return ""
    return cells[position].strip()


def _count(text: str, what: str, maximum: int = MAX_COUNT) -> int | None:
    """``8`` or ``8.0`` → 8; empty → None."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ParseError(f"{what}: {text!r} is not a number") from None
    if not (math.isfinite(value) and value == int(value) and 0 <= value <= maximum):
        raise ParseError(f"{what}: {text!r} is not a count")
    return int(value)


def _price(text: str, what: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ParseError(f"{what}: price {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ParseError(f"{what}: price {text!r} is not a number")
    return value


def parse_date(text: str, what: str) -> date:
    """``dd/mm/yy`` (older seasons) or ``dd/mm/yyyy`` (newer ones)."""
    for fmt in ("%d/%m/%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ParseError(f"{what}: Date {text!r} is neither dd/mm/yy nor dd/mm/yyyy")


def _kickoff_at(day: date, text: str, what: str) -> datetime | None:
    if not text:
        return None
    try:
        clock = datetime.strptime(text, "%H:%M").time()
    except ValueError:
        raise ParseError(f"{what}: Time {text!r} is not HH:MM") from None
    return datetime.combine(day, clock, tzinfo=SOURCE_TZ)


def _parse_row(
    cells: list[str],
    index: dict[str, int],
    odds_columns: list[QuoteColumns],
    league: str,
    where: str,
) -> MatchRow:
    def cell(name: str) -> str:
        return _cell(cells, index, name)

    division = cell("Div")
    if division and division != league:
        raise ParseError(f"{where}: Div is {division!r}, expected {league!r}")
    for name in ("Date", "HomeTeam", "AwayTeam"):
        if not cell(name):
            raise ParseError(f"{where}: {name} is empty")
    day = parse_date(cell("Date"), where)
    goals = [_count(cell(name), f"{where} {name}") for name in ("FTHG", "FTAG", "HTHG", "HTAG")]
    if (goals[0] is None) != (goals[1] is None):
        raise ParseError(f"{where}: only one of FTHG/FTAG is given")
    stats: tuple[int | None, ...] | None = tuple(
        _count(cell(column), f"{where} {column}")
        for home, away, _ in STAT_COLUMNS
        for column in (home, away)
    )
    if stats is not None and all(v is None for v in stats):
        stats = None
    extra = {
        name: value
        for name in EXTRA_COLUMNS
        if (value := _count(cell(name), f"{where} {name}")) is not None
    }
    return MatchRow(
        kickoff_date=day,
        kickoff_at=_kickoff_at(day, cell("Time"), where),
        home=cell("HomeTeam"),
        away=cell("AwayTeam"),
        status="scheduled" if goals[0] is None else "finished",
        home_goals=goals[0],
        away_goals=goals[1],
        ht_home_goals=goals[2],
        ht_away_goals=goals[3],
        referee=cell("Referee") or None,
        attendance=_count(cell("Attendance"), f"{where} Attendance", MAX_ATTENDANCE),
        stats=stats,
        extra=extra or None,
        odds=_odds(cells, odds_columns, where),
    )


def _odds(cells: list[str], columns: list[QuoteColumns], where: str) -> tuple[OddsQuote, ...]:
    """The row's complete quotes; a quote with an empty cell (a price or its line) is none."""
    quotes = []
    for spec in columns:
        cell_of = list(spec.prices)
        if spec.line is not None:
            cell_of.append(("line", spec.line))
        texts = {field: cells[p].strip() if p < len(cells) else "" for field, p in cell_of}
        if not all(texts.values()):
            continue
        what = f"{where} {spec.bookmaker} {spec.market} {spec.kind}"
        values = {field: _price(text, what) for field, text in texts.items()}
        quotes.append(OddsQuote(spec.bookmaker, spec.kind, market=spec.market, **values))
    return tuple(quotes)
