"""Walk-forward evaluation: every forecast is made by models fitted only on earlier matches.

For each evaluated season, in date order, the models are refitted on all matches before a
window (Dixon-Coles every ``refit_days``, the feature models at their own cadence) and
forecast that window's matches. Features are read from the one ``FeatureState`` walk, so
they too know only earlier days. Every model, the de-margined closing market and the
de-margined opening market (the very prices the priced models read) are scored on the same
matches.

The priced forecast (``stacked_1x2`` from the 1X2 prices, ``stacked`` with the over/under
and handicap prices too) pools the opening market with the stats-only ensemble's members
(``ml.models.stack``); each season's pool is fitted on the backtest's forecasts of the
seasons before it.

Seasons listed as ``warmup_seasons`` are forecast the same way but only serve to choose the
ensemble weights and stacks of later seasons; they are not part of the reported scores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import psycopg
import structlog

from etl.store.reads import load_market_odds, load_matches, load_odds
from ml import market, metrics
from ml.errors import InsufficientData
from ml.features import FeatureConfig, build_features, day_numbers
from ml.market import EXTRA_FEATURES
from ml.models.base import FloatArray, OutcomeModel, outcome_codes
from ml.models.baselines import BaseRates, Uniform
from ml.models.dixon_coles import DixonColes
from ml.models.ensemble import choose_weight, pool
from ml.models.multinomial import Multinomial
from ml.models.stack import Stack, fit_stack
from ml.params import known_fields, section
from ml.training import ModelSpecs

log = structlog.get_logger(__name__)

OUTCOMES = ("home", "draw", "away")
#: Market baselines: de-margining method and price preference of each.
MARKETS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "market": ("proportional", market.CLOSING_PREFERENCE),
    "market_shin": ("shin", market.CLOSING_PREFERENCE),
    "market_open": ("proportional", market.OPENING_PREFERENCE),
}
#: Markets beside 1X2 whose opening prices give the stacks' extra inputs.
SIDE_MARKETS = ("ou2.5", "ah")
#: The stats models (the unpriced ensemble's two members) the priced stacks put on the
#: opening market.
STACK_INPUTS = ("dixon_coles", "multinomial")


@dataclass(frozen=True)
class BacktestConfig:
    """``params.yaml`` section ``evaluate``."""

    test_seasons: tuple[str, ...] = ("1920", "2021", "2122", "2223", "2324")
    warmup_seasons: tuple[str, ...] = ("1819",)
    competitions: tuple[str, ...] | None = None
    burn_in_seasons: int = 2  #: a league's first seasons only warm the ratings up
    ensemble_weight: float = 0.3  #: Dixon-Coles share before any season can choose it
    use_opening_odds: bool = True
    stack_penalty: float = 10.0  #: pseudo-matches pulling each stack parameter to the market
    stack_extras: bool = False  #: also fit ``stacked`` on over/under and handicap prices

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> BacktestConfig:
        values = known_fields(cls, section(params, "evaluate"), "evaluate")
        for key in ("test_seasons", "warmup_seasons", "competitions"):
            if values.get(key) is not None:
                values[key] = tuple(str(v) for v in values[key])
        return cls(**values)


@dataclass
class BacktestResult:
    """Forecasts of every evaluated match, one ``<model>_<outcome>`` column per model."""

    predictions: pd.DataFrame
    models: list[str]
    ensemble_weights: dict[str, dict[str, float]]
    config: BacktestConfig
    #: per priced stack: its fitted parameters per season and ``final`` (on every season)
    stacks: dict[str, dict[str, Stack]] = dataclasses.field(default_factory=dict)

    def probs(self, model: str, rows: pd.Series | None = None) -> FloatArray:
        frame = self.predictions if rows is None else self.predictions[rows]
        return frame[[f"{model}_{o}" for o in OUTCOMES]].to_numpy(dtype=float)


def prepare_frame(
    matches: pd.DataFrame,
    odds: pd.DataFrame | None = None,
    feature_config: FeatureConfig | None = None,
) -> pd.DataFrame:
    """Matches joined with their features, opening-price features and over/under and
    handicap signals (NaN where there are none), the outcome code, the kickoff day number
    and a ``burn_in`` season index."""
    features = build_features(matches, feature_config)
    frame = pd.concat(
        [matches.reset_index(drop=True), features.drop(columns="match_id").reset_index(drop=True)],
        axis=1,
    )
    if odds is not None and len(odds):
        frame = frame.join(market.opening_features(odds), on="match_id")
        frame = frame.join(market.opening_extras(odds), on="match_id")
    else:
        frame = frame.assign(**{name: np.nan for name in market.OPENING_FEATURES})
    for name in EXTRA_FEATURES:
        if name not in frame.columns:
            frame[name] = np.nan
    frame["outcome"] = outcome_codes(frame)
    frame["day"] = day_numbers(frame["kickoff_date"])
    season_rank = frame.groupby("competition")["season"].rank(method="dense").astype(int)
    frame["season_index"] = season_rank - 1
    return frame.sort_values(["day", "match_id"], kind="stable").reset_index(drop=True)


def run_backtest(
    matches: pd.DataFrame,
    odds: pd.DataFrame | None,
    config: BacktestConfig | None = None,
    specs: ModelSpecs | None = None,
    feature_config: FeatureConfig | None = None,
    frame: pd.DataFrame | None = None,
) -> BacktestResult:
    """Walk forward over ``config.warmup_seasons + config.test_seasons``.

    ``frame`` (from ``prepare_frame``) may be passed to reuse computed features.
    """
    config = config or BacktestConfig()
    specs = specs or ModelSpecs()
    if frame is None:
        frame = prepare_frame(matches, odds, feature_config)
    missing = {name: np.nan for name in EXTRA_FEATURES if name not in frame.columns}
    frame = frame.assign(**missing)  # a frame prepared without over/under and handicap prices
    if config.competitions is not None:
        frame = frame[frame["competition"].isin(config.competitions)].reset_index(drop=True)
    trainable = frame[frame["season_index"] >= config.burn_in_seasons]
    seasons = list(config.warmup_seasons) + list(config.test_seasons)
    has_odds = config.use_opening_odds and frame["open_p_home"].notna().any()

    factories: dict[str, tuple[Callable[[], OutcomeModel], int]] = {
        "uniform": (Uniform, 100_000),
        "base_rates": (BaseRates, specs.multinomial.refit_days),
        "elo": (lambda: Multinomial(specs.elo, "elo"), specs.elo.refit_days),
        "dixon_coles": (lambda: DixonColes(specs.dixon_coles), specs.dixon_coles.refit_days),
        "multinomial": (lambda: Multinomial(specs.multinomial), specs.multinomial.refit_days),
    }
    if has_odds:
        factories["multinomial_odds"] = (
            lambda: Multinomial(specs.multinomial_odds, "multinomial_odds"),
            specs.multinomial_odds.refit_days,
        )
    step_days = min(cadence for _, cadence in factories.values())
    results = frame[[*DixonColes.COLUMNS, "day"]]

    pieces = []
    for season in seasons:
        test = frame[frame["season"] == season]
        if test.empty:
            continue
        fitted: dict[str, tuple[OutcomeModel, int]] = {}
        out = test[
            ["match_id", "competition", "season", "kickoff_date", "outcome", *EXTRA_FEATURES]
        ].copy()
        days = test["day"].to_numpy()
        window_start = int(days.min())
        while window_start <= days.max():
            in_window = (days >= window_start) & (days < window_start + step_days)
            if in_window.any():
                rows = test[in_window]
                train = trainable[trainable["day"] < window_start]
                for name, (factory, cadence) in factories.items():
                    last = fitted.get(name)
                    if last is None or window_start - last[1] >= cadence:
                        fit_on = train
                        if name == "multinomial_odds":
                            fit_on = train.dropna(subset=list(market.OPENING_FEATURES))
                        if name == "dixon_coles":
                            # every earlier match of the window's leagues, burn-in included
                            fit_on = results[
                                (results["day"] < window_start)
                                & results["competition"].isin(rows["competition"].unique())
                            ]
                        fitted[name] = (factory().fit(fit_on), window_start)
                    model = fitted[name][0]
                    probs = _predict(name, model, rows, fitted)
                    out.loc[rows.index, [f"{name}_{o}" for o in OUTCOMES]] = probs
            window_start += step_days
        pieces.append(out)
        log.info("backtest season done", season=season, matches=len(out))
    predictions = pd.concat(pieces)
    models = list(factories)

    weights: dict[str, dict[str, float]] = {}
    for stats_model, ens_name in (
        ("multinomial", "ensemble"),
        ("multinomial_odds", "ensemble_odds"),
    ):
        if stats_model not in factories:
            continue
        weights[ens_name] = _add_ensemble(predictions, seasons, stats_model, ens_name, config)
        models.append(ens_name)

    stacks: dict[str, dict[str, Stack]] = {}
    if odds is not None and len(odds):
        for name, (method, preference) in MARKETS.items():
            probs = market.market_probabilities(odds, method, preference)
            joined = predictions[["match_id"]].join(probs, on="match_id")
            for o in OUTCOMES:
                predictions[f"{name}_{o}"] = joined[f"p_{o}"].to_numpy()
        if has_odds:
            variants: dict[str, tuple[str, ...]] = {"stacked_1x2": ()}
            if config.stack_extras and predictions[list(EXTRA_FEATURES)].notna().any(axis=None):
                variants["stacked"] = EXTRA_FEATURES
            for name, extras in variants.items():
                stacks[name] = _add_stack(predictions, seasons, name, extras, config.stack_penalty)
                models.append(name)
    result = BacktestResult(predictions.reset_index(drop=True), models, weights, config, stacks)
    return result


def _predict(
    name: str, model: OutcomeModel, rows: pd.DataFrame, fitted: dict[str, tuple[OutcomeModel, int]]
) -> FloatArray:
    """The model's forecasts; the odds model falls back to the stats-only one without odds."""
    if name != "multinomial_odds":
        return model.predict_proba(rows)
    probs = fitted["multinomial"][0].predict_proba(rows)
    with_odds = rows[list(market.OPENING_FEATURES)].notna().all(axis=1).to_numpy()
    if with_odds.any():
        probs[with_odds] = model.predict_proba(rows[with_odds])
    return probs


def _add_ensemble(
    predictions: pd.DataFrame,
    seasons: Sequence[str],
    stats_model: str,
    name: str,
    config: BacktestConfig,
) -> dict[str, float]:
    """Pool Dixon-Coles with ``stats_model``; each season's weight is chosen on the seasons
    forecast before it (expanding), the ``final`` one on all of them."""
    chosen: dict[str, float] = {}
    dc = predictions[[f"dixon_coles_{o}" for o in OUTCOMES]].to_numpy(dtype=float)
    other = predictions[[f"{stats_model}_{o}" for o in OUTCOMES]].to_numpy(dtype=float)
    outcome = predictions["outcome"].to_numpy()
    season = predictions["season"].to_numpy()
    pooled = np.empty_like(dc)
    for i, s in enumerate(seasons):
        earlier = np.isin(season, seasons[:i])
        weight = (
            choose_weight(dc[earlier], other[earlier], outcome[earlier])
            if earlier.any()
            else config.ensemble_weight
        )
        chosen[s] = weight
        now = season == s
        pooled[now] = pool(dc[now], other[now], weight)
    chosen["final"] = choose_weight(dc, other, outcome)
    for k, o in enumerate(OUTCOMES):
        predictions[f"{name}_{o}"] = pooled[:, k]
    return chosen


def _add_stack(
    predictions: pd.DataFrame,
    seasons: Sequence[str],
    name: str,
    extras: tuple[str, ...],
    penalty: float,
) -> dict[str, Stack]:
    """Put the stats models on the opening market; each season's stack is fitted on the
    seasons forecast before it, the ``final`` one on all of them. Matches without opening
    prices (or without the extras the stack reads) get the unpriced ensemble."""
    market_probs = predictions[[f"market_open_{o}" for o in OUTCOMES]].to_numpy(dtype=float)
    stats = [
        predictions[[f"{name}_{o}" for o in OUTCOMES]].to_numpy(dtype=float)
        for name in STACK_INPUTS
    ]
    x = predictions[list(extras)].to_numpy(dtype=float)
    priced = ~np.isnan(market_probs).any(axis=1) & ~np.isnan(x).any(axis=1)
    outcome = predictions["outcome"].to_numpy()
    season = predictions["season"].to_numpy()
    out = predictions[[f"ensemble_{o}" for o in OUTCOMES]].to_numpy(dtype=float)
    chosen: dict[str, Stack] = {}

    def fit(rows: npt.NDArray[np.bool_]) -> Stack:
        inputs = [probs[rows] for probs in stats]
        return fit_stack(
            market_probs[rows], inputs, outcome[rows], x[rows], STACK_INPUTS, extras, penalty
        )

    for i, s in enumerate(seasons):
        stack = chosen[s] = fit(np.isin(season, seasons[:i]) & priced)
        now = (season == s) & priced
        out[now] = stack.proba(market_probs[now], [probs[now] for probs in stats], x[now])
    chosen["final"] = fit(priced)
    for k, o in enumerate(OUTCOMES):
        predictions[f"{name}_{o}"] = out[:, k]
    return chosen


def summarise(result: BacktestResult, with_market_only: bool = True) -> pd.DataFrame:
    """Metrics of every model and the markets per (competition, season), per competition,
    per season and overall ('ALL'), on the test seasons' matches that have both a closing
    and an opening price (so the opening market is scored on the same matches)."""
    pred = result.predictions[result.predictions["season"].isin(result.config.test_seasons)]
    names = list(result.models)
    if "market_home" in pred.columns:
        names += list(MARKETS)
        if with_market_only:
            pred = pred[pred["market_home"].notna() & pred["market_open_home"].notna()]
    groups: list[tuple[str, str, pd.DataFrame]] = [("ALL", "ALL", pred)]
    groups += [("ALL", str(s), g) for s, g in pred.groupby("season", sort=True)]
    groups += [(str(c), "ALL", g) for c, g in pred.groupby("competition", sort=True)]
    groups += [
        (str(c), str(s), g) for (c, s), g in pred.groupby(["competition", "season"], sort=True)
    ]
    records = []
    for comp, season, rows in groups:
        outcome = rows["outcome"].to_numpy()
        for name in names:
            probs = rows[[f"{name}_{o}" for o in OUTCOMES]].to_numpy(dtype=float)
            records.append(
                {
                    "model": name,
                    "competition": comp,
                    "season": season,
                    **metrics.score(probs, outcome),
                }
            )
    return pd.DataFrame.from_records(records)


def run_on_store(
    conn: psycopg.Connection,
    params: dict[str, Any],
    competitions: Sequence[str] | None = None,
    test_seasons: Sequence[str] | None = None,
    warmup_seasons: Sequence[str] | None = None,
) -> BacktestResult:
    """The walk-forward backtest of ``params.yaml`` over the store's validated matches.

    ``competitions``, ``test_seasons`` and ``warmup_seasons`` override the params. Features
    are built from every loaded match of the competitions, including seasons before the
    evaluated ones, which is what the models learn from.
    """
    config = BacktestConfig.from_params(params)
    overrides: dict[str, Any] = {}
    if competitions:
        overrides["competitions"] = tuple(competitions)
    if test_seasons:
        overrides["test_seasons"] = tuple(test_seasons)
    if warmup_seasons is not None:
        overrides["warmup_seasons"] = tuple(warmup_seasons)
    config = dataclasses.replace(config, **overrides)
    matches = load_matches(conn, competitions=config.competitions)
    if matches.empty:
        raise InsufficientData("the store has no validated finished matches to evaluate")
    ids = matches["match_id"].tolist()
    odds = pd.concat(
        [load_odds(conn, ids).assign(market="1x2")]
        + [load_market_odds(conn, ids, side).assign(market=side) for side in SIDE_MARKETS],
        ignore_index=True,
    )
    return run_backtest(
        matches,
        odds,
        config,
        ModelSpecs.from_params(params),
        FeatureConfig.from_params(params),
    )


def report(result: BacktestResult, summary: pd.DataFrame | None = None) -> dict[str, Any]:
    """The backtest as one JSON-able object: overall scores of every model and the markets,
    each model's gap to the closing and to the opening market, per league and season rows,
    the ensemble weights and the priced stacks each season used."""
    summary = summarise(result) if summary is None else summary
    overall = summary[(summary["competition"] == "ALL") & (summary["season"] == "ALL")]
    scores = {
        str(row["model"]): {k: _number(row[k]) for k in (*metrics.METRICS, "n")}
        for _, row in overall.iterrows()
    }
    rows = summary[(summary["competition"] != "ALL") | (summary["season"] != "ALL")]
    return {
        "mode": "backtest",
        "test_seasons": list(result.config.test_seasons),
        "warmup_seasons": list(result.config.warmup_seasons),
        "competitions": sorted(result.predictions["competition"].unique().tolist()),
        "n": int(overall["n"].max()) if len(overall) else 0,
        "scores": scores,
        "vs_market": _gaps(scores, result.models, "market"),
        "vs_opening_market": _gaps(scores, result.models, "market_open"),
        "ensemble_weights": result.ensemble_weights,
        "stacks": {
            name: {season: stack.as_dict() for season, stack in by_season.items()}
            for name, by_season in result.stacks.items()
        },
        "breakdown": [
            {k: _number(v) if isinstance(v, float) else v for k, v in r.items()}
            for r in rows.to_dict("records")
        ],
    }


def _gaps(
    scores: dict[str, dict[str, float]], models: Sequence[str], baseline: str
) -> dict[str, dict[str, float]]:
    """Each model's RPS gap (percent) and log-loss difference to ``baseline``."""
    base = scores.get(baseline)
    if not base or not base["n"]:
        return {}
    return {
        name: {
            "rps_pct": round(100.0 * (scores[name]["rps"] / base["rps"] - 1.0), 2),
            "log_loss_diff": round(scores[name]["log_loss"] - base["log_loss"], 4),
        }
        for name in models
    }


def _number(value: Any) -> float:
    return round(float(value), 5)
