"""``footcast ping``: a message through the bus and back."""

from __future__ import annotations

import json
import time
from typing import Any

import click
from dramatiq import Message

from actors import contracts
from actors.bus import Bus, BusError
from cli.context import pass_settings
from core.settings import Settings


def round_trip(settings: Settings, message: Message[Any], timeout_ms: int, hint: str) -> None:
    """Send ``message``, wait for its result and print it with the round-trip time."""
    bus = Bus.from_settings(settings)
    started = time.perf_counter()
    try:
        result = bus.wait(bus.send(message), timeout_ms)
    except BusError as exc:
        raise click.ClickException(f"{exc} ({hint})") from exc
    finally:
        bus.close()
    result["roundtrip_ms"] = round((time.perf_counter() - started) * 1000, 2)
    click.echo(json.dumps(result, indent=2))


@click.command()
@click.option("--queue", type=click.Choice(contracts.QUEUES), default="ops", show_default=True)
@click.option("--timeout-ms", type=int, default=10_000, show_default=True)
@pass_settings
def ping(settings: Settings, queue: str, timeout_ms: int) -> None:
    """Send a ping to QUEUE and wait for a worker's answer."""
    message = contracts.ping(queue, message="ping from the command line")
    round_trip(settings, message, timeout_ms, "is a worker running? try `make run`")
