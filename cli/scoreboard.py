"""``footcast scoreboard``: how the served forecasts did against the market."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click

from cli.context import pass_settings
from core.db import connect
from core.settings import Settings
from etl.scoreboard import scoreboard as build_scoreboard
from etl.store.scoreboard import served_results

_METRICS = ("rps", "log_loss", "brier")


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _lines(label: str, block: dict[str, Any]) -> list[str]:
    clv = block["clv"]
    share = "-" if clv["share"] is None else f"{clv['share']:.0%}"
    cells = [
        f"{source}:" + "/".join(_number(block[source][m]) for m in _METRICS)
        for source in ("model", "closing", "opening")
    ]
    return [
        f"{label:<12} {block['matches']:>6}  "
        + "  ".join(cells)
        + f"  clv {share} of {clv['matches']}"
    ]


def render(board: dict[str, Any]) -> str:
    """The scoreboard as a terminal table (rps/log-loss/brier per source)."""
    lines = [
        f"served forecasts scored (competition {board['competition'] or 'all'},"
        f" since {board['since'] or 'the start'}); columns rps/log_loss/brier",
        f"{'':<12} {'matches':>6}",
        *_lines("overall", board["overall"]),
    ]
    for key, rows in (
        ("competition", board["by_competition"]),
        ("month", board["by_month"]),
        ("model_version", board["by_model"]),
    ):
        for row in rows:
            lines.extend(_lines(f"{key[:5]} {row[key]}", row))
    return "\n".join(lines)


@click.command()
@click.option("--competition", default=None, help="Competition code, e.g. E0.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Only matches kicking off on or after this date (YYYY-MM-DD).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON GET /v1/scoreboard gives.")
@pass_settings
def scoreboard(
    settings: Settings, competition: str | None, since: dt.datetime | None, as_json: bool
) -> None:
    """Served forecasts of finished matches scored beside the closing and opening market."""
    day = since.date() if since is not None else None
    with connect(settings) as conn:
        rows = served_results(conn, competition=competition, since=day)
    board = build_scoreboard(rows, competition, day)
    click.echo(json.dumps(board, indent=2) if as_json else render(board))
