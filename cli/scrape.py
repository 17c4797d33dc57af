"""``footcast scrape``: ask the workers to scrape a source (or scrape here, with --inline)."""

from __future__ import annotations

import itertools

import click

from actors import contracts
from actors.bus import Bus, BusError
from cli.context import pass_settings
from core.errors import InvalidSeason
from core.seasons import parse_season
from core.settings import Settings
from etl.competitions import competition_code
from etl.errors import BlockedError, EtlError
from etl.sources import whoscored_scrape


@click.group()
def scrape() -> None:
    """Scrape match data from the web (politely: see the README's WhoScored section)."""


@scrape.command("whoscored")
@click.option(
    "--competition",
    "competitions",
    multiple=True,
    required=True,
    help="e.g. 'ENG-Premier League' or E0 (repeatable)",
)
@click.option(
    "--season",
    "seasons",
    multiple=True,
    required=True,
    help="e.g. 2021 or 2020-21 for 2020-21 (repeatable)",
)
@click.option(
    "--base-url", default=None, help="another host (a mirror); default: FOOTCAST_WHOSCORED_URL"
)
@click.option(
    "--inline", is_flag=True,
    help="scrape in this process (fixtures, then each finished match) instead of publishing",
)  # fmt: skip
@pass_settings
def whoscored(
    settings: Settings,
    competitions: tuple[str, ...],
    seasons: tuple[str, ...],
    base_url: str | None,
    inline: bool,
) -> None:
    """Publish scrape_fixtures for each competition and season; the workers do the rest.

    scrape_fixtures upserts the fixtures and publishes scrape_match for each finished match
    not yet stored. The operator runs this at their own responsibility: WhoScored's terms
    restrict automated access.
    """
    try:
        jobs = [
            (competition_code(competition), parse_season(season))
            for competition, season in itertools.product(competitions, seasons)
        ]
    except (EtlError, InvalidSeason) as exc:
        raise click.ClickException(str(exc)) from exc
    if inline:
        _scrape_inline(settings, jobs, base_url)
        return
    bus = Bus.from_settings(settings)
    try:
        for code, season in jobs:
            message = bus.send(contracts.scrape_fixtures(code, season, base_url))
            click.echo(f"published scrape_fixtures({code}, {season}) as {message.message_id}")
    except BusError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        bus.close()


def _scrape_inline(settings: Settings, jobs: list[tuple[str, str]], base_url: str | None) -> None:
    failed = 0
    for code, season in jobs:
        try:
            report = whoscored_scrape.scrape_fixtures(settings, code, season, base_url=base_url)
        except EtlError as exc:
            raise click.ClickException(f"{code} {season}: {exc}") from exc
        click.echo(
            f"{code} {season}: {report.fixtures} fixtures ({report.new} new, {report.updated}"
            f" updated) from {report.pages} pages; {len(report.quarantined)} batches"
            f" quarantined; {len(report.to_scrape)} matches to scrape"
        )
        failed += len(report.quarantined)
        with click.progressbar(report.to_scrape, label="match centres") as match_ids:
            for match_id in match_ids:
                try:
                    whoscored_scrape.scrape_match(settings, match_id, base_url=base_url)
                except BlockedError as exc:
                    raise click.ClickException(f"match {match_id}: {exc}") from exc
                except EtlError as exc:
                    failed += 1
                    click.echo(f"\nmatch {match_id}: {type(exc).__name__}: {exc}", err=True)
    if failed:
        raise click.ClickException(f"{failed} pages failed; see `footcast batches list`")
