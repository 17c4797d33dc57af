import numpy as np
import pandas as pd
import pytest

from ml import market


def test_proportional_de_margining_keeps_the_ratios_and_sums_to_one():
    probs = market.demargin_proportional([[1.9, 3.6, 4.2]])
    inv = 1 / np.array([1.9, 3.6, 4.2])
    assert probs.sum() == pytest.approx(1.0)
    assert probs[0] == pytest.approx(inv / inv.sum())


def test_without_a_margin_shin_and_proportional_agree():
    fair = [[2.0, 4.0, 4.0]]
    assert market.demargin_shin(fair) == pytest.approx(market.demargin_proportional(fair))


def test_shin_gives_the_favourite_more_and_the_long_shot_less_than_proportional():
    prices = [[1.30, 5.50, 11.0]]
    shin = market.demargin_shin(prices)[0]
    prop = market.demargin_proportional(prices)[0]
    assert shin.sum() == pytest.approx(1.0)
    assert shin[0] > prop[0]
    assert shin[2] < prop[2]


def test_an_unknown_method_is_rejected():
    with pytest.raises(ValueError, match="shin"):
        market.demargin([[2, 3, 4]], "power")


def _odds(*rows):
    return pd.DataFrame(rows, columns=["match_id", "bookmaker", "kind", "home", "draw", "away"])


def test_the_benchmark_prefers_pinnacle_closing_then_average_closing_then_opening():
    odds = _odds(
        (1, "PS", "closing", 2.0, 3.5, 4.0),
        (1, "Avg", "closing", 1.9, 3.4, 3.9),
        (2, "Avg", "closing", 2.1, 3.3, 3.6),
        (2, "B365", "closing", 2.2, 3.3, 3.5),
        (3, "Avg", "opening", 2.5, 3.2, 2.9),
        (3, "PS", "closing", np.nan, 3.2, 2.9),
        (4, "B365", "opening", 2.5, 3.2, 2.9),
    )
    picked = market.pick_prices(odds)
    assert picked["source"].to_dict() == {1: "PS/closing", 2: "Avg/closing", 3: "Avg/opening"}


def test_opening_features_never_read_closing_prices():
    odds = _odds((1, "PS", "closing", 1.5, 4.0, 7.0), (2, "PS", "opening", 2.0, 3.5, 4.0))
    features = market.opening_features(odds)
    assert features.index.tolist() == [2]
    assert features.loc[2, "open_logit_home"] == pytest.approx(np.log(3.5 / 2.0))


def test_opening_features_of_one_fixture_match_the_frame_version():
    one = market.opening_feature_values([2.1, 3.4, 3.6])
    frame = market.opening_features(_odds((7, "PS", "opening", 2.1, 3.4, 3.6)))
    assert one == pytest.approx(frame.loc[7].to_dict())
