"""``footcast evaluate``: how good the models are, measured against the betting market:
its de-margined opening prices (what the priced models read) and its closing prices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.context import pass_settings
from cli.evaluate_model import print_evaluation
from core.db import connect
from core.settings import Settings
from ml.errors import MlError
from ml.params import PARAMS_PATH, load_params

if TYPE_CHECKING:
    import pandas as pd

#: Scores shown in the table, in order.
COLUMNS = ("rps", "log_loss", "brier", "accuracy", "ece", "n")


@click.command()
@click.option(
    "--league", "leagues", multiple=True, help="Competition code (E0, SP1, ...); repeatable."
)
@click.option("--season", "seasons", multiple=True, help="Season to evaluate (2324); repeatable.")
@click.option(
    "--warmup-season",
    "warmup",
    multiple=True,
    help="Season forecast only to choose ensemble weights; repeatable (default: params.yaml).",
)
@click.option(
    "--params",
    "params_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=PARAMS_PATH,
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--model",
    default=None,
    help="A registered model (champion, challenger or a version): score it on --season.",
)
@click.option("--refit", is_flag=True, help="With --model: refit it on earlier matches first.")
@pass_settings
def evaluate(
    settings: Settings,
    leagues: tuple[str, ...],
    seasons: tuple[str, ...],
    warmup: tuple[str, ...],
    params_path: Path,
    as_json: bool,
    model: str | None,
    refit: bool,
) -> None:
    """Walk-forward backtest on the store: every model against the opening and the closing
    market.

    For each evaluated season the models are refitted on earlier matches only (cadence in
    params.yaml) and forecast the next ones; scores are on the same matches as the
    de-margined opening market's (market_open: the prices the priced models read) and
    closing market's (market). Priced models: stacked_1x2, stacked, ensemble_odds,
    multinomial_odds; the others are stats only. With --model, a registered model is scored
    instead.
    """
    if model is not None:
        print_evaluation(settings, model, leagues, seasons, refit, params_path, as_json)
        return
    from ml.backtest import report, run_on_store, summarise  # statsmodels: seconds to import

    params = load_params(params_path)
    try:
        from ml.backtest import report, run_on_store, summarise  # seconds to import

        with connect(settings) as conn:
            result = run_on_store(conn, params, leagues or None, seasons or None, warmup or None)
    except MlError as exc:
        raise click.ClickException(str(exc)) from exc
    summary = summarise(result)
    if as_json:
        click.echo(json.dumps(report(result, summary), indent=2))
        return
    overall = summary[(summary["competition"] == "ALL") & (summary["season"] == "ALL")]
    click.echo(f"walk-forward backtest, seasons {', '.join(result.config.test_seasons)}")
    click.echo(_table(overall.set_index("model")[list(COLUMNS)]))
    detail = summary[(summary["model"].isin(["market", "market_open", _best(overall)]))]
    detail = detail[(detail["competition"] != "ALL") | (detail["season"] != "ALL")]
    click.echo(f"\nby league and season: {_best(overall)} against the markets")
    pivot = detail.pivot_table(index=["competition", "season"], columns="model", values="rps")
    click.echo(_table(pivot))


def _best(overall: pd.DataFrame) -> str:
    models = overall[~overall["model"].str.startswith("market")]
    return str(models.sort_values("rps")["model"].iloc[0])


def _table(frame: pd.DataFrame) -> str:
    return frame.to_string(float_format=lambda v: f"{v:.4f}")
