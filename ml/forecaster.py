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
from typing import Any, NamedTuple

import numpy as np

from ml import market, score_grid
from ml.errors import NotFitted
from ml.features import FeatureConfig, FeatureState
from ml.models.base import BoolArray, FloatArray
from ml.models.dixon_coles import MAX_GOALS, DixonColes, LeagueFit, score_matrices
from ml.models.multinomial import Multinomial
from ml.models.stack import Stack

#: Keys of a fixture's prices: 1X2 (required for the priced path), then the optional
#: over/under 2.5 and Asian handicap (line of the home side, home and away prices).
PRICE_KEYS = ("home", "draw", "away", "over", "under", "ah_line", "ah_home", "ah_away")
#: The stack that reads the over/under and handicap prices, and the 1X2-only one.
STACK_WITH_EXTRAS, STACK_1X2 = "stacked", "stacked_1x2"


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

    def proba(self, rows: Sequence[Mapping[str, float]]) -> FloatArray:
        """``(n, 3)`` probabilities of ``n`` fixtures' features."""
        x = np.array([[values[f] for f in self.features] for values in rows], dtype=np.float64)
        z = x @ self.coef + self.intercept
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return np.asarray(z / z.sum(axis=1, keepdims=True))


class FixtureRow(NamedTuple):
    """What one fixture's forecast reads: its features, teams, competition and decimal
    prices (``PRICE_KEYS``; None or without all of the 1X2: unpriced)."""

    features: Mapping[str, float]
    home_team: str
    away_team: str
    competition: str
    prices: Mapping[str, float] | None = None


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

    def _score_matrices(self, rows: Sequence[FixtureRow]) -> tuple[FloatArray, BoolArray]:
        """Dixon-Coles score grids of the rows ``(n, h, a)``, and which rows' leagues it
        fitted (a league it never saw starts from the state's online Poisson rates)."""
        rates = np.empty((len(rows), 3))
        known = np.zeros(len(rows), dtype=bool)
        for i, row in enumerate(rows):
            fit = self.leagues.get(row.competition)
            if fit is None:
                rates[i] = row.features["pois_xg_home"], row.features["pois_xg_away"], 0.0
            else:
                rates[i] = (*fit.expected_goals(row.home_team, row.away_team), fit.rho)
                known[i] = True
        return score_matrices(rates[:, 0], rates[:, 1], rates[:, 2], MAX_GOALS), known

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
        given = prices if prices is not None else opening_odds
        if given is not None and not isinstance(given, Mapping):
            given = dict(zip(_1X2, given, strict=True))
        [forecast] = self.forecast_rows(
            [FixtureRow(features, home_team, away_team, competition, given)]
        )
        return forecast

    def forecast_rows(
        self, rows: Sequence[FixtureRow], decimals: int | None = None
    ) -> list[dict[str, Any]]:
        """``forecast`` of each row, computed over all of them at once: a matchday of a
        hundred fixtures costs a few times one fixture, not a hundred. With ``decimals``,
        every number is rounded to that many (as served)."""
        if not rows:
            return []
        matrices, dc_known = self._score_matrices(rows)
        learned = self.stats.proba([row.features for row in rows])
        dc = score_grid.outcome_probabilities(matrices)
        known = dc_known[:, None]
        w = self.dc_weight
        probs = np.where(known, w * dc + (1.0 - w) * learned, learned)
        members = {"dixon_coles": np.where(known, dc, learned), "multinomial": learned}
        variants = self._priced(probs, members, [_price_inputs(row.prices) for row in rows])
        grids = score_grid.conform(matrices, probs)
        summaries = score_grid.summaries(grids, self.top_scores, decimals)
        return [
            {
                "p_home": p_home,
                "p_draw": p_draw,
                "p_away": p_away,
                **summary,
                "variant": variant,
                "model_version": self.version,
            }
            for (p_home, p_draw, p_away), summary, variant in zip(
                score_grid.rounded_lists(probs, decimals), summaries, variants, strict=True
            )
        ]

    def _priced(
        self,
        probs: FloatArray,
        members: Mapping[str, FloatArray],
        prices: Sequence[Mapping[str, float] | None],
    ) -> list[str]:
        """Each row's path; the priced rows of ``probs`` (the unpriced pool) are replaced,
        in place, by their stack of the stats members on the market."""
        variants = ["stats"] * len(prices)
        stacked: dict[str, list[tuple[int, list[float], list[float]]]] = {}
        for i, given in enumerate(prices):
            if given is None:
                continue
            extras = market.extra_values(given)
            with_extras = extras is not None and STACK_WITH_EXTRAS in self.stacks
            name = STACK_WITH_EXTRAS if with_extras else STACK_1X2
            stack = self.stacks.get(name)
            if stack is None:
                continue
            x = [extras[e] for e in stack.extras] if extras is not None else []
            stacked.setdefault(name, []).append((i, [given[k] for k in _1X2], x))
        for name, group in stacked.items():
            stack = self.stacks[name]
            rows = [i for i, _, _ in group]
            market_probs = market.demargin_proportional([odds for _, odds, _ in group])
            x_rows = [x for _, _, x in group] if stack.extras else None
            probs[rows] = stack.proba(
                market_probs, [members[m][rows] for m in stack.inputs], x_rows
            )
            for i in rows:
                variants[i] = _VARIANTS[name]
        return variants

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
#: The path each stack serves.
_VARIANTS = {STACK_WITH_EXTRAS: "priced", STACK_1X2: "priced_1x2"}


def _price_inputs(given: Mapping[str, float] | None) -> Mapping[str, float] | None:
    """The ``PRICE_KEYS`` of a row's prices, or None when the 1X2 prices are not all there
    (then the forecast is unpriced)."""
    if given is None:
        return None
    found = {k: float(v) for k, v in given.items() if k in PRICE_KEYS and v is not None}
    if not all(k in found and math.isfinite(found[k]) and found[k] > 1.0 for k in _1X2):
        return None
    return found
