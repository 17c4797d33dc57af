"""Scraping WhoScored into the store: a season's fixtures, then each finished match.

``fetch_*`` coroutines only fetch (every body is archived by the client before anyone
parses it); the parsers are pure; the writes are upserts, one transaction per batch. A page
that does not parse, or names a team ambiguously, quarantines its batch with the reason and
the archived page; a bot-protection page stops the run and starts a cool-down that later
runs respect (it is read from ``scrape_runs``), so no process hammers a host that said no.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
import structlog

from core.db import connect
from core.seasons import parse_season, season_start_year
from core.settings import Settings
from etl.competitions import competition_code
from etl.errors import BlockedError, EtlError, ParseError, UnknownMatch, UnknownTeam
from etl.raw import archive_raw
from etl.sources import whoscored as ws
from etl.sources import whoscored_store as store
from etl.sources.client import PoliteClient, Politeness, Response, user_agent
from etl.store.batches import Batch, open_batch, set_status

log = structlog.get_logger("footcast.whoscored")

#: WhoScored (region id, tournament id) per competition code.
TOURNAMENTS = {
    "E0": (252, 2),
    "SP1": (206, 4),
    "D1": (81, 3),
    "I1": (108, 5),
    "F1": (74, 22),
}


def tournament_path(code: str) -> str:
    region, tournament = _tournament(code)
    return f"/Regions/{region}/Tournaments/{tournament}"


def season_path(code: str, season_id: int) -> str:
    return f"{tournament_path(code)}/Seasons/{season_id}"


def stage_path(code: str, season_id: int, stage_id: int) -> str:
    return f"{season_path(code, season_id)}/Stages/{stage_id}"


def fixtures_path(stage_id: int, year: int, month: int) -> str:
    return f"/tournaments/{stage_id}/data/?d={year}{month:02d}&isAggregate=false"


def match_path(whoscored_id: int) -> str:
    return f"/Matches/{whoscored_id}/Live"


def _tournament(code: str) -> tuple[int, int]:
    if code not in TOURNAMENTS:
        raise EtlError(f"no WhoScored tournament known for {code}; known: {', '.join(TOURNAMENTS)}")
    return TOURNAMENTS[code]


def season_name(code: str) -> str:
    """How WhoScored names a season: ``2021`` → ``2020/2021``."""
    start = season_start_year(code)
    return f"{start}/{start + 1}"


@dataclass
class ScrapeReport:
    """What one fixtures scrape did; page failures are recorded (quarantined), not raised."""

    run_id: int
    competition: str
    season: str
    pages: int = 0
    fixtures: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    seen: list[int] = field(default_factory=list)  #: WhoScored ids of the fixtures read
    to_scrape: list[int] = field(default_factory=list)  #: finished, without match stats yet
    batch_ids: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  #: batches awaiting their gate
    quarantined: list[int] = field(default_factory=list)
    failures: list[EtlError] = field(default_factory=list)

    def raise_first_failure(self) -> None:
        """Raise the first recorded failure, once the successful part has been used."""
        if self.failures:
            raise self.failures[0]


@dataclass(frozen=True)
class MatchReport:
    whoscored_id: int
    match_id: int  #: the store's id
    batch_id: int
    batch_status: str
    changed: bool
    centre: ws.MatchCentre


class _Archive:
    """Archives every response at once (the connection auto-commits); keeps the last one."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.last: Response | None = None

    def __call__(self, response: Response) -> int:
        raw_id = archive_raw(
            self.conn,
            source=store.SOURCE,
            url=response.url,
            body=response.body,
            http_status=response.status,
            content_type=response.content_type,
        )
        self.last = Response(
            response.url, response.status, response.body, response.content_type, raw_id
        )
        return raw_id


class _Run:
    """One scrape: its connection, client, archive and the bookkeeping around failures."""

    def __init__(
        self, settings: Settings, conn: psycopg.Connection, code: str, season: str,
        base_url: str | None,
    ) -> None:  # fmt: skip
        self.conn, self.code, self.season = conn, code, season
        self.archive = _Archive(conn)
        self.client = PoliteClient(
            base_url or settings.whoscored_url,
            agent=user_agent(settings.scraper_contact),
            politeness=Politeness.from_settings(settings),
            archive=self.archive,
            is_blocked=_is_blocked,
        )
        self.run_id = store.start_run(conn, code, season)
        self.pages = 0

    async def get(self, path: str) -> Response:
        response = await self.client.get(path)
        self.pages += 1
        return response

    def open_batch(self, key: str, response: Response) -> Batch:
        return open_batch(
            self.conn,
            source=store.SOURCE,
            batch_key=key,
            content_sha256=hashlib.sha256(response.body).hexdigest(),
            competition_code=self.code,
            season_code=self.season,
            raw_page_id=response.raw_id,
        )

    def quarantine(self, key: str, error: Exception) -> int:
        """A failed page becomes a quarantined batch pointing at its archived copy."""
        response = self.archive.last
        body = response.body if response is not None else str(error).encode()
        batch = open_batch(
            self.conn,
            source=store.SOURCE,
            batch_key=key,
            content_sha256=hashlib.sha256(body).hexdigest(),
            competition_code=self.code,
            season_code=self.season,
            raw_page_id=response.raw_id if response is not None else None,
        )
        report = {
            "error_type": type(error).__name__,
            "url": response.url if response is not None else None,
            "raw_page_id": response.raw_id if response is not None else None,
        }
        set_status(self.conn, batch.id, "quarantined", reason=str(error), report=report)
        log.error("batch quarantined", batch_id=batch.id, batch_key=key, error=str(error), **report)
        return batch.id

    @contextmanager
    def recorded(self, key: str, failures: list[EtlError]) -> Iterator[None]:
        """Record the run's outcome in ``scrape_runs``; a block also quarantines ``key``."""
        status, error = "ok", None
        try:
            yield
        except BlockedError as exc:
            status, error = "blocked", str(exc)
            self.quarantine(key, exc)
            raise
        except Exception as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            raise
        finally:
            if status == "ok" and failures:
                status, error = "partial", "; ".join(str(f) for f in failures)
            store.finish_run(self.conn, self.run_id, status, self.pages, error)


def _is_blocked(body: bytes) -> bool:
    try:
        ws.ensure_not_blocked(body)
    except BlockedError:
        return True
    return False


def _check_cooldown(conn: psycopg.Connection, settings: Settings) -> None:
    """Refuse to start while a recent block's cool-down lasts (across processes)."""
    blocked_at = store.last_block(conn)
    if blocked_at is None:
        return
    until = blocked_at + timedelta(seconds=settings.whoscored_block_cooldown_s)
    if datetime.now(UTC) < until:
        raise BlockedError(
            f"WhoScored blocked a scrape at {blocked_at:%Y-%m-%d %H:%M:%S %Z}; cooling down"
            f" until {until:%Y-%m-%d %H:%M:%S %Z}"
        )


# -- a season's fixtures -----------------------------------------------------------------


def scrape_fixtures(
    settings: Settings, competition: str, season: str, *, base_url: str | None = None
) -> ScrapeReport:
    """Fetch a competition season's fixtures feed, month by month, and upsert every fixture.

    ``competition`` is a code (``E0``) or a name (``ENG-Premier League``); ``season`` is
    ``2021`` or ``2020-21``. Raises ``BlockedError`` (now, or still cooling down) and
    ``SourceUnavailable``; a page that fails to parse is quarantined and reported.
    """
    code, season = competition_code(competition), parse_season(season)
    _tournament(code)
    with connect(settings, autocommit=True) as conn:
        _check_cooldown(conn, settings)
        run = _Run(settings, conn, code, season, base_url)
        report = ScrapeReport(run.run_id, code, season)
        with run.recorded(f"fixtures/{code}/{season}", report.failures):
            asyncio.run(_scrape_fixtures(run, report))
        report.pages = run.pages
        report.to_scrape = store.matches_to_scrape(conn, report.seen)
    log.info(
        "fixtures scraped", competition=code, season=season, pages=report.pages,
        fixtures=report.fixtures, new=report.new, updated=report.updated,
        quarantined=len(report.quarantined), to_scrape=len(report.to_scrape),
    )  # fmt: skip
    return report


async def _scrape_fixtures(run: _Run, report: ScrapeReport) -> None:
    code, season = run.code, run.season
    async with run.client:
        try:
            stage_id, calendar = await _season_calendar(run)
        except ParseError as exc:
            report.failures.append(exc)
            report.quarantined.append(run.quarantine(f"season/{code}/{season}", exc))
            return
        for year, month in calendar.months:
            response = await run.get(fixtures_path(stage_id, year, month))
            _store_fixtures_page(
                run, report, f"fixtures/{code}/{season}/{year}-{month:02d}", response
            )


async def _season_calendar(run: _Run) -> tuple[int, ws.Calendar]:
    """The season's stage id and calendar: tournament page → season page (→ stage page)."""
    tournament = ws.parse_tournament_page((await run.get(tournament_path(run.code))).body)
    wanted = season_name(run.season)
    season_ids = [s.season_id for s in tournament.seasons if s.name == wanted]
    if not season_ids:
        raise ParseError(f"tournament page of {run.code} lists no season {wanted}")
    page = ws.parse_tournament_page((await run.get(season_path(run.code, season_ids[0]))).body)
    calendar = page.calendar
    if calendar is None:
        stage = await run.get(stage_path(run.code, season_ids[0], page.stage_id))
        calendar = ws.parse_calendar(stage.body)
    return page.stage_id, calendar


def _store_fixtures_page(run: _Run, report: ScrapeReport, key: str, response: Response) -> None:
    try:
        fixtures = ws.parse_fixtures(response.body)
        with run.conn.transaction():
            batch = run.open_batch(key, response)
            counts = store.upsert_fixtures(
                run.conn, competition=run.code, season_code=run.season, fixtures=fixtures,
                batch_id=batch.id,
            )  # fmt: skip
            if batch.row_count != len(fixtures):
                set_status(run.conn, batch.id, batch.status, reason=batch.reason,
                           report=batch.report, row_count=len(fixtures))  # fmt: skip
    except (ParseError, UnknownTeam) as exc:
        report.failures.append(exc)
        report.quarantined.append(run.quarantine(key, exc))
        return
    report.batch_ids.append(batch.id)
    if batch.status == "pending":
        report.pending.append(batch.id)
    report.fixtures += len(fixtures)
    report.new += counts.new
    report.updated += counts.updated
    report.unchanged += counts.unchanged
    report.seen.extend(f.match_id for f in fixtures)


# -- one match ---------------------------------------------------------------------------


def scrape_match(
    settings: Settings, whoscored_id: int, *, base_url: str | None = None
) -> MatchReport:
    """Fetch a match centre and store its results, officials and team stats.

    The match must be in the store already (its season's fixtures scraped), since the page
    does not say which competition and season it belongs to. Raises ``UnknownMatch``,
    ``ParseError`` (page quarantined), ``BlockedError`` and ``SourceUnavailable``.
    """
    with connect(settings, autocommit=True) as conn:
        stored = store.find_match(conn, whoscored_id)
        if stored is None:
            raise UnknownMatch(
                f"WhoScored match {whoscored_id} is not in the store; scrape its season's"
                " fixtures first"
            )
        _check_cooldown(conn, settings)
        run = _Run(settings, conn, stored.competition_code, stored.season_code, base_url)
        key = f"match/{whoscored_id}"
        with run.recorded(key, []):
            response = asyncio.run(_fetch_match(run, whoscored_id))
            try:
                centre = ws.parse_match_centre(response.body)
                if centre.match_id not in (None, whoscored_id):
                    raise ParseError(
                        f"page of match {whoscored_id} is about match {centre.match_id}"
                    )
            except ParseError as exc:
                run.quarantine(key, exc)
                raise
            with conn.transaction():
                batch = run.open_batch(key, response)
                changed = store.store_match_centre(
                    conn, match_id=stored.id, centre=centre, batch_id=batch.id
                )
                if batch.row_count != 1:
                    set_status(conn, batch.id, batch.status, reason=batch.reason,
                               report=batch.report, row_count=1)  # fmt: skip
    log.info("match scraped", whoscored_id=whoscored_id, match_id=stored.id, changed=changed)
    return MatchReport(whoscored_id, stored.id, batch.id, batch.status, changed, centre)


async def _fetch_match(run: _Run, whoscored_id: int) -> Response:
    async with run.client:
        return await run.get(match_path(whoscored_id))
