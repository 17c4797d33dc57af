import math
import pickle

import numpy as np
import pandas as pd
import pytest

from ml.features import FEATURE_NAMES, FeatureConfig, FeatureState, build_features, season_of

SEASONS = ("1617", "1718", "1819")


@pytest.fixture(scope="module")
def e0(football_data):
    matches, _ = football_data(("E0",), SEASONS)
    return matches


def test_every_feature_is_a_finite_number_for_every_match(e0):
    features = build_features(e0)
    assert list(features.columns) == ["match_id", *FEATURE_NAMES]
    assert len(features) == len(e0)
    assert np.isfinite(features[list(FEATURE_NAMES)].to_numpy()).all()


def test_history_rows_equal_the_fixture_features_of_the_state_before_their_day(e0):
    features = build_features(e0).set_index("match_id")
    for position in (37, 400, 900):
        match = e0.iloc[position]
        state = FeatureState()
        build_features(e0[e0["kickoff_date"] < match["kickoff_date"]], state=state)
        live = state.fixture_features(
            match["home_team"], match["away_team"], "E0", match["kickoff_date"], match["season"]
        )
        assert live == pytest.approx(features.loc[match["match_id"]].to_dict(), rel=1e-12)


def test_a_match_result_and_everything_after_its_kickoff_do_not_change_its_features(e0):
    target = e0.iloc[500]
    before = build_features(e0).set_index("match_id").loc[target["match_id"]]
    changed = e0.copy()
    later = changed["kickoff_date"] >= target["kickoff_date"]
    rng = np.random.default_rng(7)
    for column in ("home_goals", "away_goals", "home_shots", "away_shots", "home_shots_on_target"):
        changed.loc[later, column] = rng.integers(0, 9, later.sum())
    after = build_features(changed).set_index("match_id").loc[target["match_id"]]
    assert after.to_dict() == before.to_dict()
    # the check is sensitive: an earlier result does move the features
    earlier_changed = e0.copy()
    earlier_changed.loc[e0.index[499], "home_goals"] += 3
    moved = build_features(earlier_changed).set_index("match_id").loc[target["match_id"]]
    assert moved.to_dict() != before.to_dict()


def test_the_input_order_does_not_change_the_features(e0):
    ordered = build_features(e0)
    shuffled = build_features(e0.sample(frac=1.0, random_state=3))
    pd.testing.assert_frame_equal(ordered, shuffled.loc[ordered.index])


def test_a_home_win_moves_elo_from_the_loser_to_the_winner_and_a_new_season_regresses_it():
    state = FeatureState(FeatureConfig(elo_season_regression=0.5, newcomer_absent_days=400))
    match = {
        "competition": "E0",
        "season": "2324",
        "kickoff_date": pd.Timestamp("2023-08-12"),
        "home_team": "A",
        "away_team": "B",
        "home_goals": 3,
        "away_goals": 0,
    }
    state.update(match)
    same = state.fixture_features("A", "B", "E0", "2023-08-20", "2324")
    assert same["elo_home"] > 0 > same["elo_away"]
    assert same["elo_home"] == pytest.approx(-same["elo_away"])
    assert same["home_points"] > same["away_points"]
    assert same["h2h_matches"] == 1 and same["h2h_goal_diff"] == 3
    reversed_ = state.fixture_features("B", "A", "E0", "2023-08-20", "2324")
    assert reversed_["h2h_goal_diff"] == -3
    next_season = state.fixture_features("A", "B", "E0", "2024-08-20", "2425")
    assert next_season["elo_home"] == pytest.approx(same["elo_home"] / 2)
    assert same["home_rest_days"] == 8


def test_missing_shots_leave_the_shot_form_at_the_league_prior():
    state = FeatureState()
    state.update(
        {
            "competition": "E0",
            "season": "0001",
            "kickoff_date": "2000-08-19",
            "home_team": "A",
            "away_team": "B",
            "home_goals": 1,
            "away_goals": 1,
            "home_shots": math.nan,
            "away_shots": None,
        }
    )
    f = state.fixture_features("A", "B", "E0", "2000-08-26", "0001")
    assert f["home_shots_for"] == pytest.approx(12.5)


def test_a_state_pickles_and_carries_on_identically(e0):
    first, rest = e0.iloc[:600], e0.iloc[600:]
    state = FeatureState()
    build_features(first, state=state)
    copy = pickle.loads(pickle.dumps(state))
    pd.testing.assert_frame_equal(
        build_features(rest, state=state), build_features(rest, state=copy)
    )


def test_the_season_of_a_date_turns_in_july():
    assert season_of("2024-05-19") == "2324"
    assert season_of(pd.Timestamp("2024-08-17")) == "2425"
