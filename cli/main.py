"""``footcast``: one click group; each command family lives in its own module."""

from __future__ import annotations

import click

from cli.backup import backup
from cli.batches import batches
from cli.context import pass_settings
from cli.db import db
from cli.demo import demo
from cli.dlq import dlq
from cli.evaluate import evaluate
from cli.heartbeat import heartbeat
from cli.ingest import ingest
from cli.model import model
from cli.ping import ping
from cli.pipeline import pipeline
from cli.predict import predict
from cli.schedule import schedule
from cli.scrape import scrape
from cli.store import store
from cli.teams import teams
from cli.whoscored import whoscored

__all__ = ["main", "pass_settings"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="footcast")
def main() -> None:
    """footcast: football forecasts from data to HTTP, on an actor bus.

    Settings come from FOOTCAST_* environment variables (see the README).
    """


main.add_command(db)
main.add_command(demo)
main.add_command(dlq)
main.add_command(evaluate)
main.add_command(heartbeat)
main.add_command(ping)
main.add_command(predict)
main.add_command(teams)
main.add_command(scrape)
main.add_command(whoscored)
main.add_command(ingest)
main.add_command(store)
main.add_command(batches)
main.add_command(model)
main.add_command(pipeline)
main.add_command(backup)
main.add_command(schedule)
