"""Fitting the served models on every match, as the backtest fits them on earlier ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ml import market
from ml.features import FEATURE_NAMES, FeatureConfig
from ml.forecaster import Forecaster
from ml.models.dixon_coles import DixonColes, DixonColesConfig
from ml.models.multinomial import Multinomial, MultinomialConfig
from ml.models.stack import Stack


@dataclass(frozen=True)
class ModelSpecs:
    """How to build each model (``params.yaml`` section ``train``)."""

    dixon_coles: DixonColesConfig = field(default_factory=DixonColesConfig)
    multinomial: MultinomialConfig = field(default_factory=MultinomialConfig)
    multinomial_odds: MultinomialConfig = field(
        default_factory=lambda: MultinomialConfig(features=FEATURE_NAMES + market.OPENING_FEATURES)
    )
    elo: MultinomialConfig = field(
        default_factory=lambda: MultinomialConfig(features=("elo_diff",), C=1.0)
    )

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ModelSpecs:
        odds = MultinomialConfig.from_params(params, "train", "multinomial_odds")
        if "features" not in params["train"]["multinomial_odds"]:
            odds = MultinomialConfig(
                **{**odds.__dict__, "features": FEATURE_NAMES + market.OPENING_FEATURES}
            )
        return cls(
            dixon_coles=DixonColesConfig.from_params(params),
            multinomial=MultinomialConfig.from_params(params, "train", "multinomial"),
            multinomial_odds=odds,
            elo=MultinomialConfig.from_params(params, "train", "elo"),
        )


def train_forecaster(
    frame: pd.DataFrame,
    specs: ModelSpecs,
    feature_config: FeatureConfig,
    dc_weight: float,
    stacks: Mapping[str, Stack] | None = None,
    version: str = "",
    burn_in_seasons: int = 2,
) -> Forecaster:
    """Fit Dixon-Coles and the stats-only feature model on ``frame``
    (``ml.backtest.prepare_frame`` output) and bundle them with the priced ``stacks`` (fitted
    by the backtest on its out-of-sample forecasts, ``ml.models.stack``)."""
    trainable = frame[frame["season_index"] >= burn_in_seasons]
    dixon_coles = DixonColes(specs.dixon_coles).fit(frame)
    stats = Multinomial(specs.multinomial).fit(trainable)
    return Forecaster(
        dixon_coles,
        stats,
        stacks,
        dc_weight=dc_weight,
        version=version,
        feature_config=feature_config,
    )
