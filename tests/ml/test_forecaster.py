import pickle

import numpy as np
import pytest

from ml import score_grid
from ml.backtest import prepare_frame
from ml.features import FeatureConfig, FeatureState, build_features
from ml.forecaster import FixtureRow
from ml.models.dixon_coles import DixonColes
from ml.models.ensemble import pool
from ml.models.multinomial import Multinomial
from ml.models.stack import Stack
from ml.training import ModelSpecs, train_forecaster

SEASONS = ("1516", "1617", "1718", "1819", "1920")


@pytest.fixture(scope="module")
def trained(football_data):
    matches, odds = football_data(("E0",), SEASONS)
    frame = prepare_frame(matches, odds)
    specs = ModelSpecs()
    forecaster = train_forecaster(frame, specs, FeatureConfig(), dc_weight=0.3, stacks=STACKS)
    return matches, frame, specs, forecaster


INPUTS = ("dixon_coles", "multinomial")
#: Priced stacks as the backtest fits them: on the 1X2 prices alone, and with the extras.
STACKS = {
    "stacked_1x2": Stack(alpha=1.1, beta=(-0.1, 0.1), inputs=INPUTS, intercept=(0.04, 0.02)),
    "stacked": Stack(
        alpha=1.1,
        beta=(-0.1, 0.1),
        inputs=INPUTS,
        intercept=(0.05, 0.02),
        theta=((-0.03, -0.1, -0.1), (0.03, -0.1, 0.0)),
        extras=("ou_logit", "ah_line", "ah_logit"),
    ),
}
EXTRAS = {"over": 1.9, "under": 1.95, "ah_line": -0.5, "ah_home": 1.95, "ah_away": 1.9}


def test_a_forecast_has_every_field_and_consistent_probabilities(trained):
    matches, _, _, forecaster = trained
    state = FeatureState()
    build_features(matches, state=state)
    f = forecaster.forecast_fixture(state, "Liverpool", "Everton", "E0", "2020-08-20", "2021")
    assert set(f) >= {
        "p_home",
        "p_draw",
        "p_away",
        "xg_home",
        "xg_away",
        "p_over_2_5",
        "p_btts",
        "top_scores",
    }
    assert f["p_home"] + f["p_draw"] + f["p_away"] == pytest.approx(1.0)
    assert f["p_home"] > 0.5 and f["xg_home"] > f["xg_away"]
    assert 0 < f["p_over_2_5"] < 1 and 0 < f["p_btts"] < 1
    scores = f["top_scores"]
    assert len(scores) == 5 and scores[0][2] >= scores[-1][2]
    assert f["variant"] == "stats"


def test_the_forecast_is_the_pool_of_dixon_coles_and_the_feature_model(trained):
    _, frame, specs, forecaster = trained
    rows = frame.tail(3)
    dc = DixonColes(specs.dixon_coles).fit(frame).predict_proba(rows)
    stats = (
        Multinomial(specs.multinomial).fit(frame[frame["season_index"] >= 2]).predict_proba(rows)
    )
    expected = pool(dc, stats, 0.3)
    for i, (_, row) in enumerate(rows.iterrows()):
        features = row[list(forecaster.stats.features)].to_dict()
        f = forecaster.forecast(features, row["home_team"], row["away_team"], "E0")
        assert [f["p_home"], f["p_draw"], f["p_away"]] == pytest.approx(expected[i], abs=1e-9)


def test_opening_prices_switch_to_the_priced_stack_and_pull_towards_them(trained):
    _, frame, _, forecaster = trained
    row = frame.iloc[-1]
    features = row[list(forecaster.stats.features)].to_dict()
    home_heavy = forecaster.forecast(
        features, row["home_team"], row["away_team"], "E0", [1.2, 7.0, 15.0]
    )
    away_heavy = forecaster.forecast(
        features, row["home_team"], row["away_team"], "E0", prices=dict(zip(
            ("home", "draw", "away"), (15.0, 7.0, 1.2), strict=True
        ))
    )  # fmt: skip
    assert home_heavy["variant"] == away_heavy["variant"] == "priced_1x2"
    assert home_heavy["p_home"] > 0.6 > away_heavy["p_home"]


def test_the_priced_forecast_is_the_stack_of_the_market_and_the_two_stats_members(trained):
    _, frame, specs, forecaster = trained
    row = frame.iloc[[-1]]
    dc = DixonColes(specs.dixon_coles).fit(frame).predict_proba(row)
    stats = Multinomial(specs.multinomial).fit(frame[frame["season_index"] >= 2]).predict_proba(row)
    prices = {"home": 2.1, "draw": 3.4, "away": 3.6}
    inverse = np.array([[1 / 2.1, 1 / 3.4, 1 / 3.6]])
    market = inverse / inverse.sum()
    features = row.iloc[0][list(forecaster.stats.features)].to_dict()
    teams = row.iloc[0]["home_team"], row.iloc[0]["away_team"], "E0"

    f = forecaster.forecast(features, *teams, prices=prices)
    expected = STACKS["stacked_1x2"].proba(market, [dc, stats])[0]
    assert [f["p_home"], f["p_draw"], f["p_away"]] == pytest.approx(expected, abs=1e-9)

    f = forecaster.forecast(features, *teams, prices={**prices, **EXTRAS})
    x = [[np.log(1.95 / 1.9), -0.5, np.log(1.9 / 1.95)]]  # under/over, line, away/home
    expected = STACKS["stacked"].proba(market, [dc, stats], x)[0]
    assert f["variant"] == "priced"
    assert [f["p_home"], f["p_draw"], f["p_away"]] == pytest.approx(expected, abs=1e-9)


def test_missing_or_unusable_side_prices_fall_back_to_the_1x2_stack_and_no_prices_to_stats(
    trained,
):
    _, frame, _, forecaster = trained
    row = frame.iloc[-1]
    features = row[list(forecaster.stats.features)].to_dict()
    teams = row["home_team"], row["away_team"], "E0"
    prices = {"home": 2.1, "draw": 3.4, "away": 3.6}
    partial = {**prices, "over": 1.9, "under": 1.95}
    broken = {**prices, **EXTRAS, "ah_home": 0.0}
    for given in (partial, broken):
        assert forecaster.forecast(features, *teams, prices=given)["variant"] == "priced_1x2"
    assert forecaster.forecast(features, *teams, prices={"home": 2.1})["variant"] == "stats"
    unstacked = pickle.loads(pickle.dumps(forecaster))
    unstacked.stacks = {}
    assert unstacked.forecast(features, *teams, prices=prices)["variant"] == "stats"


def test_a_league_dixon_coles_never_saw_uses_the_feature_model_alone(trained):
    _, frame, _, forecaster = trained
    features = frame.iloc[-1][list(forecaster.stats.features)].to_dict()
    f = forecaster.forecast(features, "A", "B", "X9")
    assert f["p_home"] + f["p_draw"] + f["p_away"] == pytest.approx(1.0)
    assert [f["p_home"], f["p_draw"], f["p_away"]] == pytest.approx(
        forecaster.stats.proba([features])[0].tolist(), abs=1e-9
    )
    # the grid starts from the state's Poisson rates, reshaped to the feature model's 1X2
    assert f["xg_home"] == pytest.approx(features["pois_xg_home"], rel=0.25)


@pytest.mark.parametrize("prices", [None, {"home": 1.6, "draw": 4.2, "away": 5.5}])
def test_one_forecast_agrees_with_its_own_score_grid(trained, prices):
    _, frame, _, forecaster = trained
    row = frame.iloc[-1]
    features = row[list(forecaster.stats.features)].to_dict()
    teams = (row["home_team"], row["away_team"], "E0")
    f = forecaster.forecast(features, *teams, prices)
    assert f["variant"] == ("stats" if prices is None else "priced_1x2")
    # the grid the answer's goal numbers must come from: Dixon-Coles' conformed to its 1X2
    dixon_coles = forecaster._score_matrices([FixtureRow(features, *teams)])[0][0]
    grid = score_grid.conform(dixon_coles, [f["p_home"], f["p_draw"], f["p_away"]])
    assert grid.sum() == pytest.approx(1.0, abs=1e-12)
    home, draw, away = score_grid.outcome_probabilities(grid)
    assert abs(home - f["p_home"]) < 1e-9 and abs(draw - f["p_draw"]) < 1e-9
    assert abs(away - f["p_away"]) < 1e-9
    goals = np.arange(len(grid))
    assert f["xg_home"] == pytest.approx(grid.sum(axis=1) @ goals, abs=1e-12)
    assert f["xg_away"] == pytest.approx(grid.sum(axis=0) @ goals, abs=1e-12)
    h, a = np.indices(grid.shape)
    assert f["p_over_2_5"] == pytest.approx(grid[h + a > 2].sum(), abs=1e-12)
    assert f["p_btts"] == pytest.approx(grid[(h > 0) & (a > 0)].sum(), abs=1e-12)
    top = sorted((grid[i, j], i, j) for i in range(len(grid)) for j in range(len(grid)))[::-1]
    assert [(s[0], s[1]) for s in f["top_scores"]] == [(i, j) for _, i, j in top[:5]]


def test_fixtures_forecast_together_are_forecast_as_one_by_one(trained):
    _, frame, _, forecaster = trained
    prices = {"home": 2.1, "draw": 3.4, "away": 3.6}
    rows = []
    for i, (_, row) in enumerate(frame.tail(12).iterrows()):
        features = row[list(forecaster.stats.features)].to_dict()
        given = (None, prices, {**prices, **EXTRAS}, {"home": 2.1})[i % 4]
        competition = "X9" if i == 5 else "E0"  # a league Dixon-Coles never saw
        rows.append(FixtureRow(features, row["home_team"], row["away_team"], competition, given))
    together = forecaster.forecast_rows(rows)
    for row, forecast in zip(rows, together, strict=True):
        alone = forecaster.forecast(*row[:4], prices=row.prices)
        assert forecast["variant"] == alone["variant"]
        assert [s[:2] for s in forecast["top_scores"]] == [s[:2] for s in alone["top_scores"]]
        assert [s[2] for s in forecast["top_scores"]] == pytest.approx(
            [s[2] for s in alone["top_scores"]], abs=1e-12
        )
        for key in ("p_home", "p_draw", "p_away", "xg_home", "xg_away", "p_over_2_5", "p_btts"):
            assert forecast[key] == pytest.approx(alone[key], abs=1e-12)
        assert np.allclose(forecast["score_grid"], alone["score_grid"], rtol=0, atol=1e-12)
    assert {f["variant"] for f in together} == {"stats", "priced_1x2", "priced"}
    assert forecaster.forecast_rows([]) == []


def test_fixtures_forecast_to_some_decimals_are_the_exact_forecasts_rounded(trained):
    _, frame, _, forecaster = trained
    rows = [
        FixtureRow(
            row[list(forecaster.stats.features)].to_dict(), row["home_team"], row["away_team"], "E0"
        )
        for _, row in frame.tail(4).iterrows()
    ]
    for exact, served in zip(
        forecaster.forecast_rows(rows), forecaster.forecast_rows(rows, 3), strict=True
    ):
        for key in ("p_home", "p_draw", "p_away", "xg_home", "xg_away", "p_over_2_5", "p_btts"):
            assert served[key] == pytest.approx(round(exact[key], 3), abs=1e-12)
        assert [s[:2] for s in served["top_scores"]] == [s[:2] for s in exact["top_scores"]]
        assert [s[2] for s in served["top_scores"]] == pytest.approx(
            [round(s[2], 3) for s in exact["top_scores"]], abs=1e-12
        )
        assert np.array_equal(served["score_grid"], np.round(exact["score_grid"], 3))
        assert all(isinstance(h, int) for h, _, _ in served["top_scores"])


def test_a_heavy_home_favourite_expects_more_home_goals_than_the_raw_dixon_coles_grid():
    raw = np.outer(np.full(4, 0.25), np.full(4, 0.25))
    conformed = score_grid.conform(raw, [0.7, 0.2, 0.1])
    assert score_grid.outcome_probabilities(conformed) == pytest.approx((0.7, 0.2, 0.1))
    goals = np.arange(4)
    assert conformed.sum(axis=1) @ goals > conformed.sum(axis=0) @ goals


def test_the_forecaster_pickles_and_forecasts_the_same(trained):
    _, frame, _, forecaster = trained
    row = frame.iloc[-1]
    features = row[list(forecaster.stats.features)].to_dict()
    again = pickle.loads(pickle.dumps(forecaster))
    a = forecaster.forecast(features, row["home_team"], row["away_team"], "E0")
    b = again.forecast(features, row["home_team"], row["away_team"], "E0")
    assert a == b
    assert isinstance(again.feature_config, FeatureConfig)
    assert np.isfinite(a["xg_home"])
