"""``footcast db``: schema migrations."""

from __future__ import annotations

import click

from cli.context import pass_settings
from core.db import connect
from core.settings import Settings
from etl.errors import MigrationError
from etl.migrate import migrate


@click.group()
def db() -> None:
    """The PostgreSQL store's schema."""


@db.command("migrate")
@pass_settings
def migrate_command(settings: Settings) -> None:
    """Apply pending migrations (a second run is a no-op)."""
    try:
        with connect(settings) as conn:
            applied = migrate(conn)
    except MigrationError as exc:
        raise click.ClickException(str(exc)) from exc
    if applied:
        click.echo(f"applied migrations: {', '.join(applied)}")
    else:
        click.echo("schema is up to date")
