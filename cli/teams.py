"""``footcast teams``: the alias table that gives every source's team names one identity."""

from __future__ import annotations

import json

import click

from cli.context import pass_settings
from core.db import connect
from core.settings import Settings
from etl.competitions import COMPETITIONS, competition_code
from etl.errors import EtlError
from etl.teams import add_alias, create_team, list_aliases, seed_aliases, team_id_of


@click.group()
def teams() -> None:
    """Teams and their per-source aliases."""


@teams.command("seed")
@pass_settings
def seed_command(settings: Settings) -> None:
    """Load the curated alias table shipped with footcast (idempotent)."""
    with connect(settings, autocommit=True) as conn:
        changed = seed_aliases(conn)
    click.echo(f"aliases seeded ({changed} rows changed)")


@teams.group()
def alias() -> None:
    """Map a source's spelling of a team onto its canonical name."""


@alias.command("add")
@click.option("--source", required=True, help="football-data, whoscored, ...")
@click.option("--competition", default=None, help="E0 or 'ENG-Premier League' (sets country)")
@click.option("--create", is_flag=True, help="make TEAM a new canonical team if it is unknown")
@click.argument("name")
@click.argument("team")
@pass_settings
def alias_add(
    settings: Settings, source: str, competition: str | None, create: bool, name: str, team: str
) -> None:
    """Resolve NAME (as SOURCE spells it) to the canonical TEAM from now on."""
    try:
        country = COMPETITIONS[competition_code(competition)].country if competition else None
    except EtlError as exc:
        raise click.ClickException(str(exc)) from exc
    with connect(settings, autocommit=True) as conn, conn.transaction():
        seed_aliases(conn)
        found = team_id_of(conn, team)
        if found is None and not create:
            raise click.ClickException(
                f"no team named {team!r}; check `footcast teams alias list`, or add --create"
            )
        add_alias(conn, source, name, found or create_team(conn, team, country))
    click.echo(f"{source}: {name!r} -> {team!r}")


@alias.command("list")
@click.option("--source", default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def alias_list(settings: Settings, source: str | None, as_json: bool) -> None:
    """Every alias and the canonical team it resolves to."""
    with connect(settings, autocommit=True) as conn:
        rows = list_aliases(conn, source)
    if as_json:
        keys = ("source", "alias", "team")
        click.echo(json.dumps([dict(zip(keys, r, strict=True)) for r in rows], indent=2))
        return
    for src, name, team in rows:
        click.echo(f"{src:14} {name:28} {team}")
