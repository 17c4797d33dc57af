"""The register stage's pieces: MLflow metric names, and a promotion the bus did not hear."""

from __future__ import annotations

import pytest

from core.settings import Settings
from ml.backtest_paths import by_path
from ml.errors import PublishFailed
from ml.stages.register import flat_metrics, publish_promoted

SCORES = {"rps": 0.19, "log_loss": 0.97, "n": 10.0}


def test_backtest_metrics_become_flat_mlflow_names_with_market_and_season_variants():
    summary = {
        "n": 10,
        "scores": {"model": SCORES, "market": {**SCORES, "rps": 0.18}},
        "by_season": {"2324": {"model": {"rps": 0.2}, "market": {"rps": 0.17}}},
    }
    assert flat_metrics(summary) == {
        "n_matches": 10.0,
        "rps": 0.19,
        "log_loss": 0.97,
        "rps_2324": 0.2,
        "market_rps": 0.18,
        "market_log_loss": 0.97,
        "market_rps_2324": 0.17,
    }


def test_both_paths_and_both_markets_are_logged_and_read_back_under_their_own_labels():
    scores = {
        "model": SCORES,
        "unpriced": {**SCORES, "rps": 0.2},
        "market_open": {**SCORES, "rps": 0.195},
        "market": {**SCORES, "rps": 0.18},
    }
    flat = flat_metrics({"n": 10, "scores": scores, "by_season": {}})
    assert (flat["rps"], flat["unpriced_rps"], flat["opening_market_rps"]) == (0.19, 0.2, 0.195)
    assert by_path(flat) == {
        "n": 10,
        "priced": {"rps": 0.19, "log_loss": 0.97},
        "unpriced": {"rps": 0.2, "log_loss": 0.97},
        "opening_market": {"rps": 0.195, "log_loss": 0.97},
        "closing_market": {"rps": 0.18, "log_loss": 0.97},
    }


@pytest.mark.integration
def test_a_promotion_the_bus_cannot_hear_fails_naming_the_command_to_rerun(base_settings: Settings):
    down = base_settings.replace(broker_url="amqp://guest:guest@127.0.0.1:1/%2F")
    with pytest.raises(PublishFailed, match="model publish-promoted 7 --previous 6"):
        publish_promoted(down, "7", "6")
