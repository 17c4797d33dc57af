"""The promotion policy: pure decisions from scores on shared backtest matches."""

from __future__ import annotations

import pytest

from ml.errors import ParamsError
from ml.promotion import Decision, PromotionPolicy, decide

POLICY = PromotionPolicy(
    metric="rps", min_improvement=0.001, max_ece_increase=0.002, min_common_matches=100
)
CHAMPION = {"rps": 0.2000, "ece": 0.020, "log_loss": 0.99, "accuracy": 0.52, "n": 500.0}


def scores(**changes: float) -> dict[str, float]:
    return {**CHAMPION, **changes}


def test_the_first_model_is_promoted_when_there_is_no_champion():
    decision = decide(scores(rps=0.25), None, POLICY)
    assert decision.promote
    assert decision.reasons == ("no champion yet",)


def test_a_challenger_better_by_the_margin_with_no_worse_calibration_is_promoted():
    decision = decide(scores(rps=0.1985, ece=0.021), CHAMPION, POLICY)
    assert decision.promote
    assert "beats the champion" in decision.reasons[0]


def test_a_challenger_better_by_less_than_the_margin_is_not_promoted():
    decision = decide(scores(rps=0.1995), CHAMPION, POLICY)
    assert not decision.promote
    assert decision.reasons[0] == "rps does not improve enough"


def test_a_worse_challenger_is_not_promoted():
    assert not decide(scores(rps=0.21), CHAMPION, POLICY).promote


def test_a_better_but_worse_calibrated_challenger_is_not_promoted():
    decision = decide(scores(rps=0.19, ece=0.0225), CHAMPION, POLICY)
    assert not decision.promote
    assert decision.reasons[0] == "calibration is worse"


def test_too_few_shared_matches_are_no_evidence():
    decision = decide(scores(rps=0.15, n=99.0), scores(n=99.0), POLICY)
    assert not decision.promote
    assert "only 99 backtest matches" in decision.reasons[0]


def test_accuracy_as_the_metric_counts_higher_as_better():
    policy = PromotionPolicy(metric="accuracy", min_improvement=0.01, min_common_matches=1)
    assert decide(scores(accuracy=0.54), CHAMPION, policy).promote
    assert not decide(scores(accuracy=0.50), CHAMPION, policy).promote


def test_decision_tags_record_the_verdict_and_its_reasons():
    tags = Decision(False, ("rps does not improve enough", "rps 0.2 vs 0.2")).tags()
    assert tags == {
        "footcast.promotion.decision": "keep_champion",
        "footcast.promotion.reasons": "rps does not improve enough; rps 0.2 vs 0.2",
    }


def test_the_policy_is_read_from_params_and_rejects_unknown_keys_and_negative_margins():
    params = {"promotion": {"metric": "log_loss", "min_improvement": 0.002}}
    assert PromotionPolicy.from_params(params) == PromotionPolicy(
        metric="log_loss", min_improvement=0.002
    )
    with pytest.raises(ParamsError, match="unknown keys"):
        PromotionPolicy.from_params({"promotion": {"margin": 0.1}})
    with pytest.raises(ParamsError, match="negative"):
        PromotionPolicy.from_params({"promotion": {"max_ece_increase": -0.1}})


def test_the_promotion_mode_is_auto_unless_params_say_manual_and_nothing_else():
    assert PromotionPolicy.from_params({"promotion": {}}).mode == "auto"
    assert PromotionPolicy.from_params({"promotion": {"mode": "manual"}}).mode == "manual"
    with pytest.raises(ParamsError, match=r"promotion\.mode must be one of auto, manual"):
        PromotionPolicy.from_params({"promotion": {"mode": "sometimes"}})


def test_scores_lacking_the_metric_are_an_error():
    with pytest.raises(ParamsError, match="lack"):
        decide({"ece": 0.1, "n": 500.0}, CHAMPION, POLICY)
