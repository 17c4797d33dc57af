"""``footcast pipeline``: ask for a pipeline run, list runs, and publish the stages' events.

``event`` is how DVC stages reach the bus without importing it (``ml.stages.events``).
"""

from __future__ import annotations

import json
from typing import Any

import click
from dramatiq import Message

from actors import contracts
from actors.bus import Bus, BusError
from cli.context import pass_settings
from core.settings import Settings


def send(settings: Settings, message: Message[Any]) -> str:
    """Put one message on the bus; a bus that is down is a command failure."""
    bus = Bus.from_settings(settings)
    try:
        return bus.send(message).message_id
    except BusError as exc:
        raise click.ClickException(f"{message.actor_name} was not published ({exc})") from exc
    finally:
        bus.close()


@click.group()
def pipeline() -> None:
    """The DVC pipeline on the bus: run it, list its runs, publish its events."""


@pipeline.command()
@click.option("--reason", default="asked by an operator", show_default=True)
@pass_settings
def run(settings: Settings, reason: str) -> None:
    """Publish run_pipeline: a pipeline worker runs dvc repro (skipped if one is running)."""
    message_id = send(settings, contracts.run_pipeline(reason))
    click.echo(json.dumps({"published": "run_pipeline", "message_id": message_id}))


@pipeline.command()
@click.argument("name", type=click.Choice(sorted(contracts.PIPELINE_EVENTS)))
@click.option("--data", default="{}", show_default=True, help="the event's fields as JSON")
@pass_settings
def event(settings: Settings, name: str, data: str) -> None:
    """Publish one pipeline event (the DVC stages call this)."""
    try:
        fields = json.loads(data)
        message = contracts.pipeline_event(name, fields if isinstance(fields, dict) else {})
    except (ValueError, contracts.ContractError) as exc:
        raise click.BadParameter(str(exc), param_hint="--data") from exc
    send(settings, message)
    click.echo(json.dumps({"published": name, **fields}))


@pipeline.command()
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@pass_settings
def runs(settings: Settings, limit: int) -> None:
    """The newest pipeline runs, one JSON object a line: status, reason, model, error."""
    from core.db import connect
    from etl.store.pipeline_runs import recent_runs

    with connect(settings) as conn:
        for found in recent_runs(conn, limit):
            click.echo(json.dumps(found.as_dict(), sort_keys=True))
