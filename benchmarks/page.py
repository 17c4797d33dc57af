"""Page benchmark: how long the matchday page takes to show 100 forecast fixtures.

    FOOTCAST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/footcast_test \\
        .venv/bin/python benchmarks/page.py [--reloads 20]

Loopback only. In a schema of its own (dropped at the end) it imports three Premier League
seasons from the football-data mirror and schedules 100 fixtures on ten days; then the real
stack of ``serve.py`` (a champion trained into a private registry, a private RabbitMQ vhost,
gunicorn and a dramatiq worker). Debian's chromium (driven by Playwright) opens the page on
those ten days and the time from navigation start until every fixture card is drawn is read
in the page (``performance.now()``):

- ``cold``: the first load, every forecast computed by the worker (one batch through the bus);
- ``warm``: reloads, forecasts from the prediction cache (what visitors of a matchday see).

Also ``api_warm_ms``: ``GET /v1/fixtures`` alone. Prints one JSON object (milliseconds).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from core.db import connect
from core.settings import Settings
from etl.history import import_history
from etl.migrate import migrate
from etl.store.databases import create_schema, drop_schema

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from serve import bench_stack

from tests.page.browser import DESKTOP, chromium
from tests.page.matchday import schedule, season_teams

SEASONS = ("2122", "2223", "2324")
FIXTURES, DAYS = 100, 10
FIRST_DAY = dt.date(2024, 9, 14)


def matchdays(settings: Settings) -> None:
    """100 scheduled fixtures between 2023-24's teams, ten a day, each team once a day."""
    teams = season_teams(settings)
    half, per_day = len(teams) // 2, FIXTURES // DAYS
    fixtures = []
    for i in range(FIXTURES):
        day, slot = divmod(i, per_day)
        kickoff = FIRST_DAY + dt.timedelta(days=day)
        fixtures.append((kickoff, teams[slot], teams[half + (slot + day) % half]))
    schedule(settings, fixtures)


def wait_serving(api: str, timeout_s: float = 180) -> None:
    """Until a worker has loaded the champion (its serving record names it)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{api}/v1/models/champion", timeout=10):
                return
        except urllib.error.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def load_ms(page, url: str) -> float:
    page.goto(url)
    page.wait_for_selector("body[data-fixtures=loaded]", timeout=120_000)
    cards = page.locator("#fixtures article.fixture").count()
    if cards != FIXTURES:
        said = page.locator("#matchday .notice").inner_text()
        raise RuntimeError(f"the page drew {cards} fixtures, not {FIXTURES}: {said}")
    return float(page.evaluate("Number(document.body.dataset.loadedMs)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reloads", type=int, default=20)
    args = parser.parse_args()
    base = Settings.from_env()
    schema = f"bench_page_{uuid.uuid4().hex[:8]}"
    os.environ["FOOTCAST_DATABASE_URL"] = create_schema(base.database_url, schema)
    try:
        settings = Settings.from_env()
        with connect(settings) as conn:
            migrate(conn)
            conn.commit()
            import_history(conn, settings.football_data_url, [("E0", s) for s in SEASONS])
            conn.commit()
        matchdays(settings)
        last = FIRST_DAY + dt.timedelta(days=DAYS - 1)
        query = f"from={FIRST_DAY}&to={last}&limit={FIXTURES}"
        with bench_stack(api_workers=2, api_threads=8, worker_threads=8) as stack:
            wait_serving(stack.api)
            with chromium() as browser:
                page = browser.new_context(viewport=DESKTOP).new_page()
                cold = load_ms(page, f"{stack.api}/?{query}")
                warm = [load_ms(page, f"{stack.api}/?{query}") for _ in range(args.reloads)]
            api = []
            for _ in range(args.reloads):
                started = time.perf_counter()
                with urllib.request.urlopen(f"{stack.api}/v1/fixtures?{query}", timeout=60) as r:
                    r.read()
                api.append((time.perf_counter() - started) * 1000)
    finally:
        drop_schema(base.database_url, schema)
    warm.sort()
    api.sort()
    print(
        json.dumps(
            {
                "fixtures": FIXTURES,
                "cold_ms": round(cold, 1),
                "warm_ms": {
                    "median": round(statistics.median(warm), 1),
                    "p95": round(warm[int(0.95 * (len(warm) - 1))], 1),
                    "max": round(warm[-1], 1),
                },
                "api_warm_ms": {
                    "median": round(statistics.median(api), 1),
                    "max": round(api[-1], 1),
                },
                "reloads": args.reloads,
            }
        )
    )


if __name__ == "__main__":
    main()
