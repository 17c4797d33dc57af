"""``footcast heartbeat``: a beat through the bus into PostgreSQL, and back."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from actors import contracts
from cli.context import pass_settings
from cli.ping import round_trip
from core.settings import Settings


@click.command()
@click.option("--source", default="cli", show_default=True, help="Who the beat is from.")
@click.option("--timeout-ms", type=int, default=10_000, show_default=True)
@pass_settings
def heartbeat(settings: Settings, source: str, timeout_ms: int) -> None:
    """Record a heartbeat via a worker: proves producer → RabbitMQ → worker → PostgreSQL."""
    message = contracts.heartbeat(source, datetime.now(UTC))
    round_trip(settings, message, timeout_ms, "is a worker running? is PostgreSQL up?")
