"""``footcast backup``: dump the store and MLflow's database, list backups, restore one."""

from __future__ import annotations

import json

import click

from cli.context import pass_settings
from core.settings import Settings


def databases(settings: Settings) -> dict[str, str]:
    """The databases a backup holds: the store, and MLflow's when it lives in PostgreSQL."""
    found = {"store": settings.database_url}
    mlflow = settings.mlflow_database_url or settings.mlflow_tracking_uri
    if mlflow.startswith("postgresql"):
        found["mlflow"] = mlflow
    return found


@click.group()
def backup() -> None:
    """Backups of the PostgreSQL databases (pg_dump custom format, with a manifest)."""


@backup.command()
@click.option("--to", "to", default=None, help="directory or s3://bucket/prefix [settings]")
@click.option("--keep", type=click.IntRange(1), default=None, help="backups kept [settings]")
@pass_settings
def create(settings: Settings, to: str | None, keep: int | None) -> None:
    """Dump every database, write the manifest, then delete backups beyond --keep."""
    from etl.backup import create_backup, prune
    from etl.errors import BackupError

    target = to or settings.backup_to
    try:
        manifest = create_backup(databases(settings), target)
        pruned = prune(target, keep or settings.backup_keep)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps({**manifest.as_dict(), "pruned": pruned}, indent=2))


@backup.command("list")
@click.option("--to", "to", default=None, help="directory or s3://bucket/prefix [settings]")
@pass_settings
def list_command(settings: Settings, to: str | None) -> None:
    """Backups under the location, oldest first: id, files and sizes."""
    from etl.backup import list_backups

    for manifest in list_backups(to or settings.backup_to):
        sizes = ", ".join(f"{f.name} {f.size} B" for f in manifest.files)
        click.echo(f"{manifest.id}  {manifest.location}  {sizes}")


@backup.command()
@click.argument("dump")
@click.option("--database-url", required=True, help="the (empty) database to restore into")
@click.option("--force", is_flag=True, help="replace what the database already holds")
def restore(dump: str, database_url: str, force: bool) -> None:
    """Restore DUMP (a .dump file of a backup) into --database-url after checking its hash."""
    from etl.backup import restore_backup
    from etl.errors import BackupError

    try:
        click.echo(json.dumps(restore_backup(dump, database_url, force=force)))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
