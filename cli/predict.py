"""``footcast predict``: one fixture's forecast in a terminal, through the bus or inline."""

from __future__ import annotations

import json
import time
from typing import Any

import click

from actors import contracts
from actors.bus import Bus, BusError
from cli.context import pass_settings
from core.fixtures import InvalidFixture, normalise_fixture
from core.settings import Settings


def _inline(settings: Settings, fixture: dict[str, Any]) -> dict[str, Any]:
    """Load the champion and the features here, without a worker (seconds)."""
    from etl.errors import EtlError
    from ml.errors import MlError
    from ml.serving_state import StateKeeper

    try:
        return {**StateKeeper.load(settings).forecast(fixture), "cached": False}
    except (EtlError, MlError) as exc:
        raise click.ClickException(str(exc)) from exc


def _through_bus(settings: Settings, fixture: dict[str, Any], timeout_ms: int) -> dict[str, Any]:
    bus = Bus.from_settings(settings)
    try:
        result = bus.wait(bus.send(contracts.predict([fixture], time.time())), timeout_ms)
    except BusError as exc:
        raise click.ClickException(f"{exc} (is a worker running? try `make run`)") from exc
    finally:
        bus.close()
    item: dict[str, Any] = result["predictions"][0]
    if "error" in item:
        error = item["error"]
        hint = (
            f" (did you mean {', '.join(error['candidates'])}?)" if error.get("candidates") else ""
        )
        raise click.ClickException(error["message"] + hint)
    return item


@click.command()
@click.argument("home_team")
@click.argument("away_team")
@click.option("--competition", required=True, help="Competition code, e.g. E0.")
@click.option("--kickoff", default=None, help="Kickoff date (YYYY-MM-DD); default today (UTC).")
@click.option(
    "--prices",
    type=float,
    nargs=3,
    default=None,
    metavar="HOME DRAW AWAY",
    help="Decimal 1X2 prices to read instead of the store's latest pre-kickoff ones.",
)
@click.option("--inline", is_flag=True, help="Forecast in this process instead of on a worker.")
@click.option("--timeout-ms", type=int, default=30_000, show_default=True)
@pass_settings
def predict(
    settings: Settings,
    home_team: str,
    away_team: str,
    competition: str,
    kickoff: str | None,
    prices: tuple[float, float, float] | None,
    inline: bool,
    timeout_ms: int,
) -> None:
    """Forecast HOME_TEAM against AWAY_TEAM: the answer POST /v1/predict gives."""
    raw: dict[str, Any] = {"home_team": home_team, "away_team": away_team}
    raw["competition"] = competition
    if kickoff:
        raw["kickoff"] = kickoff
    if prices:
        raw["prices"] = dict(zip(("home", "draw", "away"), prices, strict=True))
    try:
        fixture = normalise_fixture(raw)
    except InvalidFixture as exc:
        raise click.BadParameter(str(exc), param_hint=exc.field) from exc
    answer = _inline(settings, fixture) if inline else _through_bus(settings, fixture, timeout_ms)
    click.echo(json.dumps(answer, indent=2))
