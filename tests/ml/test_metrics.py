import numpy as np
import pytest

from ml import market, metrics

FIVE = ("E0", "SP1", "D1", "I1", "F1")
RECENT = ("1920", "2021", "2122", "2223", "2324")


def test_scores_of_one_forecast_match_hand_computed_values():
    probs = np.array([[0.5, 0.3, 0.2]])
    home = metrics.score(probs, [metrics.HOME])
    assert home["rps"] == pytest.approx(0.5 * (0.5**2 + 0.2**2))
    assert home["log_loss"] == pytest.approx(-np.log(0.5))
    assert home["brier"] == pytest.approx(0.25 + 0.09 + 0.04)
    assert home["accuracy"] == 1.0
    away = metrics.score(probs, [metrics.AWAY])
    assert away["rps"] == pytest.approx(0.5 * (0.5**2 + 0.8**2))
    assert away["accuracy"] == 0.0


def test_rps_punishes_a_miss_by_two_outcomes_more_than_a_miss_by_one():
    sure_home = np.array([[1.0, 0.0, 0.0]])
    assert metrics.rps(sure_home, np.array([metrics.DRAW])) == pytest.approx(0.5)
    assert metrics.rps(sure_home, np.array([metrics.AWAY])) == pytest.approx(1.0)


def test_a_perfect_forecast_scores_zero_and_a_confident_miss_stays_finite():
    probs = np.eye(3)
    outcome = np.array([0, 1, 2])
    s = metrics.score(probs, outcome)
    assert (s["rps"], s["brier"], s["accuracy"], s["ece"]) == (0.0, 0.0, 1.0, 0.0)
    assert metrics.log_loss(probs, np.array([2, 0, 1])) == pytest.approx(-np.log(1e-15))


def test_calibration_error_is_zero_for_frequencies_and_grows_with_overconfidence():
    outcome = np.array([0, 0, 1, 2] * 25)
    honest = np.tile([0.5, 0.25, 0.25], (100, 1))
    assert metrics.ece(honest, outcome) == pytest.approx(0.0)
    bold = np.tile([0.8, 0.1, 0.1], (100, 1))
    assert metrics.ece(bold, outcome) == pytest.approx((0.3 + 0.15 + 0.15) / 3)


def test_outcomes_are_coded_from_goals():
    assert metrics.outcomes([2, 1, 0], [1, 1, 3]).tolist() == [0, 1, 2]


def test_a_forecast_of_the_wrong_shape_is_rejected():
    with pytest.raises(ValueError, match="shape"):
        metrics.score(np.ones((2, 2)) / 2, [0, 1])


@pytest.mark.slow
def test_the_closing_market_scores_the_reference_values_on_the_real_data(football_data):
    matches, odds = football_data(FIVE, RECENT)
    probs = market.market_probabilities(odds, "proportional", (("PS", "closing"),))
    joined = matches.join(probs, on="match_id", how="inner")
    outcome = metrics.outcomes(joined["home_goals"], joined["away_goals"])
    s = metrics.score(joined[["p_home", "p_draw", "p_away"]].to_numpy(), outcome)
    assert s["n"] == 8955
    assert s["rps"] == pytest.approx(0.1956, abs=5e-5)
    assert s["log_loss"] == pytest.approx(0.9707, abs=5e-5)
    assert s["brier"] == pytest.approx(0.5768, abs=5e-5)
    assert s["accuracy"] == pytest.approx(0.538, abs=5e-4)
    english = joined["competition"] == "E0"
    e0 = metrics.score(
        joined.loc[english, ["p_home", "p_draw", "p_away"]].to_numpy(), outcome[english]
    )
    assert (e0["n"], round(e0["rps"], 4), round(e0["log_loss"], 4)) == (1900, 0.1953, 0.9535)
