"""Dixon-Coles (1997): Poisson goals with team attack/defence, home advantage, time decay and
a correction of the four low scores (0-0, 1-0, 0-1, 1-1) by the correlation parameter rho.

Attack, defence and home advantage are a weighted Poisson GLM (statsmodels): each match is
two rows, one per side, weighted ``exp(-decay_per_day * age)``. Every team also gets
``prior_matches`` pseudo-matches against a virtual average side, which keeps the strengths
of a team with few matches (a promoted side in August) finite and near the mean. Rho is then
fitted on the same weighted matches with the GLM's rates held fixed. One fit per competition,
as teams only play within their league.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import statsmodels.api as sm
from scipy.optimize import minimize_scalar

from ml.errors import InsufficientData, NotFitted
from ml.features import day_number, day_numbers
from ml.models.base import FloatArray, single_threaded
from ml.params import known_fields, section
from ml.score_grid import outcome_probabilities

#: Score matrices cover 0..MAX_GOALS goals a side; the rest of the mass is renormalised away.
MAX_GOALS = 10
#: Fewer weighted matches than this in a league's window is too little to fit.
MIN_MATCHES = 30


@dataclass(frozen=True)
class DixonColesConfig:
    """``params.yaml`` section ``train.dixon_coles``."""

    decay_per_day: float = 0.0019
    window_days: int = 1095
    prior_matches: float = 2.0
    rho_bound: float = 0.2
    newcomer_quantile: float = 0.2  #: strength of a team unseen in training among its league
    refit_days: int = 7

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> DixonColesConfig:
        values = section(params, "train", "dixon_coles")
        return cls(**known_fields(cls, values, "train.dixon_coles"))


@dataclass
class LeagueFit:
    """The fitted strengths of one competition; log rate = intercept + home + attack + defence."""

    teams: dict[str, int]
    attack: FloatArray
    defence: FloatArray
    intercept: float
    home: float
    rho: float
    newcomer_attack: float
    newcomer_defence: float
    fitted_day: int = 0
    matches: float = field(default=0.0)

    def strengths(self, team: str) -> tuple[float, float]:
        i = self.teams.get(team)
        if i is None:
            return self.newcomer_attack, self.newcomer_defence
        return float(self.attack[i]), float(self.defence[i])

    def expected_goals(self, home_team: str, away_team: str) -> tuple[float, float]:
        att_h, def_h = self.strengths(home_team)
        att_a, def_a = self.strengths(away_team)
        lam = math.exp(self.intercept + self.home + att_h + def_a)
        mu = math.exp(self.intercept + att_a + def_h)
        return lam, mu


@functools.cache
def _goals(max_goals: int) -> tuple[npt.NDArray[np.int_], FloatArray]:
    """0..max_goals and the logarithms of their factorials (a forecast at a time builds its
    grid in microseconds; these would cost as much again)."""
    k = np.arange(max_goals + 1)
    return k, np.cumsum(np.log(np.maximum(k, 1)))


def poisson_pmf(rate: FloatArray, max_goals: int) -> FloatArray:
    """P(k goals), k = 0..max_goals, for each rate: shape (n, max_goals + 1)."""
    k, log_fact = _goals(max_goals)
    rate = np.asarray(rate, dtype=float)[:, None]
    return np.asarray(np.exp(k * np.log(rate) - rate - log_fact))


def score_matrices(lam: FloatArray, mu: FloatArray, rho: FloatArray, max_goals: int) -> FloatArray:
    """Dixon-Coles score distributions, shape (n, h, a), each normalised to sum to one."""
    lam = np.asarray(lam, dtype=float)
    mu = np.asarray(mu, dtype=float)
    rho = np.broadcast_to(np.asarray(rho, dtype=float), lam.shape)
    joint = poisson_pmf(lam, max_goals)[:, :, None] * poisson_pmf(mu, max_goals)[:, None, :]
    joint[:, 0, 0] *= 1.0 - lam * mu * rho
    joint[:, 0, 1] *= 1.0 + lam * rho
    joint[:, 1, 0] *= 1.0 + mu * rho
    joint[:, 1, 1] *= 1.0 - rho
    joint = np.clip(joint, 0.0, None)
    return np.asarray(joint / joint.sum(axis=(1, 2), keepdims=True))


def _tau_log_likelihood(
    rho: float, hg: FloatArray, ag: FloatArray, lam: FloatArray, mu: FloatArray, w: FloatArray
) -> float:
    tau = np.ones_like(lam)
    m00 = (hg == 0) & (ag == 0)
    m01 = (hg == 0) & (ag == 1)
    m10 = (hg == 1) & (ag == 0)
    m11 = (hg == 1) & (ag == 1)
    tau[m00] = 1.0 - lam[m00] * mu[m00] * rho
    tau[m01] = 1.0 + lam[m01] * rho
    tau[m10] = 1.0 + mu[m10] * rho
    tau[m11] = 1.0 - rho
    return float(np.sum(w * np.log(np.clip(tau, 1e-10, None))))


def fit_league(matches: pd.DataFrame, config: DixonColesConfig, as_of_day: int) -> LeagueFit:
    """Fit one competition on its matches before ``as_of_day`` (weights decay with age)."""
    days = day_numbers(matches["kickoff_date"])
    keep = (days < as_of_day) & (days >= as_of_day - config.window_days)
    played = matches.loc[keep]
    age = as_of_day - days[keep]
    weights = np.exp(-config.decay_per_day * age)
    if weights.sum() < MIN_MATCHES:
        raise InsufficientData(
            f"{weights.sum():.0f} weighted matches before day {as_of_day}; need {MIN_MATCHES}"
        )
    names = sorted(set(played["home_team"]) | set(played["away_team"]))
    index = {name: i for i, name in enumerate(names)}
    n_teams, n = len(names), len(played)
    hi = played["home_team"].map(index).to_numpy()
    ai = played["away_team"].map(index).to_numpy()
    hg = played["home_goals"].to_numpy(float)
    ag = played["away_goals"].to_numpy(float)

    # columns: intercept, home, attack[n_teams], defence[n_teams]
    n_cols = 2 + 2 * n_teams
    n_prior = 4 * n_teams
    design = np.zeros((2 * n + n_prior, n_cols))
    rows = np.arange(n)
    design[:, 0] = 1.0
    design[rows, 1] = 1.0
    design[rows, 2 + hi] = 1.0
    design[rows, 2 + n_teams + ai] = 1.0
    design[n + rows, 2 + ai] = 1.0
    design[n + rows, 2 + n_teams + hi] = 1.0
    goals = np.concatenate([hg, ag])
    w = np.concatenate([weights, weights])

    # pseudo-matches against a virtual average side (attack and defence zero): each team
    # attacks it and is attacked by it, at home and away, scoring the league's mean goals
    mean_home = float(np.average(hg, weights=weights))
    mean_away = float(np.average(ag, weights=weights))
    teams = np.arange(n_teams)
    blocks = (
        (2, 1.0, mean_home),
        (2, 0.0, mean_away),
        (2 + n_teams, 1.0, mean_home),
        (2 + n_teams, 0.0, mean_away),
    )
    prior_goals = []
    for b, (first_col, is_home, mean) in enumerate(blocks):
        block = 2 * n + b * n_teams + teams
        design[block, first_col + teams] = 1.0
        design[block, 1] = is_home
        prior_goals.append(np.full(n_teams, mean))
    goals = np.concatenate([goals, *prior_goals])
    w = np.concatenate([w, np.full(n_prior, config.prior_matches / 2.0)])

    result = sm.GLM(goals, design, family=sm.families.Poisson(), freq_weights=w).fit()
    params = np.asarray(result.params)
    intercept, home = float(params[0]), float(params[1])
    attack = params[2 : 2 + n_teams]
    defence = params[2 + n_teams :]
    shift_att, shift_def = float(attack.mean()), float(defence.mean())
    attack = attack - shift_att
    defence = defence - shift_def
    intercept += shift_att + shift_def

    lam = np.exp(intercept + home + attack[hi] + defence[ai])
    mu = np.exp(intercept + attack[ai] + defence[hi])
    bound = config.rho_bound
    rho = minimize_scalar(
        lambda r: -_tau_log_likelihood(r, hg, ag, lam, mu, weights),
        bounds=(-bound, bound),
        method="bounded",
    ).x
    q = config.newcomer_quantile
    return LeagueFit(
        teams=index,
        attack=attack,
        defence=defence,
        intercept=intercept,
        home=home,
        rho=float(rho),
        newcomer_attack=float(np.quantile(attack, q)),
        newcomer_defence=float(np.quantile(defence, 1.0 - q)),
        fitted_day=as_of_day,
        matches=float(weights.sum()),
    )


class DixonColes:
    """Per-competition Dixon-Coles fits; predicts rows of any competition it was fitted on."""

    name = "dixon_coles"
    #: What ``fit`` reads of a training frame.
    COLUMNS = ("competition", "kickoff_date", "home_team", "away_team", "home_goals", "away_goals")

    def __init__(self, config: DixonColesConfig | None = None) -> None:
        self.config = config or DixonColesConfig()
        self.leagues: dict[str, LeagueFit] = {}

    def fit(self, train: pd.DataFrame, as_of: Any = None) -> DixonColes:
        """Fit every competition of ``train`` on matches before ``as_of`` (default: the day
        after the last match)."""
        if as_of is None:
            as_of_day = int(day_numbers(train["kickoff_date"]).max()) + 1
        else:
            as_of_day = day_number(as_of)
        with single_threaded():
            leagues = self._fit_leagues(train, as_of_day)
        if not leagues:
            raise InsufficientData("no competition has enough matches for Dixon-Coles")
        self.leagues = leagues
        return self

    def _fit_leagues(self, train: pd.DataFrame, as_of_day: int) -> dict[str, LeagueFit]:
        leagues = {}
        for competition, matches in train[list(self.COLUMNS)].groupby("competition", sort=True):
            try:
                leagues[str(competition)] = fit_league(matches, self.config, as_of_day)
            except InsufficientData:
                continue
        return leagues

    def league(self, competition: str) -> LeagueFit:
        fit = self.leagues.get(competition)
        if fit is None:
            raise NotFitted(f"Dixon-Coles has no fit for competition {competition!r}")
        return fit

    def expected_goals(self, frame: pd.DataFrame) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Home and away expected goals and rho of each row."""
        out = np.empty((len(frame), 3))
        for i, (comp, home, away) in enumerate(
            zip(frame["competition"], frame["home_team"], frame["away_team"], strict=True)
        ):
            fit = self.league(str(comp))
            lam, mu = fit.expected_goals(str(home), str(away))
            out[i] = lam, mu, fit.rho
        return out[:, 0], out[:, 1], out[:, 2]

    def score_matrix(self, frame: pd.DataFrame) -> FloatArray:
        """Score distributions of the rows, shape (n, MAX_GOALS + 1, MAX_GOALS + 1)."""
        lam, mu, rho = self.expected_goals(frame)
        return score_matrices(lam, mu, rho, MAX_GOALS)

    def predict_proba(self, frame: pd.DataFrame) -> FloatArray:
        return outcome_probabilities(self.score_matrix(frame))
