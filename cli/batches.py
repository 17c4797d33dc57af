"""``footcast batches``: ingest batches and their validation gate decisions."""

from __future__ import annotations

import json
from dataclasses import asdict

import click

from cli.context import pass_settings
from core.db import connect
from core.settings import Settings
from etl.store.batches import BATCH_STATUSES, get_batch, list_batches


@click.group()
def batches() -> None:
    """Ingest batches: pending, validated or quarantined."""


@batches.command("list")
@click.option("--status", type=click.Choice(BATCH_STATUSES), default=None)
@click.option("--source", default=None)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def list_command(
    settings: Settings, status: str | None, source: str | None, limit: int, as_json: bool
) -> None:
    """Most recent batches first."""
    with connect(settings, autocommit=True) as conn:
        found = list_batches(conn, status=status, source=source, limit=limit)
    if as_json:
        keys = ("id", "source", "batch_key", "status", "row_count", "reason", "updated_at")
        rows = [{k: asdict(b)[k] for k in keys} for b in found]
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    for b in found:
        reason = f"  {b.reason[:80]}" if b.reason else ""
        click.echo(f"{b.id:6} {b.status:11} {b.source:14} {b.batch_key:28} {b.row_count:5}{reason}")


@batches.command("show")
@click.argument("batch_id", type=int)
@pass_settings
def show_command(settings: Settings, batch_id: int) -> None:
    """One batch with its full validation report (JSON)."""
    with connect(settings, autocommit=True) as conn:
        batch = get_batch(conn, batch_id)
    if batch is None:
        raise click.ClickException(f"no batch {batch_id}")
    click.echo(json.dumps(asdict(batch), indent=2, default=str))
