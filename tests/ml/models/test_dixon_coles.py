import math
import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

from ml.models.dixon_coles import DixonColes, score_matrices
from ml.score_grid import outcome_probabilities, summaries


def test_a_score_matrix_sums_to_one_and_matches_the_dixon_coles_formula():
    lam, mu, rho = 1.5, 1.0, -0.1
    m = score_matrices(np.array([lam]), np.array([mu]), np.array([rho]), 10)[0]
    assert m.shape == (11, 11)
    assert m.sum() == pytest.approx(1.0)
    truncation = poisson.cdf(10, lam) * poisson.cdf(10, mu)
    indep = lambda h, a: poisson.pmf(h, lam) * poisson.pmf(a, mu) / truncation  # noqa: E731
    assert m[0, 0] == pytest.approx(indep(0, 0) * (1 - lam * mu * rho), rel=1e-6)
    assert m[1, 0] == pytest.approx(indep(1, 0) * (1 + mu * rho), rel=1e-6)
    assert m[1, 1] == pytest.approx(indep(1, 1) * (1 - rho), rel=1e-6)
    assert m[2, 1] == pytest.approx(indep(2, 1), rel=1e-6)
    assert m[0, 0] == pytest.approx(math.exp(-2.5) * 1.15, rel=1e-6)


def test_outcome_and_goal_markets_follow_from_the_matrix():
    m = score_matrices(np.array([1.4]), np.array([1.1]), np.array([0.0]), 10)
    home, draw, away = outcome_probabilities(m)[0]
    assert home + draw + away == pytest.approx(1.0)
    assert home > away
    [markets] = summaries(m, top_scores=1)
    assert markets["p_over_2_5"] == pytest.approx(1 - poisson.cdf(2, 2.5), abs=1e-6)
    p_score = (1 - math.exp(-1.4)) * (1 - math.exp(-1.1))
    assert markets["p_btts"] == pytest.approx(p_score, abs=1e-6)


def _simulated(seed: int = 1) -> tuple[pd.DataFrame, dict[str, float]]:
    """Two seasons of a 10-team league with known attack strengths and home advantage."""
    rng = np.random.default_rng(seed)
    teams = [f"T{i}" for i in range(10)]
    attack = dict(zip(teams, np.linspace(-0.4, 0.4, 10), strict=True))
    rows = []
    day = pd.Timestamp("2020-08-01")
    for _ in range(4):
        for h in teams:
            for a in teams:
                if h == a:
                    continue
                lam = math.exp(0.1 + 0.3 + attack[h] - attack[a] / 2)
                mu = math.exp(0.1 + attack[a] - attack[h] / 2)
                rows.append((day, h, a, rng.poisson(lam), rng.poisson(mu)))
                day += pd.Timedelta(days=1)
    frame = pd.DataFrame(
        rows, columns=["kickoff_date", "home_team", "away_team", "home_goals", "away_goals"]
    )
    return frame.assign(competition="X1", match_id=range(len(frame))), attack


def test_the_fit_recovers_home_advantage_and_the_order_of_attacks():
    frame, attack = _simulated()
    model = DixonColes().fit(frame)
    league = model.league("X1")
    assert league.home == pytest.approx(0.3, abs=0.08)
    fitted = [league.attack[league.teams[t]] for t in attack]
    assert np.corrcoef(fitted, list(attack.values()))[0, 1] > 0.9
    assert abs(league.rho) <= 0.2


def test_predictions_sum_to_one_unknown_teams_are_weak_and_the_model_pickles():
    frame, _ = _simulated()
    model = DixonColes().fit(frame)
    fixtures = pd.DataFrame(
        {"competition": ["X1", "X1"], "home_team": ["T9", "Promoted"], "away_team": ["T0", "T9"]}
    )
    probs = model.predict_proba(fixtures)
    assert probs.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert probs[0, 0] > 0.6
    assert probs[1, 2] > probs[1, 0]
    again = pickle.loads(pickle.dumps(model))
    assert again.predict_proba(fixtures) == pytest.approx(probs)


def test_older_matches_weigh_less():
    frame, _ = _simulated()
    # T0 wins everything in the last 60 days only
    late = frame["kickoff_date"] > frame["kickoff_date"].max() - pd.Timedelta(days=60)
    boosted = frame.copy()
    boosted.loc[late & (boosted["home_team"] == "T0"), "home_goals"] = 5
    fast = DixonColes().fit(boosted)
    slow_cfg = DixonColes().config.__class__(decay_per_day=0.0)
    slow = DixonColes(slow_cfg).fit(boosted)
    assert fast.league("X1").strengths("T0")[0] > slow.league("X1").strengths("T0")[0]
