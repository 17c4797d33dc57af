"""``footcast store``: what the PostgreSQL store holds."""

from __future__ import annotations

import json

import click

from cli.context import pass_settings
from core.db import connect
from core.settings import Settings
from etl.store.summary import store_stats


@click.group()
def store() -> None:
    """The canonical store."""


@store.command("stats")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def stats_command(settings: Settings, as_json: bool) -> None:
    """Per competition and season: matches, with stats, with odds, teams, batches by status."""
    with connect(settings, autocommit=True) as conn:
        rows = store_stats(conn)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], indent=2))
        return
    click.echo(
        f"{'comp':5} {'season':6} {'matches':>7} {'stats':>6} {'odds':>6} {'teams':>5}  batches"
    )
    for r in rows:
        batches = ", ".join(f"{n} {status}" for status, n in sorted(r.batches.items()))
        click.echo(
            f"{r.competition:5} {r.season:6} {r.matches:7} {r.with_stats:6} {r.with_odds:6}"
            f" {r.teams:5}  {batches}"
        )
    click.echo(f"total: {sum(r.matches for r in rows)} matches in {len(rows)} seasons")
