"""``footcast heartbeat``: a beat through the bus into PostgreSQL, and back."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import click

from actors import contracts
from actors.bus import Bus, BusError
from cli.context import pass_settings
from core.settings import Settings


@click.command()
@click.option("--source", default="cli", show_default=True, help="Who the beat is from.")
@click.option("--timeout-ms", type=int, default=10_000, show_default=True)
@pass_settings
def heartbeat(settings: Settings, source: str, timeout_ms: int) -> None:
    """Record a heartbeat via a worker: proves producer → RabbitMQ → worker → PostgreSQL."""
    bus = Bus.from_settings(settings)
    started = time.perf_counter()
    try:
        message = bus.send(contracts.heartbeat(source, datetime.now(UTC)))
        result = bus.wait(message, timeout_ms)
    except BusError as exc:
        raise click.ClickException(f"{exc} (is a worker running? is PostgreSQL up?)") from exc
    finally:
        bus.close()
    result["roundtrip_ms"] = round((time.perf_counter() - started) * 1000, 2)
    click.echo(json.dumps(result, indent=2))
