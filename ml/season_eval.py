"""How good was a registered model on a season: both its paths against the market.

Features are rebuilt match by match with the model's own feature settings (each match sees
only results of earlier days); the model itself is used as registered, or, when asked,
refitted first on the matches before the season with the same configuration. Each match is
forecast twice: priced (given its opening 1X2 prices, as serving does with a fixture's
prices; ``model``) and unpriced (``unpriced``). Scores are on the matches that have an
opening and a closing price, for both paths, the de-margined opening market
(``market_open``, the priced path's input) and the closing market alike.
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
    """The same configuration (features, ensemble weight, priced stacks, ``params``) fitted
    on ``matches`` played before ``before``."""
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
        forecaster.stacks,
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
    paths = {"model": np.empty((len(target), 3)), "unpriced": np.empty((len(target), 3))}
    for i, row in enumerate(target.to_dict("records")):
        prices = opening.loc[row["match_id"]] if row["match_id"] in opening.index else None
        teams = str(row["home_team"]), str(row["away_team"]), str(row["competition"])
        for path, given in (("model", prices), ("unpriced", None)):
            forecast = forecaster.forecast(
                row, *teams, prices=None if given is None else given[list(OUTCOMES)].to_dict()
            )
            paths[path][i] = forecast["p_home"], forecast["p_draw"], forecast["p_away"]
    scores = score_against_market(target, odds, paths["model"], paths["unpriced"])
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
    target: pd.DataFrame,
    odds: pd.DataFrame,
    probs: np.ndarray,
    unpriced: np.ndarray | None = None,
) -> dict[str, Any]:
    """Scores of ``probs`` (``model``: one home/draw/away row per ``target`` match), of
    ``unpriced`` when given, and of the de-margined closing (``market``, ``market_shin``) and
    opening (``market_open``) markets, on the matches that have a closing and an opening
    price."""
    baselines = {}
    for name, method, preference in (
        ("market", "proportional", market.CLOSING_PREFERENCE),
        ("market_shin", "shin", market.CLOSING_PREFERENCE),
        ("market_open", "proportional", market.OPENING_PREFERENCE),
    ):
        found = market.market_probabilities(odds, method, preference)
        joined = target[["match_id"]].join(found, on="match_id")
        baselines[name] = joined[[f"p_{o}" for o in OUTCOMES]].to_numpy(float)
    scored = ~np.isnan(baselines["market"]).any(axis=1)
    scored &= ~np.isnan(baselines["market_open"]).any(axis=1)
    outcome = outcome_codes(target)[scored]
    paths = {"model": probs} if unpriced is None else {"model": probs, "unpriced": unpriced}
    scores = {
        name: metrics.score(forecasts[scored], outcome)
        for name, forecasts in {**paths, **baselines}.items()
    }
    return {
        "n": int(scored.sum()),
        "matches_without_market": int((~scored).sum()),
        "metrics": {
            name: {who: scored_[name] for who, scored_ in scores.items()}
            for name in metrics.METRICS
        },
    }


def _trained_through(forecaster: Forecaster) -> str | None:
    days = [fit.fitted_day for fit in forecaster.leagues.values() if fit.fitted_day]
    return dt.date.fromordinal(max(days) - 1).isoformat() if days else None
