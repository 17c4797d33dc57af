import json

import numpy as np
import pytest

from ml.backtest import BacktestConfig, prepare_frame, report, run_backtest, summarise

pytestmark = pytest.mark.slow

SEASONS = ("1516", "1617", "1718", "1819", "1920")


@pytest.fixture(scope="module")
def result(football_data):
    matches, odds = football_data(("E0",), SEASONS)
    config = BacktestConfig(test_seasons=("1920",), warmup_seasons=("1819",))
    return run_backtest(matches, odds, config)


def test_a_short_walk_forward_backtest_scores_every_model_and_the_market(result):
    summary = summarise(result)
    overall = summary[(summary["competition"] == "ALL") & (summary["season"] == "ALL")].set_index(
        "model"
    )
    expected = {
        "uniform",
        "base_rates",
        "elo",
        "dixon_coles",
        "multinomial",
        "multinomial_odds",
        "ensemble",
        "ensemble_odds",
        "stacked_1x2",
        "market",
        "market_shin",
        "market_open",
    }
    assert set(overall.index) == expected
    assert (overall["n"] == 380).all()
    # useful models sit between the coin and the closing market
    for name in ("elo", "dixon_coles", "multinomial", "ensemble", "ensemble_odds"):
        assert (
            overall.loc["market", "rps"] < overall.loc[name, "rps"] < overall.loc["uniform", "rps"]
        )


def test_the_opening_market_baseline_is_the_pinnacle_opening_prices_without_their_margin(
    result, football_data
):
    matches, odds = football_data(("E0",), SEASONS)
    pinnacle = odds[
        (odds["bookmaker"] == "PS") & (odds["kind"] == "opening") & (odds["market"] == "1x2")
    ]
    pinnacle = pinnacle.set_index("match_id")
    season = matches[matches["season"] == "1920"].set_index("match_id")
    assert season.index.isin(pinnacle.index).all()  # every match has Pinnacle's opening prices
    by_hand = []
    for match_id, match in season.iterrows():
        inverse = [1.0 / pinnacle.loc[match_id, side] for side in ("home", "draw", "away")]
        p_home, p_draw, _ = (v / sum(inverse) for v in inverse)
        diff = match["home_goals"] - match["away_goals"]
        home_won, not_lost = float(diff > 0), float(diff >= 0)
        by_hand.append(((p_home - home_won) ** 2 + (p_home + p_draw - not_lost) ** 2) / 2.0)
    summary = summarise(result)
    row = summary[
        (summary["model"] == "market_open")
        & (summary["competition"] == "ALL")
        & (summary["season"] == "ALL")
    ].iloc[0]
    assert row["n"] == 380
    assert row["rps"] == pytest.approx(np.mean(by_hand), abs=1e-12)


def test_each_seasons_priced_stack_is_fitted_on_earlier_seasons_only(result):
    stacks = result.stacks["stacked_1x2"]
    assert (stacks["1819"].n, stacks["1920"].n, stacks["final"].n) == (0, 380, 760)
    warmup = result.predictions[result.predictions["season"] == "1819"]
    # with nothing earlier to learn from, the priced forecast is the opening market itself
    np.testing.assert_allclose(
        warmup[[f"stacked_1x2_{o}" for o in ("home", "draw", "away")]].to_numpy(float),
        warmup[[f"market_open_{o}" for o in ("home", "draw", "away")]].to_numpy(float),
        atol=1e-6,
    )
    assert stacks["1920"].inputs == ("dixon_coles", "multinomial")


def test_forecasts_are_probabilities_for_every_match_and_warmup_is_not_reported(result):
    probs = result.probs("ensemble_odds")
    assert np.isfinite(probs).all()
    assert probs.sum(axis=1) == pytest.approx(np.ones(len(probs)))
    assert set(result.predictions["season"]) == {"1819", "1920"}
    assert set(summarise(result)["season"]) == {"ALL", "1920"}
    assert set(result.ensemble_weights["ensemble"]) == {"1819", "1920", "final"}


def test_the_report_is_json_with_the_gap_to_the_market(result):
    data = json.loads(json.dumps(report(result)))
    assert data["n"] == 380
    assert data["scores"]["market"]["n"] == 380
    assert data["vs_market"]["ensemble"]["rps_pct"] > 0
    assert data["scores"]["market_open"]["n"] == 380
    assert set(data["vs_opening_market"]) == set(result.models)
    assert data["stacks"]["stacked_1x2"]["1920"]["n"] == 380


def test_forecasts_do_not_depend_on_results_after_their_window(football_data):
    matches, odds = football_data(("E0",), SEASONS)
    config = BacktestConfig(test_seasons=("1920",), warmup_seasons=())
    frame = prepare_frame(matches, odds)
    cut = frame[frame["season"] == "1920"]["day"].min() + 7
    scrambled = matches.copy()
    late = frame.set_index("match_id").loc[scrambled["match_id"], "day"].to_numpy() >= cut
    scrambled.loc[late, ["home_goals", "away_goals"]] = scrambled.loc[
        late, ["away_goals", "home_goals"]
    ].to_numpy()
    first = run_backtest(matches, odds, config, frame=frame).predictions
    second = run_backtest(scrambled, odds, config).predictions
    window = first["kickoff_date"] < first["kickoff_date"].min() + np.timedelta64(7, "D")
    cols = [c for c in first.columns if c.startswith(("dixon_coles_", "multinomial_", "ensemble_"))]
    np.testing.assert_allclose(
        first.loc[window, cols].to_numpy(float), second.loc[window, cols].to_numpy(float)
    )
