"""``footcast``: one click group; each command family lives in its own module."""

from __future__ import annotations

from typing import Any

import click

from cli.backup import backup
from cli.batches import batches
from cli.context import load_settings, pass_settings
from cli.db import db
from cli.demo import demo
from cli.dlq import dlq
from cli.evaluate import evaluate
from cli.heartbeat import heartbeat
from cli.ingest import ingest
from cli.model import model
from cli.outages import outage_of
from cli.ping import ping
from cli.pipeline import pipeline
from cli.predict import predict
from cli.replay import replay
from cli.schedule import schedule
from cli.scoreboard import scoreboard
from cli.scrape import scrape
from cli.store import store
from cli.teams import teams
from cli.whoscored import whoscored
from cli.worker import worker

__all__ = ["main", "pass_settings"]


class FootcastGroup(click.Group):
    """The root group: any command's unreachable service becomes one line and its exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            settings = load_settings()
            service = outage_of(exc, settings)
            if service is None:
                raise
            click.echo(service.message(settings), err=True)
            ctx.exit(service.exit_code)


@click.group(cls=FootcastGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="footcast")
def main() -> None:
    """footcast: football forecasts from data to HTTP, on an actor bus.

    Settings come from FOOTCAST_* environment variables (docs/configuration.md). A service
    that cannot be reached ends a command with one line and exit status 10 (PostgreSQL),
    11 (RabbitMQ), 12 (results Redis) or 13 (cache Redis).
    """


main.add_command(db)
main.add_command(demo)
main.add_command(dlq)
main.add_command(evaluate)
main.add_command(heartbeat)
main.add_command(ping)
main.add_command(predict)
main.add_command(replay)
main.add_command(scoreboard)
main.add_command(teams)
main.add_command(scrape)
main.add_command(whoscored)
main.add_command(ingest)
main.add_command(store)
main.add_command(batches)
main.add_command(model)
main.add_command(pipeline)
main.add_command(worker)
main.add_command(backup)
main.add_command(schedule)
