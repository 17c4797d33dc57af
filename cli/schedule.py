"""``footcast schedule``: publish what a calendar entry asks for, as the DAGs do.

The chart's CronJobs run these where Airflow is not deployed; both build their messages
from the same contracts (``actors.contracts.daily_ingest``, ``weekly_retrain``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from actors import contracts
from cli.context import pass_settings
from cli.pipeline import send
from core.seasons import season_of_day
from core.settings import Settings


@click.group()
def schedule() -> None:
    """Calendar entries: daily ingest, drift check, weekly retrain (the chart's CronJobs)."""


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@schedule.command("daily-ingest")
@pass_settings
def daily_ingest(settings: Settings) -> None:
    """Publish fixtures.csv's import and the current season's results import per league."""
    season = season_of_day(datetime.now(UTC).date())
    messages = contracts.daily_ingest(_split(settings.whoscored_competitions), season)
    ids = [send(settings, message) for message in messages]
    published = [m.actor_name for m in messages]
    click.echo(json.dumps({"published": published, "season": season, "messages": ids}))


@schedule.command("drift-check")
@pass_settings
def drift_check(settings: Settings) -> None:
    """Publish check_drift for the fixtures from today."""
    day = datetime.now(UTC).date().isoformat()
    ids = [send(settings, contracts.check_drift(day))]
    click.echo(json.dumps({"published": "check_drift", "day": day, "messages": ids}))


@schedule.command("weekly-retrain")
@click.option("--reason", default=None, help="kept with the run [weekly retrain (DATE)]")
@pass_settings
def weekly_retrain(settings: Settings, reason: str | None) -> None:
    """Publish run_pipeline."""
    reason = reason or f"weekly retrain ({datetime.now(UTC).date().isoformat()})"
    ids = [send(settings, message) for message in contracts.weekly_retrain(reason)]
    click.echo(json.dumps({"published": "run_pipeline", "reason": reason, "messages": ids}))
