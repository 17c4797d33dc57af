"""``footcast ingest``: import historical data into the store."""

from __future__ import annotations

import json

import click
from tqdm import tqdm

from cli.context import pass_settings
from core.db import connect
from core.errors import InvalidSeason
from core.settings import Settings
from etl.errors import EtlError
from etl.history import FileResult, available_seasons, expand, import_history


@click.group()
def ingest() -> None:
    """Import historical data (results, stats, odds) into the store."""


@ingest.command("football-data")
@click.option("--league", "leagues", multiple=True, help="division code, e.g. E0 (repeatable)")
@click.option("--season", "seasons", multiple=True, help="season code, e.g. 2324 (repeatable)")
@click.option("--all", "everything", is_flag=True, help="every season file under the source")
@click.option("--base-url", default=None, help="default: FOOTCAST_FOOTBALL_DATA_URL")
@click.option("--no-validate", is_flag=True, help="leave batches pending (no gate)")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
@pass_settings
def football_data(
    settings: Settings,
    leagues: tuple[str, ...],
    seasons: tuple[str, ...],
    everything: bool,
    base_url: str | None,
    no_validate: bool,
    as_json: bool,
) -> None:
    """Import football-data.co.uk season files: one batch per file, gated unless told not to.

    Every LEAGUE is imported for every SEASON; with --all, every file under the source
    (a file:// mirror), optionally narrowed by --league/--season.
    """
    base = base_url or settings.football_data_url
    try:
        if everything:
            files = [
                (league, season)
                for league, season in available_seasons(base)
                if (not leagues or league in leagues) and (not seasons or season in seasons)
            ]
        elif leagues and seasons:
            files = expand(leagues, seasons)
        else:
            raise click.UsageError("give --league and --season, or --all")
        with (
            connect(settings, autocommit=True) as conn,
            tqdm(
                total=len(files), unit="file", disable=len(files) < 3 or as_json, leave=False
            ) as bar,
        ):

            def advance(result: FileResult) -> None:
                bar.set_postfix_str(f"{result.league} {result.season}")
                bar.update()

            summary = import_history(conn, base, files, validate=not no_validate, on_file=advance)
    except (EtlError, InvalidSeason) as exc:
        raise click.ClickException(str(exc)) from exc
    report = summary.as_dict()
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        batches = ", ".join(f"{n} {status}" for status, n in report["batches"].items())
        click.echo(
            f"{report['files']} files, {report['matches']} matches"
            f" ({report['matches_new']} new, {report['matches_updated']} updated);"
            f" batches: {batches or 'none'}"
        )
        for failed in summary.quarantined:
            click.echo(
                f"  quarantined {failed.league} {failed.season}"
                f" (batch {failed.batch_id}): {failed.error or 'failed its validation gate'}"
            )
    if summary.quarantined:
        raise SystemExit(1)
