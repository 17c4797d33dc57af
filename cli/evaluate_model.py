"""``footcast evaluate --model ALIAS|VERSION``: a registered model on any season in the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pandas as pd

from core.db import connect
from core.settings import Settings
from etl.store.reads import load_matches, load_odds
from ml.errors import MlError
from ml.params import load_params


def evaluate_registered(
    settings: Settings,
    model: str,
    leagues: tuple[str, ...],
    seasons: tuple[str, ...],
    refit: bool,
    params_path: Path,
) -> dict[str, Any]:
    """Model and market scores of ``model`` on ``seasons`` (every league when none given)."""
    from ml import registry, season_eval

    if not seasons:
        raise click.UsageError("--model needs at least one --season")
    version, forecaster = registry.load_model(settings, model)
    with connect(settings) as conn:
        matches = load_matches(conn, competitions=leagues or None)
        odds = load_odds(conn, matches["match_id"].tolist())
    if refit:
        season_rows = matches[matches["season"].isin(seasons)]
        if season_rows.empty:
            raise click.ClickException(
                f"the store has no validated matches of seasons {list(seasons)}"
            )
        start = pd.Timestamp(season_rows["kickoff_date"].min())
        forecaster = season_eval.refit(forecaster, matches, odds, load_params(params_path), start)
    result = season_eval.evaluate_seasons(forecaster, matches, odds, seasons)
    return {
        "model": {"name": registry.MODEL_NAME, "version": version, "asked": model, "refit": refit},
        **result,
    }


def print_evaluation(
    settings: Settings,
    model: str,
    leagues: tuple[str, ...],
    seasons: tuple[str, ...],
    refit: bool,
    params_path: Path,
    as_json: bool,
) -> None:
    try:
        result = evaluate_registered(settings, model, leagues, seasons, refit, params_path)
    except MlError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    info = result["model"]
    where = f"{', '.join(result['competitions'])} {', '.join(result['seasons'])}"
    click.echo(
        f"{info['name']} version {info['version']}{' (refitted)' if refit else ''} on"
        f" {where}: {result['n']} matches"
    )
    if result["seen_in_training"]:
        click.echo(f"note: the model was trained on matches through {result['trained_through']}")
    table = pd.DataFrame(result["metrics"]).T
    click.echo(table.to_string(float_format=lambda v: f"{v:.4f}"))
