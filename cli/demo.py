"""``footcast demo``: the end-to-end walk through footcast on this machine."""

from __future__ import annotations

import json
import sys
import time
import urllib.request

import click

from actors import contracts
from actors.bus import Bus
from cli.context import pass_settings
from cli.demo_serving import ensure_champion, ensure_data, show_predictions, show_promotion
from cli.processes import api_command, spawn, stop, wait_http_ok, worker_command
from core.db import connect
from core.settings import PROJECT_ROOT, Settings
from etl.migrate import migrate

LOG_DIR = PROJECT_ROOT / "var" / "log"


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
    """Migrate, start the API and a worker, and send messages through the whole stack."""
    step("1. database schema")
    with connect(settings) as conn:
        applied = migrate(conn)
    click.echo(f"applied: {', '.join(applied)}" if applied else "schema is up to date")

    step("2. data and a champion model")
    ensure_data(settings)
    ensure_champion(settings)

    step("3. starting the API and a worker")
    api_url = f"http://127.0.0.1:{settings.api_port}"
    api = spawn(api_command(settings.api_port), settings, LOG_DIR / "api.log")
    worker = spawn(worker_command(), settings, LOG_DIR / "worker.log")
    try:
        wait_http_ok(f"{api_url}/health/ready", 60, api)
        click.echo(f"API ready at {api_url} (logs in {LOG_DIR})")
        click.echo(
            "the worker runs under `footcast worker`, which restarts it (with back-off) if its"
            " process dies; while no worker consumes a queue, requests that need it get"
            " 503 no_worker at once"
        )

        step("4. a ping on every queue, through the bus")
        bus = Bus.from_settings(settings)
        for queue in contracts.QUEUES:
            started = time.perf_counter()
            result = bus.wait(bus.send(contracts.ping(queue, message="demo")), 30_000)
            elapsed = (time.perf_counter() - started) * 1000
            click.echo(f"{queue:>8}: pong from {result['worker']} in {elapsed:.1f} ms")
        bus.close()

        step("5. a ping through HTTP (POST /v1/ping)")
        click.echo(json.dumps(post_json(f"{api_url}/v1/ping", {"message": "hello"}), indent=2))

        step("6. predictions over HTTP")
        show_predictions(settings, api_url)

        step("7. a new champion, served without a restart")
        show_promotion(settings, api_url)

        step("8. the matchday page")
        click.echo(f"open {api_url}/ in a browser: fixtures, track record, model, health")
        if keep_running if keep_running is not None else sys.stdin.isatty():
            click.secho(
                f"\nfootcast is serving at {api_url}/ (the matchday page); Ctrl-C stops it.",
                fg="green",
            )
            api.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop(api)
        stop(worker)
