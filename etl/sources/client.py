"""A polite HTTP client for scraping: one session, a rate limit per host, robots.txt.

Politeness is not optional here: every request waits its turn behind the previous one to
the same host (from any client of the process: worker threads pace together), a host's
robots.txt is read before its first page and obeyed, requests name footcast and its
operator's contact in the User-Agent, timeouts, 429 and 5xx answers are retried with
exponential backoff and jitter (honouring ``Retry-After``), and a bot-protection page stops
all requests to that host for a long cool-down.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import aiohttp
import structlog

from core.settings import Settings
from etl.errors import BlockedError, MissingSource, RobotsDisallowed, SourceUnavailable

log = structlog.get_logger("footcast.scraper")

#: The product token robots.txt rules are matched against.
ROBOTS_AGENT = "footcast"


@dataclass(frozen=True)
class Politeness:
    """How hard a client may press on a host; the defaults are the production ones."""

    min_interval_s: float = 3.0  #: between two requests to one host (robots.txt may raise it)
    concurrency: int = 2  #: requests in flight at once
    timeout_s: float = 30.0  #: one request, whole
    max_retries: int = 4  #: retries after the first attempt
    backoff_s: float = 2.0  #: first retry delay, doubled each retry
    backoff_max_s: float = 120.0  #: ceiling of one computed retry delay
    max_retry_after_s: float = 600.0  #: a longer ``Retry-After`` is not waited out in-process
    block_cooldown_s: float = 1800.0  #: no request to a host that blocked us, for this long

    @classmethod
    def from_settings(cls, settings: Settings) -> Politeness:
        return cls(
            min_interval_s=settings.whoscored_min_interval_s,
            concurrency=settings.whoscored_concurrency,
            timeout_s=settings.whoscored_timeout_s,
            max_retries=settings.whoscored_max_retries,
            backoff_s=settings.whoscored_backoff_s,
            block_cooldown_s=settings.whoscored_block_cooldown_s,
        )

    def backoff(self, retry: int) -> float:
        """Delay before retry ``retry`` (1-based): exponential, with jitter in [50 %, 100 %]."""
        ceiling = min(self.backoff_max_s, self.backoff_s * 2 ** (retry - 1))
        return ceiling * (0.5 + random.random() / 2)


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    body: bytes
    content_type: str | None
    raw_id: int | None = None  #: the archived copy, when the client archives


class HostPacer:
    """Hands out request slots per host, spaced by an interval, to every client that shares
    it: all scrapes running in one process (worker threads included) pace together."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}

    def reserve(self, host: str, interval_s: float) -> float:
        """Book the host's next free slot; return how long to wait for it (seconds)."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot.get(host, 0.0))
            self._next_slot[host] = slot + interval_s
            return slot - now


#: The pacer clients of this process share unless given their own.
PROCESS_PACER = HostPacer()


def user_agent(contact: str) -> str:
    """An honest User-Agent: who we are and how to reach whoever runs us."""
    try:
        ours = version("footcast")
    except PackageNotFoundError:
        ours = "dev"
    reach = f"contact: {contact}" if contact else "contact not configured"
    return f"{ROBOTS_AGENT}/{ours} (football forecasting research; {reach})"


#: Called with every response received (any status) before anyone parses it; returns the
#: archived copy's id.
Archive = Callable[[Response], int | None]


class PoliteClient:
    """Fetches pages under ``base_url`` politely; use as ``async with PoliteClient(...)``."""

    def __init__(
        self,
        base_url: str,
        *,
        agent: str,
        politeness: Politeness,
        archive: Archive | None = None,
        is_blocked: Callable[[bytes], bool] = lambda body: False,
        pacer: HostPacer | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.agent = agent
        self.politeness = politeness
        self.archive = archive
        self.is_blocked = is_blocked
        self.requests = 0  #: requests sent, robots.txt and retries included
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(max(1, politeness.concurrency))
        self.pacer = pacer or PROCESS_PACER
        self._blocked_until: dict[str, float] = {}
        self._robots: dict[str, RobotFileParser] = {}
        self._robots_lock = asyncio.Lock()

    async def __aenter__(self) -> PoliteClient:
        self._session = aiohttp.ClientSession(
            headers={"User-Agent": self.agent, "Accept-Language": "en-GB,en;q=0.8"},
            timeout=aiohttp.ClientTimeout(total=self.politeness.timeout_s),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path.lstrip("/"))

    async def get(self, path: str) -> Response:
        """GET ``path`` (relative to the base URL) once robots.txt allows it.

        Raises ``BlockedError`` (bot protection, or cooling down after it),
        ``RobotsDisallowed``, ``MissingSource`` (404, 410), or ``SourceUnavailable`` once
        retries are spent or on another client error.
        """
        url = self.url(path)
        self._check_cooldown(url)
        robots = await self._robots_for(url)
        if not robots.can_fetch(ROBOTS_AGENT, url):
            raise RobotsDisallowed(f"robots.txt of {_host(url)} disallows {url}")
        response = await self._fetch(url)
        if response.status in (404, 410):
            raise MissingSource(f"HTTP {response.status} for {url}")
        if response.status >= 400:
            raise SourceUnavailable(f"HTTP {response.status} for {url}")
        return response

    def _check_cooldown(self, url: str) -> None:
        until = self._blocked_until.get(_host(url), 0.0)
        if time.monotonic() < until:
            raise BlockedError(
                f"{_host(url)} blocked us; cooling down for {until - time.monotonic():.0f} s more"
            )

    async def _fetch(self, url: str) -> Response:
        """One URL with retries; returns the final answer (a 4xx is returned, not raised)."""
        assert self._session is not None, "use the client as an async context manager"
        policy = self.politeness
        for attempt in range(policy.max_retries + 1):
            retry_after: float | None = None
            async with self._slots:
                await self._wait_turn(url)
                self.requests += 1
                try:
                    async with self._session.get(url, allow_redirects=True) as answer:
                        body = await answer.read()
                        status, content_type = answer.status, answer.content_type
                        retry_after = _retry_after(answer.headers.get("Retry-After"))
                except (TimeoutError, aiohttp.ClientError) as exc:
                    problem = f"{type(exc).__name__}: {exc}".rstrip(": ")
                else:
                    response = self._received(Response(url, status, body, content_type))
                    if status != 429 and status < 500:
                        return response
                    problem = f"HTTP {status}"
            if attempt == policy.max_retries:
                break
            delay = policy.backoff(attempt + 1)
            if retry_after is not None:
                if retry_after > policy.max_retry_after_s:
                    raise SourceUnavailable(
                        f"{url}: {problem}, Retry-After {retry_after:.0f} s is longer than"
                        f" {policy.max_retry_after_s:.0f} s; try again later"
                    )
                delay = max(delay, retry_after)
            log.warning("retrying", url=url, problem=problem, retry=attempt + 1, delay_s=delay)
            await asyncio.sleep(delay)
        raise SourceUnavailable(f"{url}: {problem} after {policy.max_retries + 1} attempts")

    def _received(self, response: Response) -> Response:
        """Archive a response, then refuse it if it is the bot-protection page."""
        raw_id = self.archive(response) if self.archive is not None else None
        response = Response(
            response.url, response.status, response.body, response.content_type, raw_id
        )
        if self.is_blocked(response.body):
            host = _host(response.url)
            self._blocked_until[host] = time.monotonic() + self.politeness.block_cooldown_s
            log.error(
                "blocked by bot protection",
                url=response.url,
                status=response.status,
                raw_id=raw_id,
                cooldown_s=self.politeness.block_cooldown_s,
            )
            raise BlockedError(
                f"{host} answered {response.url} with its bot-protection page (HTTP"
                f" {response.status}); no requests to it for"
                f" {self.politeness.block_cooldown_s:.0f} s"
            )
        return response

    async def _wait_turn(self, url: str) -> None:
        """Space requests to one host by the minimum interval (or robots.txt's crawl delay)."""
        host = _host(url)
        interval = self.politeness.min_interval_s
        robots = self._robots.get(host)
        delay = robots.crawl_delay(ROBOTS_AGENT) if robots is not None else None
        if delay is not None:
            interval = max(interval, float(delay))
        wait = self.pacer.reserve(host, interval)
        if wait > 0:
            await asyncio.sleep(wait)

    async def _robots_for(self, url: str) -> RobotFileParser:
        """The host's robots.txt, fetched once: 404 allows all, 401/403 forbid all."""
        host = _host(url)
        async with self._robots_lock:
            if host not in self._robots:
                robots_url = f"{urlsplit(url).scheme}://{host}/robots.txt"
                response = await self._fetch(robots_url)
                parser = RobotFileParser(robots_url)
                if response.status in (401, 403):
                    parser.parse(["User-agent: *", "Disallow: /"])
                elif response.status >= 400:
                    parser.parse([])
                else:
                    parser.parse(response.body.decode("utf-8", errors="replace").splitlines())
                self._robots[host] = parser
        return self._robots[host]


def _host(url: str) -> str:
    return urlsplit(url).netloc


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds from now: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
