import pickle

import numpy as np
import pandas as pd
import pytest

from ml.models.baselines import BaseRates, Uniform
from ml.models.ensemble import Ensemble, choose_weight, pool
from ml.models.multinomial import Multinomial, MultinomialConfig


def _frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    strength = rng.normal(size=n)
    noise = rng.normal(size=n)
    diff = strength + rng.normal(scale=1.0, size=n)
    home = (diff > 0.3).astype(int)
    draw = ((diff <= 0.3) & (diff > -0.3)).astype(int)
    return pd.DataFrame(
        {
            "competition": np.where(rng.random(n) < 0.5, "E0", "SP1"),
            "kickoff_date": pd.date_range("2010-01-01", periods=n, freq="D"),
            "strength": strength,
            "noise": noise,
            "home_goals": home + draw,
            "away_goals": draw + (1 - home - draw),
        }
    )


def test_the_multinomial_model_learns_the_signal_and_ignores_noise():
    frame = _frame()
    model = Multinomial(MultinomialConfig(features=("strength", "noise"), C=1.0)).fit(frame)
    probs = model.predict_proba(frame)
    assert probs.sum(axis=1) == pytest.approx(np.ones(len(frame)))
    assert model.coef is not None
    assert abs(model.coef[0, 0] - model.coef[2, 0]) > 5 * abs(model.coef[0, 1] - model.coef[2, 1])
    assert 0.5 < model.temperature < 2.0
    assert pickle.loads(pickle.dumps(model)).predict_proba(frame) == pytest.approx(probs)


def test_a_model_asked_for_features_the_frame_lacks_names_them():
    with pytest.raises(KeyError, match="elo_diff"):
        Multinomial(MultinomialConfig(features=("elo_diff",))).fit(_frame())


def test_baselines_give_a_third_each_and_each_league_its_frequencies():
    frame = _frame()
    assert Uniform().fit(frame).predict_proba(frame[:2]) == pytest.approx(np.full((2, 3), 1 / 3))
    rates = BaseRates().fit(frame).predict_proba(frame[frame["competition"] == "E0"][:1])
    e0 = frame[frame["competition"] == "E0"]
    assert rates[0, 1] == pytest.approx((e0["home_goals"] == e0["away_goals"]).mean())


def test_the_ensemble_weight_goes_to_the_better_model():
    frame = _frame()
    outcome = np.where(
        frame["home_goals"] > frame["away_goals"],
        0,
        np.where(frame["home_goals"] == frame["away_goals"], 1, 2),
    )
    good = Multinomial(MultinomialConfig(features=("strength",))).fit(frame).predict_proba(frame)
    bad = np.full_like(good, 1 / 3)
    assert choose_weight(good, bad, outcome) >= 0.9
    assert choose_weight(bad, good, outcome) <= 0.1
    assert pool(good, bad, 0.5) == pytest.approx((good + bad) / 2)
    ensemble = Ensemble(Multinomial(MultinomialConfig(features=("strength",))), Uniform(), 0.5).fit(
        frame
    )
    assert ensemble.predict_proba(frame) == pytest.approx((good + bad) / 2)
