"""The serving object: fitted models bundled so one fixture is forecast in microseconds.

A ``Forecaster`` takes a fixture's features (``FeatureState.fixture_features``), its teams and
competition, and optionally its pre-kickoff prices. Without prices (the unpriced path) the 1X2
probabilities are the pool of Dixon-Coles and the stats-only feature model. With 1X2 prices
(the priced path) that pool is stacked on the de-margined market (``ml.models.stack``), with
the over/under 2.5 and Asian-handicap prices as further inputs when they are given and the
model has a stack fitted on them; with 1X2 prices alone a stack fitted on 1X2 prices alone is
used, never a stack with made-up inputs. Expected goals, over/under 2.5, both-teams-to-score
and the likeliest scores come from the Dixon-Coles score matrix conformed to the path's 1X2
(``ml.score_grid``), so every number of one forecast agrees. Everything that does not depend
on the fixture is precomputed, and the whole object pickles.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ml import market, score_grid
from ml.errors import NotFitted
from ml.features import FeatureConfig, FeatureState
from ml.models.base import FloatArray
from ml.models.dixon_coles import MAX_GOALS, DixonColes, LeagueFit
from ml.models.multinomial import Multinomial
from ml.models.stack import Stack

#: Keys of a fixture's prices: 1X2 (required for the priced path), then the optional
#: over/under 2.5 and Asian handicap (line of the home side, home and away prices).
PRICE_KEYS = ("home", "draw", "away", "over", "under", "ah_line", "ah_home", "ah_away")
#: The stack that reads the over/under and handicap prices, and the 1X2-only one.
STACK_WITH_EXTRAS, STACK_1X2 = "stacked", "stacked_1x2"

_K = np.arange(MAX_GOALS + 1)
_LOG_FACTORIAL = np.array([math.lgamma(k + 1.0) for k in _K])
_H, _A = np.indices((MAX_GOALS + 1, MAX_GOALS + 1))
_HOME_WIN = _H > _A
_DRAW = _H == _A


@dataclass(frozen=True)
class _Linear:
    """A multinomial model reduced to arrays: features, centre, scale, weights, bias."""

    features: tuple[str, ...]
    mean: FloatArray
    scale: FloatArray
    coef: FloatArray
    intercept: FloatArray

    @classmethod
    def of(cls, model: Multinomial) -> _Linear:
        if model.coef is None or model.mean is None or model.scale is None:
            raise NotFitted(f"{model.name} is not fitted")
        assert model.intercept is not None
        t = model.temperature
        return cls(
            features=tuple(model.config.features),
            mean=model.mean,
            scale=model.scale,
            coef=(model.coef / model.scale).T / t,
            intercept=(model.intercept - (model.mean / model.scale) @ model.coef.T) / t,
        )

    def proba(self, values: Mapping[str, float]) -> FloatArray:
        x = np.array([values[f] for f in self.features])
        z = x @ self.coef + self.intercept
        z = np.exp(z - z.max())
        return np.asarray(z / z.sum())


class Forecaster:
    """Dixon-Coles plus the stats feature model, pooled with weight ``dc_weight`` on
    Dixon-Coles, and the ``stacks`` that put that pool on the market's prices."""

    #: Priced stacks by name (``STACK_WITH_EXTRAS``, ``STACK_1X2``); none: unpriced only.
    stacks: Mapping[str, Stack] = {}

    def __init__(
        self,
        dixon_coles: DixonColes,
        stats_model: Multinomial,
        stacks: Mapping[str, Stack] | None = None,
        dc_weight: float = 0.2,
        version: str = "",
        top_scores: int = 5,
        feature_config: FeatureConfig | None = None,
    ) -> None:
        #: The feature settings the models were trained with; serving builds its
        #: ``FeatureState`` with them.
        self.feature_config = feature_config or FeatureConfig()
        self.leagues: dict[str, LeagueFit] = dict(dixon_coles.leagues)
        self.stats = _Linear.of(stats_model)
        self.stacks = dict(stacks or {})
        self.dc_weight = dc_weight
        self.version = version
        self.top_scores = top_scores

    @property
    def features(self) -> tuple[str, ...]:
        """Feature names the forecaster reads from the feature state."""
        return self.stats.features

    def _score_matrix(
        self, features: Mapping[str, float], home_team: str, away_team: str, competition: str
    ) -> tuple[FloatArray, float, float, bool]:
        fit = self.leagues.get(competition)
        if fit is not None:
            lam, mu = fit.expected_goals(home_team, away_team)
            rho = fit.rho
        else:  # a league Dixon-Coles never saw: the state's online Poisson rates
            lam, mu, rho = features["pois_xg_home"], features["pois_xg_away"], 0.0
        ph = np.exp(_K * math.log(lam) - lam - _LOG_FACTORIAL)
        pa = np.exp(_K * math.log(mu) - mu - _LOG_FACTORIAL)
        m = np.outer(ph, pa)
        m[0, 0] *= 1.0 - lam * mu * rho
        m[0, 1] *= 1.0 + lam * rho
        m[1, 0] *= 1.0 + mu * rho
        m[1, 1] *= 1.0 - rho
        m /= m.sum()
        return m, lam, mu, fit is not None

    def forecast(
        self,
        features: Mapping[str, float],
        home_team: str,
        away_team: str,
        competition: str,
        opening_odds: Sequence[float] | Mapping[str, float] | None = None,
        *,
        prices: Mapping[str, float] | None = None,
    ) -> dict[str, Any]:
        """The forecast of one fixture.

        ``prices`` (or ``opening_odds``, the older name, which may also be a decimal
        (home, draw, away) triple) are the fixture's decimal pre-kickoff prices:
        ``PRICE_KEYS``, of which home, draw and away make the forecast priced and the
        over/under and handicap ones are used when all five are given. Without 1X2 prices
        (or without a stack) the forecast is the unpriced one. ``variant`` names the path:
        ``stats``, ``priced_1x2`` or ``priced``.
        """
        matrix, _, _, dc_known = self._score_matrix(features, home_team, away_team, competition)
        learned = self.stats.proba(features)
        dc = np.array([matrix[_HOME_WIN].sum(), matrix[_DRAW].sum(), 0.0])
        dc[2] = 1.0 - dc[0] - dc[1]
        w = self.dc_weight
        probs = w * dc + (1.0 - w) * learned if dc_known else learned
        members = {"dixon_coles": dc if dc_known else learned, "multinomial": learned}
        probs, variant = self._priced(probs, members, _price_inputs(opening_odds, prices))
        return {
            "p_home": float(probs[0]),
            "p_draw": float(probs[1]),
            "p_away": float(probs[2]),
            **score_grid.summary(score_grid.conform(matrix, probs), self.top_scores),
            "variant": variant,
            "model_version": self.version,
        }

    def _priced(
        self,
        unpriced: FloatArray,
        members: Mapping[str, FloatArray],
        prices: Mapping[str, float] | None,
    ) -> tuple[FloatArray, str]:
        """The stats members stacked on the market (or the unpriced pool without prices),
        and the path's name."""
        if prices is None:
            return unpriced, "stats"
        market_probs = market.demargin_proportional([[prices[k] for k in _1X2]])
        extras = market.extra_values(prices)
        stack = self.stacks.get(STACK_WITH_EXTRAS)
        variant = "priced"
        if extras is None or stack is None:
            stack = self.stacks.get(STACK_1X2)
            variant = "priced_1x2"
        if stack is None:
            return unpriced, "stats"
        inputs = [members[name] for name in stack.inputs]
        x = [[extras[name] for name in stack.extras]] if stack.extras and extras else None
        return stack.proba(market_probs, inputs, x)[0], variant

    def forecast_fixture(
        self,
        state: FeatureState,
        home_team: str,
        away_team: str,
        competition: str,
        kickoff: Any,
        season: str | None = None,
        opening_odds: Sequence[float] | Mapping[str, float] | None = None,
        *,
        prices: Mapping[str, float] | None = None,
    ) -> dict[str, Any]:
        """Features from ``state`` (as it stands before the fixture), then ``forecast``."""
        features = state.fixture_features(home_team, away_team, competition, kickoff, season)
        return self.forecast(
            features, home_team, away_team, competition, opening_odds, prices=prices
        )


_1X2 = ("home", "draw", "away")


def _price_inputs(
    opening_odds: Sequence[float] | Mapping[str, float] | None,
    prices: Mapping[str, float] | None,
) -> Mapping[str, float] | None:
    """One mapping of ``PRICE_KEYS`` from either argument, or None when the 1X2 prices are
    not all there (then the forecast is unpriced)."""
    given = prices if prices is not None else opening_odds
    if given is None:
        return None
    if not isinstance(given, Mapping):
        given = dict(zip(_1X2, given, strict=True))
    found = {k: float(v) for k, v in given.items() if k in PRICE_KEYS and v is not None}
    if not all(k in found and math.isfinite(found[k]) and found[k] > 1.0 for k in _1X2):
        return None
    return found
