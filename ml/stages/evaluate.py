"""Stage ``evaluate``: the walk-forward backtest, its metrics and plots, and the ensemble
weights it chose (which ``train`` uses).

Metrics (``metrics/backtest.json``) score both serving paths of the registered model: the
priced one (``scoring.model``, opening prices as inputs) and the unpriced one
(``scoring.unpriced``, stats only), beside the de-margined opening market (the priced path's
own input) and the de-margined closing market, all on the same test-season matches (those
with an opening and a closing price). Plots: a reliability diagram of the priced path
(observed frequency per forecast bin, each outcome) and RPS by season. The per-match
forecasts are kept: the promotion policy compares a challenger and the champion on the
matches both forecast.
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

    model: str = "stacked"  #: the priced path
    unpriced: str = "ensemble"  #: the stats-only path
    market: str = "market"
    opening_market: str = "market_open"
    reliability_bins: int = 10

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Scoring:
        return cls(**section(params, "scoring"))


@dataclass
class Evaluation:
    #: match_id, competition, season, outcome, p_* (priced), unpriced_*, market_*, market_open_*
    predictions: pd.DataFrame
    metrics: dict[str, Any]
    reliability: pd.DataFrame
    rps_by_season: pd.DataFrame
    #: ensemble weights per season and ``final``, and ``stacks``: each priced stack's final fit
    weights: dict[str, Any]


def evaluate(
    frame: pd.DataFrame,
    odds: pd.DataFrame,
    config: BacktestConfig,
    specs: ModelSpecs,
    scoring: Scoring,
) -> Evaluation:
    """Backtest on ``featurise``'s frame; score on test-season matches with market prices."""
    result = run_backtest(frame, odds, config, specs, frame=frame)
    pred = result.predictions
    model = scoring.model if f"{scoring.model}_home" in pred.columns else scoring.unpriced
    tested = pred[pred["season"].isin(config.test_seasons)]
    columns = {"p": model, "unpriced": scoring.unpriced, "market": scoring.market}
    if f"{scoring.opening_market}_home" in pred.columns:
        columns["market_open"] = scoring.opening_market
    priced = np.logical_and.reduce(
        [tested[f"{columns[k]}_home"].notna() for k in columns if k.startswith("market")]
    )
    tested = tested[priced].reset_index(drop=True)
    out = tested[["match_id", "competition", "season", "outcome"]].copy()
    for prefix, name in columns.items():
        for o in OUTCOMES:
            out[f"{prefix}_{o}"] = tested[f"{name}_{o}"].to_numpy(float)
    summary = {
        "model": model,
        "unpriced_model": scoring.unpriced,
        "n": len(out),
        "scores": scores(out),
        "baselines": {
            name: metrics.score(_probs(tested, name), tested["outcome"].to_numpy())
            for name in result.models
            if name not in (model, scoring.unpriced)
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
        {
            **result.ensemble_weights,
            "stacks": {name: fits["final"].as_dict() for name, fits in result.stacks.items()},
        },
    )


def _probs(frame: pd.DataFrame, prefix: str) -> np.ndarray:
    return frame[[f"{prefix}_{o}" for o in OUTCOMES]].to_numpy(float)


#: Who ``scores`` scores: the priced path (``model``), then whichever others ``rows`` has.
SCORED = {"model": "p", "unpriced": "unpriced", "market_open": "market_open", "market": "market"}


def scores(rows: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Every metric of the priced path (``p_*``), the unpriced path (``unpriced_*``), the
    opening market (``market_open_*``) and the closing market (``market_*``) on ``rows``;
    the unpriced path and the opening market only when ``rows`` has them."""
    outcome = rows["outcome"].to_numpy()
    return {
        who: metrics.score(_probs(rows, prefix), outcome)
        for who, prefix in SCORED.items()
        if f"{prefix}_home" in rows.columns
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
    """RPS per season of both paths and both markets."""
    records = []
    for season, group in rows.groupby("season", sort=True):
        scored = scores(group)
        records.append(
            {
                "season": str(season),
                **{who: round(s["rps"], 5) for who, s in scored.items()},
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
    print(f"backtest on {evaluation.metrics['n']} matches:")
    for who, s in scored.items():
        print(f"  {who:<12} RPS {s['rps']:.4f} log-loss {s['log_loss']:.4f} Brier {s['brier']:.4f}")


if __name__ == "__main__":
    main()
