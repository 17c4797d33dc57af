"""The matchday page in a real browser: Debian's chromium, driven by Playwright, against a
real gunicorn API and dramatiq worker serving a champion trained on three real Premier League
seasons. Screenshots of every state are saved in each test's output folder.

Data: scheduled fixtures are inserted into the store as the fixtures importer leaves them.
Half of them carry a price snapshot. The track record is built the way users get one:
fixtures of coming months are priced and served, then their results arrive.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from cli.processes import api_command, free_port, spawn, wait_http_ok
from core.settings import Settings
from tests.conftest import discard
from tests.page.browser import DESKTOP, PHONE, chromium
from tests.page.matchday import (
    finish,
    match_ids,
    price,
    schedule,
    season_teams,
    unschedule,
)
from tests.serving_fixtures import (
    FIXTURE,
    Api,
    rabbitmq_vhost,
    running_stack,
    serving_world,
    wait_answered,
)

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]
__all__ = ["serving_world"]

#: The matchday the tests show: two days of Premier League fixtures.
DAYS = (dt.date(2024, 9, 14), dt.date(2024, 9, 15))
FIXTURES_PER_DAY = 5
MATCHDAY = f"/?from={DAYS[0]}&to={DAYS[-1]}"
#: Coming kickoffs (three months) whose served forecasts the track-record test scores.
RECORD_DAYS = tuple(dt.date.today() + dt.timedelta(days=d) for d in (40, 70, 100))
WAIT_MS = 60_000


def _matchday(settings: Settings) -> list[tuple[str, str]]:
    """The matchday's fixtures: 2023-24's teams paired off, five a day."""
    teams = season_teams(settings)
    pairs = list(zip(teams[::2], teams[1::2], strict=True))[: FIXTURES_PER_DAY * len(DAYS)]
    schedule(settings, [(DAYS[i // FIXTURES_PER_DAY], *pair) for i, pair in enumerate(pairs)])
    price(settings, match_ids(settings, DAYS[0], DAYS[-1])[::2])
    return pairs


def _score_served_forecasts(api: Api, settings: Settings, pairs: list[tuple[str, str]]) -> int:
    """The real path to a track record: fixtures in three coming months are priced and
    served (``GET /v1/fixtures`` logs every forecast), then their results and closing prices
    arrive. Returns how many matches the scoreboard must count."""
    schedule(settings, [(day, *pair) for day in RECORD_DAYS for pair in pairs])
    ids = match_ids(settings, RECORD_DAYS[0], RECORD_DAYS[-1])
    price(settings, ids, seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    for day in RECORD_DAYS:
        status, _, body = api.call("GET", f"/v1/fixtures?from={day}&to={day}&limit=100")
        assert status == 200 and all(f["prediction"] for f in body["fixtures"])
    finish(settings, ids)
    return len(ids)


@pytest.fixture(scope="module")
def matchday(serving_world: Settings, tmp_path_factory) -> Iterator[tuple[Api, list]]:
    """The stack, with the matchday's fixtures scheduled."""
    pairs = _matchday(serving_world)
    try:
        with rabbitmq_vhost() as broker_url:
            settings = serving_world.replace(broker_url=broker_url)
            with running_stack(settings, tmp_path_factory.mktemp("page")) as api:
                wait_answered(api, FIXTURE)
                yield api, pairs
    finally:
        unschedule(serving_world, DAYS[0], DAYS[-1])
        unschedule(serving_world, RECORD_DAYS[0], RECORD_DAYS[-1], ("scheduled", "finished"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, tmp_path: Path) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP)
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    yield opened
    context.close()
    assert not errors, f"the page's script failed: {errors}"


def _shot(page: Page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_the_matchday_lists_every_fixture_with_its_forecast(matchday, page, tmp_path):
    api, pairs = matchday
    page.goto(api.base + MATCHDAY)
    page.wait_for_selector("body[data-fixtures=loaded]")
    cards = page.locator("#fixtures article.fixture")
    assert cards.count() == len(pairs)
    first = cards.first
    assert first.locator(".home-team").inner_text() == pairs[0][0]
    assert first.locator(".away-team").inner_text() == pairs[0][1]
    label = first.locator(".bar-row.model .bar").get_attribute("aria-label") or ""
    assert label.startswith("Model: Home win ") and "Draw" in label and "Away win" in label
    assert "xG" in first.inner_text() and "Over 2.5" in first.inner_text()
    assert page.locator("#fixtures h4.day").count() == len(DAYS)
    assert page.locator("#fixtures h2").first.inner_text() == "Premier League (E0)"
    _shot(page, tmp_path, "matchday")


def test_a_phone_sized_screen_shows_the_matchday_without_sideways_scrolling(
    matchday, browser, tmp_path
):
    api, pairs = matchday
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    phone = context.new_page()
    phone.goto(api.base + MATCHDAY)
    phone.wait_for_selector("body[data-fixtures=loaded]", timeout=WAIT_MS)
    assert phone.locator("#fixtures article.fixture").count() == len(pairs)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot(path=str(tmp_path / "matchday-phone.png"))
    context.close()


def test_a_fixture_opens_its_detail_with_the_score_heat_map(matchday, page, tmp_path):
    api, pairs = matchday
    page.goto(api.base + MATCHDAY)
    page.wait_for_selector("body[data-fixtures=loaded]")
    page.locator("#fixtures article.fixture h3 a").first.click()
    page.wait_for_selector("#fixture .heatmap")
    assert page.locator("#fixture-title").inner_text() == f"{pairs[0][0]} v {pairs[0][1]}"
    assert page.locator("#fixture .heatmap td").count() == 36
    assert page.locator("#fixture .heatmap td.likeliest").count() >= 3
    inputs = page.locator("#fixture dl.inputs").inner_text()
    assert "footcast-outcome version" in inputs and "Prices used" in inputs
    _shot(page, tmp_path, "fixture")


def test_the_track_record_draws_rps_by_month_and_the_reliability_diagram(
    matchday, serving_world, page, tmp_path
):
    api, pairs = matchday
    scored = _score_served_forecasts(api, serving_world, pairs)
    deadline = time.monotonic() + 60
    while (counted := api.call("GET", "/v1/scoreboard")[2]["overall"]["matches"]) < scored:
        assert time.monotonic() < deadline, f"{counted} of {scored} forecasts scored"
        time.sleep(0.5)
    page.goto(api.base + "/#record")
    page.wait_for_selector("body[data-record=loaded]")
    assert page.locator("#record .notice").is_hidden()
    charts = page.locator("#record svg.chart")
    assert charts.count() == 5  # RPS, cumulative log-loss, reliability of H, D, A
    assert page.locator("#record svg.chart").first.locator("polyline").count() == 3
    assert f"{scored} scored forecasts" in page.locator("#record .summary").inner_text()
    _shot(page, tmp_path, "track-record")


def test_the_model_panel_names_the_champion_and_the_last_decisions(matchday, page, tmp_path):
    api, _ = matchday
    status, _, registry = api.call("GET", "/v1/models")
    assert status == 200 and registry["champion"]["version"] == "1"
    page.goto(api.base + "/#model")
    page.wait_for_selector("body[data-model=loaded]")
    champion = page.locator("#model-body article.card").first
    assert "Champion" in champion.inner_text()
    assert "footcast-outcome" in champion.inner_text()
    assert page.locator("#model .notice").is_hidden()
    _shot(page, tmp_path, "model")


def test_the_health_panel_says_in_words_that_footcast_is_serving(matchday, page, tmp_path):
    api, _ = matchday
    page.goto(api.base + "/#health")
    page.wait_for_selector("body[data-health=loaded]")
    text = page.locator("#health-body").inner_text()
    assert "footcast is serving" in text and "PostgreSQL" in text
    queues = api.call("GET", "/health/ready")[2].get("queues")
    if queues:  # servers whose readiness lists queues: one row each
        assert page.locator("#health-body table").nth(1).locator("tbody tr").count() == len(queues)
    _shot(page, tmp_path, "health")


def test_an_api_answering_503_shows_a_sentence_not_json(base_settings, browser, tmp_path):
    """An API whose database is down answers ``/v1/fixtures`` with 503; the page says why."""
    port = free_port()
    settings = base_settings.replace(database_url="postgresql://postgres@127.0.0.1:1/footcast")
    proc = spawn(api_command(port, workers=1, threads=2), settings, tmp_path / "api-down.log")
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/health/live", 30, proc)
        context = browser.new_context(viewport=DESKTOP)
        down = context.new_page()
        answers = []
        down.on("response", lambda r: answers.append(r.status) if "/v1/fixtures" in r.url else None)
        down.goto(f"http://127.0.0.1:{port}{MATCHDAY}")
        down.wait_for_selector("body[data-fixtures=loaded]", timeout=WAIT_MS)
        assert answers == [503]
        notice = down.locator("#matchday .notice")
        assert notice.is_visible()
        text = notice.inner_text()
        assert "the match database is unavailable" in text and "{" not in text
        assert notice.get_by_role("button", name="Try again").is_visible()
        down.screenshot(path=str(tmp_path / "error.png"), full_page=True)
        down.goto(f"http://127.0.0.1:{port}/#health")
        down.wait_for_selector("body[data-health=loaded]", timeout=WAIT_MS)
        assert "PostgreSQL is down" in down.locator("#health-body").inner_text()
        down.screenshot(path=str(tmp_path / "health-down.png"), full_page=True)
        context.close()
    finally:
        discard(proc)
