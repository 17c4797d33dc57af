"""Stage ``train``: fit the served models on every snapshot match and bundle a ``Forecaster``.

The ensemble weight and the priced stacks are the ones the walk-forward backtest chose
(``evaluate``), so the served forecasts are the ones that were measured. The feature
settings travel with the model (``forecaster.feature_config``): serving must build features
exactly as training did.
"""

from __future__ import annotations

import json
import pickle
from typing import Any

import pandas as pd

from core.settings import Settings
from ml.backtest import BacktestConfig
from ml.features import FeatureConfig
from ml.forecaster import Forecaster
from ml.models.stack import Stack
from ml.params import load_params, section
from ml.stages.events import stage_events
from ml.stages.paths import Paths
from ml.stages.runtime import reproducible
from ml.training import ModelSpecs, train_forecaster


def train(
    frame: pd.DataFrame,
    specs: ModelSpecs,
    config: BacktestConfig,
    feature_config: FeatureConfig,
    weights: dict[str, Any],
) -> Forecaster:
    """A forecaster fitted on all of ``frame`` (``featurise``'s output), pooled with the
    weight and stacked on the market with the stacks the backtest chose (its ``final`` ones,
    chosen on every backtest season)."""
    dc_weight = weights.get("ensemble", {}).get("final", config.ensemble_weight)
    stacks = {name: Stack.from_dict(fit) for name, fit in weights.get("stacks", {}).items()}
    return train_forecaster(
        frame,
        specs,
        feature_config,
        dc_weight,
        stacks,
        burn_in_seasons=config.burn_in_seasons,
    )


def run(params: dict[str, Any], paths: Paths) -> Forecaster:
    with reproducible(int(section(params, "train").get("seed", 0))):
        forecaster = train(
            pd.read_parquet(paths.features),
            ModelSpecs.from_params(params),
            BacktestConfig.from_params(params),
            FeatureConfig.from_params(params),
            json.loads(paths.weights.read_text()),
        )
    paths.model.parent.mkdir(parents=True, exist_ok=True)
    paths.model.write_bytes(pickle.dumps(forecaster, protocol=5))
    return forecaster


def main() -> None:
    with stage_events("train", Settings.from_env()):
        forecaster = run(load_params(), Paths())
    print(f"forecaster: {len(forecaster.leagues)} competitions, dc weight {forecaster.dc_weight}")


if __name__ == "__main__":
    main()
