"""The serving object: fitted models bundled so one fixture is forecast in microseconds.

A ``Forecaster`` takes a fixture's features (``FeatureState.fixture_features``), its teams and
competition, and optionally the pre-kickoff (opening) 1X2 prices. The 1X2 probabilities are
the ensemble of Dixon-Coles and the feature model (the opening-odds variant when prices are
given, else the stats-only one); expected goals, over/under 2.5, both-teams-to-score and the
likeliest scores come from the Dixon-Coles score matrix conformed to that 1X2
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
    """Dixon-Coles plus the feature models, pooled with weight ``dc_weight`` on Dixon-Coles."""

    def __init__(
        self,
        dixon_coles: DixonColes,
        stats_model: Multinomial,
        odds_model: Multinomial | None = None,
        dc_weight: float = 0.2,
        dc_weight_odds: float | None = None,
        version: str = "",
        top_scores: int = 5,
        feature_config: FeatureConfig | None = None,
    ) -> None:
        #: The feature settings the models were trained with; serving builds its
        #: ``FeatureState`` with them.
        self.feature_config = feature_config or FeatureConfig()
        self.leagues: dict[str, LeagueFit] = dict(dixon_coles.leagues)
        self.stats = _Linear.of(stats_model)
        self.odds = _Linear.of(odds_model) if odds_model is not None else None
        self.dc_weight = dc_weight
        self.dc_weight_odds = dc_weight if dc_weight_odds is None else dc_weight_odds
        self.version = version
        self.top_scores = top_scores

    @property
    def features(self) -> tuple[str, ...]:
        """Feature names the forecaster reads (state features, plus opening-odds ones)."""
        extra = self.odds.features if self.odds is not None else ()
        return tuple(dict.fromkeys(self.stats.features + extra))

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
    ) -> dict[str, Any]:
        """The forecast of one fixture.

        ``opening_odds`` are decimal (home, draw, away) prices published before kickoff, in
        that order or keyed ``home``/``draw``/``away``; without them (or without an odds
        model) the stats-only model is used.
        """
        if isinstance(opening_odds, Mapping):
            opening_odds = [opening_odds["home"], opening_odds["draw"], opening_odds["away"]]
        matrix, _, _, dc_known = self._score_matrix(features, home_team, away_team, competition)
        weight = self.dc_weight
        if opening_odds is not None and self.odds is not None:
            values = {**features, **market.opening_feature_values(opening_odds)}
            learned = self.odds.proba(values)
            weight = self.dc_weight_odds
            variant = "odds"
        else:
            learned = self.stats.proba(features)
            variant = "stats"
        dc = np.array([matrix[_HOME_WIN].sum(), matrix[_DRAW].sum(), 0.0])
        dc[2] = 1.0 - dc[0] - dc[1]
        probs = weight * dc + (1.0 - weight) * learned if dc_known else learned
        return {
            "p_home": float(probs[0]),
            "p_draw": float(probs[1]),
            "p_away": float(probs[2]),
            **score_grid.summary(score_grid.conform(matrix, probs), self.top_scores),
            "variant": variant,
            "model_version": self.version,
        }

    def forecast_fixture(
        self,
        state: FeatureState,
        home_team: str,
        away_team: str,
        competition: str,
        kickoff: Any,
        season: str | None = None,
        opening_odds: Sequence[float] | Mapping[str, float] | None = None,
    ) -> dict[str, Any]:
        """Features from ``state`` (as it stands before the fixture), then ``forecast``."""
        features = state.fixture_features(home_team, away_team, competition, kickoff, season)
        return self.forecast(features, home_team, away_team, competition, opening_odds)
