"""``footcast ingest``: import historical data and upcoming fixtures into the store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import click
from tqdm import tqdm

from cli.context import pass_settings
from core.db import connect
from core.errors import InvalidSeason
from core.settings import Settings
from etl.errors import EtlError
from etl.fixtures import FixturesResult, import_fixtures
from etl.history import FileResult, available_seasons, expand, import_history
from etl.sources.football_data import FIXTURES_PATH


@click.group()
def ingest() -> None:
    """Import historical data (results, stats, odds) and upcoming fixtures into the store."""


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
    changed = [
        f.batch_id
        for f in summary.files
        if f.status == "validated" and f.batch_id and (f.matches_new or f.matches_updated)
    ]
    report["data_changed"] = announce_data_changed(settings, changed)
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


@ingest.command("fixtures")
@click.option("--base-url", default=None, help="default: FOOTCAST_FOOTBALL_DATA_URL")
@click.option(
    "--path",
    default=FIXTURES_PATH,
    show_default=True,
    help="the file below the base URL, e.g. fixtures/fixtures_2024-05-16.csv on the shared mirror",
)
@click.option(
    "--as-of",
    default=None,
    help="when these prices were seen (ISO date or time, UTC if no zone); default: when"
    " these bytes were first imported. A replay passes the day the file stands for.",
)
@click.option(
    "--league",
    "leagues",
    multiple=True,
    help="import only these divisions (repeatable); default: every one footcast knows",
)
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
@pass_settings
def fixtures(
    settings: Settings,
    base_url: str | None,
    path: str,
    as_of: str | None,
    leagues: tuple[str, ...],
    as_json: bool,
) -> None:
    """Import football-data.co.uk's fixtures.csv: upcoming matches and their prices.

    Each match is stored as scheduled under the same key as the season files (so its
    result, imported later, lands on the same row); each bookmaker's 1X2, over/under 2.5
    and Asian handicap prices are kept as a snapshot dated --as-of. Divisions footcast does
    not import are skipped and counted. The file goes through the validation gate like
    every batch; exit status 1 if it is quarantined. When fixtures change, running workers
    are told (data_changed).
    """
    base = base_url or settings.football_data_url
    seen_at = _as_of(as_of)
    try:
        with connect(settings, autocommit=True) as conn:
            result = import_fixtures(
                conn, base, path=path, as_of=seen_at, leagues=leagues or None,
                raise_errors=False,
            )  # fmt: skip
    except EtlError as exc:
        raise click.ClickException(str(exc)) from exc
    report = result.as_dict()
    changed = result.status == "validated" and result.changed and result.batch_id
    report["data_changed"] = announce_data_changed(
        settings, [result.batch_id] if changed and result.batch_id else []
    )
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(_fixtures_line(result))
    if result.status == "quarantined":
        raise SystemExit(1)


def _as_of(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(
            f"{text!r} is not an ISO date or time", param_hint="--as-of"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _fixtures_line(result: FixturesResult) -> str:
    skipped = ", ".join(f"{division} {n}" for division, n in result.skipped.items())
    lines = [
        f"{result.path}: {result.fixtures} fixtures ({result.matches_new} new,"
        f" {result.matches_updated} updated, {result.already_played} already played),"
        f" {result.snapshots_added} price snapshots added"
        f" (seen at {result.seen_at.isoformat() if result.seen_at else '-'});"
        f" skipped divisions: {skipped or 'none'}; batch {result.batch_id}: {result.status}"
    ]
    if result.error:
        lines.append(f"  {result.error}")
    return "\n".join(lines)


def announce_data_changed(settings: Settings, batch_ids: Sequence[int]) -> str | None:
    """Tell serving about new results or fixtures (``data_changed``); what happened, or None
    when there was nothing to tell. An unreachable bus is not an import failure: workers
    fold the data in at their next periodic check anyway."""
    if not batch_ids:
        return None
    from actors import contracts
    from actors.bus import Bus, BusError

    try:
        bus = Bus.from_settings(settings)
        try:
            bus.send(contracts.data_changed(list(batch_ids)))
        finally:
            bus.close()
    except (BusError, OSError) as exc:
        click.echo(f"warning: data_changed not published ({exc})", err=True)
        return "not published"
    return "published"
