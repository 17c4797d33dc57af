"""The Great Expectations gates on hand-made frames: what passes, what is caught."""

from datetime import date

import pandas as pd
import pytest

from etl.records import STAT_FIELDS
from etl.validation import validate_frames


def _matches(**changes):
    frame = pd.DataFrame(
        {
            "match_id": [1, 2],
            "competition": ["E0", "E0"],
            "season": ["2324", "2324"],
            "start_year": [2023, 2023],
            "home_team_id": [1, 3],
            "away_team_id": [2, 4],
            "kickoff_date": [date(2023, 8, 11), date(2024, 5, 19)],
            "status": ["finished", "finished"],
            "home_goals": pd.array([0, 2], dtype="Int64"),
            "away_goals": pd.array([3, 2], dtype="Int64"),
            "ht_home_goals": pd.array([0, 1], dtype="Int64"),
            "ht_away_goals": pd.array([2, 0], dtype="Int64"),
        }
    )
    for column, (row, value) in changes.items():
        frame.loc[row, column] = value
    return frame


def _stats(**changes):
    frame = pd.DataFrame({name: pd.array([10, 5], dtype="Int64") for name in STAT_FIELDS})
    for name in ("home_shots_on_target", "away_shots_on_target", "home_red", "away_red"):
        frame[name] = pd.array([4, 2] if "shots" in name else [0, 1], dtype="Int64")
    for column, (row, value) in changes.items():
        frame.loc[row, column] = value
    return frame


def _odds(rows=None):
    rows = rows or [("B365", "opening", 8.0, 5.5, 1.33), ("Max", "opening", 4.0, 5.0, 11.0)]
    return pd.DataFrame(rows, columns=["bookmaker", "kind", "home", "draw", "away"])


def _failed(report):
    return {
        (suite, check["expectation"], str(check["target"]))
        for suite, result in report.suites.items()
        for check in result["checks"]
        if not check["success"]
    }


def test_plausible_rows_pass_every_suite_even_with_a_market_maximum_below_one():
    report = validate_frames(_matches(), _stats(), _odds())
    assert report.success, report.failures


SAME_DAY_AGAIN = {
    "home_team_id": (1, 1),
    "away_team_id": (1, 2),
    "kickoff_date": (1, date(2023, 8, 11)),
}
NATURAL_KEY = "['competition', 'season', 'home_team_id', 'away_team_id', 'kickoff_date']"


@pytest.mark.parametrize(
    ("changes", "target"),
    [
        ({"home_goals": (0, 16)}, "home_goals"),
        ({"away_team_id": (0, 1)}, "same_teams"),
        ({"kickoff_date": (1, date(2025, 1, 1))}, "season_day"),
        ({"status": (1, "abandoned")}, "status"),
        ({"ht_away_goals": (1, 3)}, "['away_goals', 'ht_away_goals']"),
        (SAME_DAY_AGAIN, NATURAL_KEY),
    ],
)
def test_impossible_matches_fail_the_raw_match_suite(changes, target):
    report = validate_frames(_matches(**changes), _stats(), _odds())
    assert not report.success
    assert {suite_target[::2] for suite_target in _failed(report)} == {("raw_matches", target)}


def test_a_finished_match_without_a_score_fails():
    report = validate_frames(_matches(home_goals=(0, None)), _stats(), _odds())
    assert (
        "raw_matches",
        "expect_column_values_to_be_in_set",
        "finished_without_score",
    ) in _failed(report)


def test_more_shots_on_target_than_shots_and_negative_counts_fail_the_stats_suite():
    report = validate_frames(_matches(), _stats(home_shots=(0, 3), away_red=(1, -1)), _odds())
    assert {
        ("match_stats", "expect_column_pair_values_a_to_be_greater_than_b",
         "['home_shots', 'home_shots_on_target']"),
        ("match_stats", "expect_column_values_to_be_between", "away_red"),
    } <= _failed(report)  # fmt: skip


def test_more_goals_than_shots_on_target_is_allowed_because_own_goals_exist():
    report = validate_frames(_matches(home_goals=(1, 5), ht_home_goals=(1, 0)), _stats(), _odds())
    assert report.success, report.failures


def test_prices_at_or_below_evens_and_absurd_books_fail_the_odds_suite():
    report = validate_frames(
        _matches(), _stats(), _odds([("B365", "opening", 1.0, 5.5, 9.0),
                                     ("WH", "opening", 1.2, 1.2, 1.2)])
    )  # fmt: skip
    failed = _failed(report)
    assert ("odds", "expect_column_values_to_be_between", "home") in failed
    assert ("odds", "expect_column_values_to_be_between", "book_overround") in failed
    assert not report.success and report.failures


def _side_markets(rows):
    columns = ["bookmaker", "market", "kind", "home", "draw", "away", "over", "under", "line"]
    one_x_two = [("B365", "1x2", "opening", 8.0, 5.5, 1.33, None, None, None)]
    return pd.DataFrame(one_x_two + rows, columns=columns)


def test_a_stray_side_market_recording_error_passes_but_many_fail_the_odds_suite():
    sound = [("B365", "ou2.5", "opening", None, None, None, 1.67, 2.2, None)] * 300
    sound += [("Avg", "ah", "opening", 1.85, None, 2.03, None, None, 1.5)] * 300
    stray = [("GB", "ah", "opening", 0.9, None, 2.2, None, None, 0.0),
             ("LB", "ah", "opening", 1.3, None, 4.0, None, None, 9.0)]  # fmt: skip
    report = validate_frames(_matches(), _stats(), _side_markets(sound + stray))
    assert report.success, report.failures
    broken = [("B365", "ou2.5", "opening", None, None, None, 0.0, 0.0, None),
              ("Avg", "ah", "opening", 1.9, None, 1.9, None, None, -1.2)] * 20  # fmt: skip
    failed = _failed(validate_frames(_matches(), _stats(), _side_markets(sound + broken)))
    assert ("odds", "expect_column_values_to_be_between", "side_market_price") in failed
    assert ("odds", "expect_column_values_to_be_in_set", "line_in_quarters") in failed
