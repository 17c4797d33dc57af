"""``footcast demo``: the end-to-end walk through footcast on this machine, a matchday long."""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from pathlib import Path

import click

from actors import contracts
from actors.bus import Bus
from cli.context import pass_settings
from cli.demo_serving import (
    DEMO_DAY,
    ensure_champion,
    import_demo_fixtures,
    load_history,
    show_predictions,
    show_promotion,
    show_results,
)
from cli.processes import WORKER_QUEUES
from cli.replay import wait_served
from cli.scratch import running_stack, scratch
from core.db import connect
from core.settings import PROJECT_ROOT, Settings
from etl.migrate import migrate

LOG_DIR = PROJECT_ROOT / "var" / "log"
#: Seconds a worker may take to load the champion and fold the store before the demo pings.
WORKER_LOAD_TIMEOUT_S = 300


def step(title: str) -> None:
    click.secho(f"\n== {title}", bold=True)


def post_json(url: str, body: dict[str, object], timeout_s: float = 35) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        return dict(json.loads(response.read()))


@click.command()
@click.option(
    "--keep-running/--no-keep-running",
    default=None,
    help="Leave the API and worker serving until Ctrl-C (default: when run in a terminal).",
)
@pass_settings
def demo(settings: Settings, keep_running: bool | None) -> None:
    """A matchday through the whole stack, on a scratch footcast removed at the end.

    The store stands on 16 May 2024; the next days' fixtures are imported with their prices
    and served by a real API and worker, then their results arrive and are scored.
    """
    with scratch(settings, "demo") as sc:
        step("1. a scratch footcast (database, vhost, registry; removed at the end)")
        with connect(sc.settings) as conn:
            applied = migrate(conn)
        click.echo(f"database {sc.name}: migrations {', '.join(applied)}")

        step(f"2. the store as it stood on {DEMO_DAY:%d %B %Y}, and a champion")
        mirror = sc.directory / "mirror"
        load_history(sc.settings, mirror)
        ensure_champion(sc.settings)

        step("3. starting the API and a worker")
        with running_stack(sc, port=settings.api_port) as api_url:
            click.echo(f"API ready at {api_url} (logs in {LOG_DIR})")
            click.echo(
                "the worker runs under `footcast worker`, which restarts it (with back-off) if"
                " its process dies; while no worker consumes a queue, requests that need it get"
                " 503 no_worker at once"
            )
            serve(sc.settings, api_url, mirror, keep_running)


def serve(settings: Settings, api_url: str, mirror: Path, keep_running: bool | None) -> None:
    """Steps 4 on: pings, the matchday's fixtures served, a promotion, the results."""
    with connect(settings) as conn:
        wait_served(settings, conn, WORKER_LOAD_TIMEOUT_S)
    click.echo("the worker has loaded the champion and the store")

    step("4. a ping on every queue a worker consumes, through the bus")
    bus = Bus.from_settings(settings)
    for queue in WORKER_QUEUES:
        started = time.perf_counter()
        result = bus.wait(bus.send(contracts.ping(queue, message="demo")), 30_000)
        elapsed = (time.perf_counter() - started) * 1000
        click.echo(f"{queue:>8}: pong from {result['worker']} in {elapsed:.1f} ms")
    bus.close()

    step("5. a ping through HTTP (POST /v1/ping)")
    click.echo(json.dumps(post_json(f"{api_url}/v1/ping", {"message": "hello"}), indent=2))

    step(f"6. the fixtures published on {DEMO_DAY:%d %B %Y}, served with their prices")
    fixtures = import_demo_fixtures(settings, mirror)
    show_predictions(api_url, fixtures)

    step("7. a new champion, served without a restart")
    show_promotion(settings, api_url, fixtures[0])

    step("8. the results arrive: the scoreboard of what was served")
    show_results(settings, api_url)

    # the matchday page (GET /) reads the same API
    click.secho(f"\nthe matchday page: {api_url}/", fg="green")
    try:
        if keep_running if keep_running is not None else sys.stdin.isatty():
            click.secho(
                f"footcast is serving at {api_url}/ (the matchday page); Ctrl-C stops it.",
                fg="green",
            )
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
