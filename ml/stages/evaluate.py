"""Stage ``evaluate``: the walk-forward backtest, its metrics and plots, and the ensemble
weights it chose (which ``train`` uses).

Metrics (``metrics/backtest.json``) score the registered model's backtest column
(``scoring.model``) and the de-margined closing market on the same test-season matches.
Plots: a reliability diagram (observed frequency per forecast bin, each outcome) and RPS by
season against the market. The per-match forecasts are kept: the promotion policy compares
a challenger and the champion on the matches both forecast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.settings import Settings
from ml import metrics
from ml.backtest import OUTCOMES, BacktestConfig, run_backtest
from ml.params import load_params, section
from ml.stages.events import stage_events
from ml.stages.paths import Paths, write_json
from ml.stages.runtime import reproducible
from ml.training import ModelSpecs


@dataclass(frozen=True)
class Scoring:
    """``params.yaml`` section ``scoring``."""

    model: str = "ensemble_odds"
    market: str = "market"
    reliability_bins: int = 10

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Scoring:
        return cls(**section(params, "scoring"))


@dataclass
class Evaluation:
    predictions: pd.DataFrame  #: match_id, competition, season, outcome, p_*, market_*
    metrics: dict[str, Any]
    reliability: pd.DataFrame
    rps_by_season: pd.DataFrame
    weights: dict[str, dict[str, float]]


def evaluate(
    frame: pd.DataFrame,
    odds: pd.DataFrame,
    config: BacktestConfig,
    specs: ModelSpecs,
    scoring: Scoring,
) -> Evaluation:
    """Backtest on ``featurise``'s frame; score on test-season matches with a market price."""
    result = run_backtest(frame, odds, config, specs, frame=frame)
    pred = result.predictions
    model = scoring.model if f"{scoring.model}_home" in pred.columns else "ensemble"
    tested = pred[pred["season"].isin(config.test_seasons)]
    tested = tested[tested[f"{scoring.market}_home"].notna()].reset_index(drop=True)
    out = tested[["match_id", "competition", "season", "outcome"]].copy()
    for o in OUTCOMES:
        out[f"p_{o}"] = tested[f"{model}_{o}"].to_numpy(float)
        out[f"market_{o}"] = tested[f"{scoring.market}_{o}"].to_numpy(float)
    summary = {
        "model": model,
        "n": len(out),
        "scores": scores(out),
        "baselines": {
            name: metrics.score(_probs(tested, name), tested["outcome"].to_numpy())
            for name in result.models
            if name != model
        },
        "by_season": {
            str(season): scores(rows) for season, rows in out.groupby("season", sort=True)
        },
    }
    return Evaluation(
        out,
        summary,
        reliability_table(out, scoring.reliability_bins),
        rps_table(out),
        result.ensemble_weights,
    )


def _probs(frame: pd.DataFrame, prefix: str) -> np.ndarray:
    return frame[[f"{prefix}_{o}" for o in OUTCOMES]].to_numpy(float)


def scores(rows: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Every metric of the model (``p_*``) and the market (``market_*``) on ``rows``."""
    outcome = rows["outcome"].to_numpy()
    return {
        "model": metrics.score(_probs(rows, "p"), outcome),
        "market": metrics.score(_probs(rows, "market"), outcome),
    }


def reliability_table(rows: pd.DataFrame, bins: int) -> pd.DataFrame:
    """Per forecast bin (midpoint): observed frequency of each outcome among forecasts in it."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    table = pd.DataFrame({"forecast": np.round((edges[:-1] + edges[1:]) / 2.0, 4)})
    outcome = rows["outcome"].to_numpy()
    for k, name in enumerate(OUTCOMES):
        p = rows[f"p_{name}"].to_numpy(float)
        idx = np.minimum((p * bins).astype(int), bins - 1)
        count = np.bincount(idx, minlength=bins)
        hits = np.bincount(idx, weights=(outcome == k).astype(float), minlength=bins)
        with np.errstate(invalid="ignore", divide="ignore"):
            table[f"observed_{name}"] = np.round(np.where(count > 0, hits / count, np.nan), 4)
    table["perfect"] = table["forecast"]
    return table


def rps_table(rows: pd.DataFrame) -> pd.DataFrame:
    """RPS of the model and of the market per season."""
    records = []
    for season, group in rows.groupby("season", sort=True):
        outcome = group["outcome"].to_numpy()
        records.append(
            {
                "season": str(season),
                "model": round(metrics.rps(_probs(group, "p"), outcome), 5),
                "market": round(metrics.rps(_probs(group, "market"), outcome), 5),
                "matches": len(group),
            }
        )
    return pd.DataFrame.from_records(records)


def run(params: dict[str, Any], paths: Paths) -> Evaluation:
    with reproducible(int(section(params, "train").get("seed", 0))):
        evaluation = evaluate(
            pd.read_parquet(paths.features),
            pd.read_parquet(paths.odds),
            BacktestConfig.from_params(params),
            ModelSpecs.from_params(params),
            Scoring.from_params(params),
        )
    paths.predictions.parent.mkdir(parents=True, exist_ok=True)
    evaluation.predictions.to_parquet(paths.predictions, index=False)
    write_json(paths.weights, evaluation.weights)
    write_json(paths.metrics, evaluation.metrics)
    paths.reliability.parent.mkdir(parents=True, exist_ok=True)
    evaluation.reliability.to_csv(paths.reliability, index=False)
    evaluation.rps_by_season.to_csv(paths.rps_by_season, index=False)
    return evaluation


def main() -> None:
    with stage_events("evaluate", Settings.from_env()):
        evaluation = run(load_params(), Paths())
    scored = evaluation.metrics["scores"]
    print(
        f"{evaluation.metrics['model']} on {evaluation.metrics['n']} matches:"
        f" RPS {scored['model']['rps']:.4f} (market {scored['market']['rps']:.4f}),"
        f" log-loss {scored['model']['log_loss']:.4f} (market {scored['market']['log_loss']:.4f})"
    )


if __name__ == "__main__":
    main()
