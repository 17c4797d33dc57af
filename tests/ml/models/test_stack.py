import numpy as np
import pytest

from ml import market, metrics
from ml.models.stack import Stack, fit_stack

SEASONS = ("1819", "1920")


@pytest.fixture(scope="module")
def priced(football_data):
    """A real season pair: de-margined opening prices, a crude stats guess and outcomes."""
    matches, odds = football_data(("E0",), SEASONS)
    opening = market.market_probabilities(odds, "proportional", market.OPENING_PREFERENCE)
    joined = matches.join(opening, on="match_id").dropna(subset=["p_home"])
    probs = joined[["p_home", "p_draw", "p_away"]].to_numpy(float)
    guess = np.tile([0.45, 0.27, 0.28], (len(probs), 1))
    outcome = metrics.outcomes(joined["home_goals"], joined["away_goals"])
    return probs, guess, outcome


def test_a_stack_fitted_on_no_matches_is_the_market_itself(priced):
    probs, guess, _ = priced
    stack = fit_stack(probs[:0], [guess[:0]], np.array([], dtype=int), inputs=("guess",))
    assert (stack.alpha, stack.beta, stack.intercept, stack.n) == (1.0, (0.0,), (0.0, 0.0), 0)
    np.testing.assert_allclose(stack.proba(probs, [guess]), probs, atol=1e-9)


def test_a_fitted_stack_scores_no_worse_than_the_market_on_its_own_matches(priced):
    probs, guess, outcome = priced
    stack = fit_stack(probs, [guess], outcome, inputs=("guess",), penalty=10.0)
    fitted = stack.proba(probs, [guess])
    assert fitted.sum(axis=1) == pytest.approx(np.ones(len(fitted)))
    assert stack.n == len(outcome) and stack.alpha != 1.0
    assert metrics.log_loss(fitted, outcome) < metrics.log_loss(probs, outcome)


def test_a_heavy_penalty_keeps_the_stack_at_the_market(priced):
    probs, guess, outcome = priced
    stack = fit_stack(probs, [guess], outcome, inputs=("guess",), penalty=1e9)
    np.testing.assert_allclose(stack.proba(probs, [guess]), probs, atol=1e-4)


def test_a_stack_with_extra_inputs_survives_its_dictionary_form(priced):
    probs, guess, outcome = priced
    x = np.log(1.0 / probs[:, :1] - 1.0)  # a real-valued signal per match
    stack = fit_stack(probs, [guess], outcome, x, inputs=("guess",), extras=("signal",))
    again = Stack.from_dict(stack.as_dict())
    assert again == stack
    np.testing.assert_allclose(again.proba(probs, [guess], x), stack.proba(probs, [guess], x))
