"""How good was a registered model on a season: its forecasts against the closing market.

Features are rebuilt match by match with the model's own feature settings (each match sees
only results of earlier days); the model itself is used as registered, or, when asked,
refitted first on the matches before the season with the same configuration. Opening prices
are given to the model where the store has them, as at serving time. Scores are on the
matches that have a closing price, for the model and the de-margined market alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ml import market, metrics
from ml.backtest import prepare_frame
from ml.errors import InsufficientData
from ml.forecaster import Forecaster
from ml.models.base import outcome_codes
from ml.training import ModelSpecs, train_forecaster

OUTCOMES = ("home", "draw", "away")


def refit(
    forecaster: Forecaster,
    matches: pd.DataFrame,
    odds: pd.DataFrame,
    params: dict[str, Any],
    before: pd.Timestamp,
) -> Forecaster:
    """The same configuration (features, ensemble weights, ``params``) fitted on ``matches``
    played before ``before``."""
    earlier = matches[matches["kickoff_date"] < before]
    frame = prepare_frame(
        earlier, odds[odds["match_id"].isin(earlier["match_id"])], forecaster.feature_config
    )
    burn_in = int(params.get("evaluate", {}).get("burn_in_seasons", 2))
    return train_forecaster(
        frame,
        ModelSpecs.from_params(params),
        forecaster.feature_config,
        forecaster.dc_weight,
        forecaster.dc_weight_odds,
        burn_in_seasons=burn_in,
    )


def evaluate_seasons(
    forecaster: Forecaster,
    matches: pd.DataFrame,
    odds: pd.DataFrame,
    seasons: Sequence[str],
) -> dict[str, Any]:
    """Score ``forecaster`` on ``seasons`` of ``matches`` (``load_matches`` rows of every
    earlier season too, which the features walk over) against the closing market."""
    frame = prepare_frame(matches, odds, forecaster.feature_config)
    target = frame[frame["season"].astype(str).isin(list(seasons))].reset_index(drop=True)
    if target.empty:
        raise InsufficientData(f"the store has no validated matches of seasons {list(seasons)}")
    opening = market.pick_prices(odds, market.OPENING_PREFERENCE)
    probs = np.empty((len(target), 3))
    for i, row in enumerate(target.to_dict("records")):
        prices = opening.loc[row["match_id"]] if row["match_id"] in opening.index else None
        forecast = forecaster.forecast(
            row,
            str(row["home_team"]),
            str(row["away_team"]),
            str(row["competition"]),
            None if prices is None else [prices["home"], prices["draw"], prices["away"]],
        )
        probs[i] = forecast["p_home"], forecast["p_draw"], forecast["p_away"]
    scores = score_against_market(target, odds, probs)
    first_day = pd.Timestamp(target["kickoff_date"].min()).date().toordinal()
    seen = any(
        fit.fitted_day > first_day
        for c, fit in forecaster.leagues.items()
        if c in set(target["competition"])
    )
    return {
        "seasons": sorted(set(target["season"].astype(str))),
        "competitions": sorted(set(target["competition"].astype(str))),
        **scores,
        "seen_in_training": bool(seen),
        "trained_through": _trained_through(forecaster),
    }


def score_against_market(
    target: pd.DataFrame, odds: pd.DataFrame, probs: np.ndarray
) -> dict[str, Any]:
    """Scores of ``probs`` (one home/draw/away row per ``target`` match) and of the
    de-margined closing market, on the matches that have a closing price."""
    priced = {}
    for name, method in (("market", "proportional"), ("market_shin", "shin")):
        closing = market.market_probabilities(odds, method)
        priced[name] = target[["match_id"]].join(closing, on="match_id")
    scored = priced["market"]["p_home"].notna().to_numpy()
    outcome = outcome_codes(target)[scored]
    model_scores = metrics.score(probs[scored], outcome)
    market_scores = {
        name: metrics.score(frame_[[f"p_{o}" for o in OUTCOMES]].to_numpy(float)[scored], outcome)
        for name, frame_ in priced.items()
    }
    return {
        "n": int(scored.sum()),
        "matches_without_market": int((~scored).sum()),
        "metrics": {
            name: {
                "model": model_scores[name],
                "market": market_scores["market"][name],
                "market_shin": market_scores["market_shin"][name],
            }
            for name in metrics.METRICS
        },
    }


def _trained_through(forecaster: Forecaster) -> str | None:
    days = [fit.fitted_day for fit in forecaster.leagues.values() if fit.fitted_day]
    return dt.date.fromordinal(max(days) - 1).isoformat() if days else None
