"""The promotion policy: when a challenger may replace the champion.

Pure: it sees the two models' scores on the same backtest matches (the matches both were
forecast on, walk-forward) and the policy from ``params.yaml`` section ``promotion``, and
returns a decision with its reasons; the registry records both as tags on the version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from ml.errors import ParamsError
from ml.params import section

#: Metrics where a higher value is better; every other one is a loss.
HIGHER_IS_BETTER = frozenset({"accuracy"})
#: ``auto``: the policy moves ``champion``; ``manual``: a model stops as challenger and an
#: operator promotes it (``footcast model promote VERSION``).
MODES = ("auto", "manual")


@dataclass(frozen=True)
class PromotionPolicy:
    """``params.yaml`` section ``promotion``."""

    mode: str = "auto"  #: one of ``MODES``
    metric: str = "rps"  #: the score a challenger must improve
    min_improvement: float = 0.0005  #: in units of ``metric``; the challenger must win by this
    max_ece_increase: float = 0.001  #: calibration may not get worse by more than this
    min_common_matches: int = 300  #: fewer shared backtest matches is no evidence

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> PromotionPolicy:
        known = {f.name for f in fields(cls)}
        values = section(dict(params), "promotion")
        unknown = sorted(set(values) - known)
        if unknown:
            raise ParamsError(f"params.yaml section promotion has unknown keys: {unknown}")
        policy = cls(**values)
        if policy.mode not in MODES:
            raise ParamsError(f"promotion.mode must be one of {', '.join(MODES)}: {policy.mode!r}")
        if policy.min_improvement < 0 or policy.max_ece_increase < 0:
            raise ParamsError("promotion margins must not be negative")
        return policy


@dataclass(frozen=True)
class Decision:
    """Whether to promote, and why, in words an operator reads in ``footcast model status``."""

    promote: bool
    reasons: tuple[str, ...]

    def tags(self) -> dict[str, str]:
        return {
            "footcast.promotion.decision": "promote" if self.promote else "keep_champion",
            "footcast.promotion.reasons": "; ".join(self.reasons),
        }


def decide(
    challenger: Mapping[str, float],
    champion: Mapping[str, float] | None,
    policy: PromotionPolicy,
) -> Decision:
    """Compare scores of challenger and champion computed on the same matches.

    ``champion`` is None when there is no champion yet: the first model is promoted. Each
    mapping holds ``policy.metric``, ``ece`` and ``n`` (the number of shared matches).
    """
    if champion is None:
        return Decision(True, ("no champion yet",))
    metric = policy.metric
    for name, scores in (("challenger", challenger), ("champion", champion)):
        missing = [k for k in (metric, "ece", "n") if k not in scores]
        if missing:
            raise ParamsError(f"{name} scores lack {missing}")
    n = int(challenger["n"])
    if n < policy.min_common_matches:
        need = policy.min_common_matches
        return Decision(
            False, (f"only {n} backtest matches shared with the champion; need {need}",)
        )
    sign = -1.0 if metric in HIGHER_IS_BETTER else 1.0
    gain = sign * (champion[metric] - challenger[metric])
    ece_increase = challenger["ece"] - champion["ece"]
    reasons = [
        f"{metric} {challenger[metric]:.5f} vs champion {champion[metric]:.5f} on {n} matches"
        f" (improvement {gain:+.5f}, required {policy.min_improvement:.5f})",
        f"ece {challenger['ece']:.5f} vs champion {champion['ece']:.5f}"
        f" (increase {ece_increase:+.5f}, allowed {policy.max_ece_increase:.5f})",
    ]
    better = gain >= policy.min_improvement
    calibrated = ece_increase <= policy.max_ece_increase
    if not better:
        reasons.insert(0, f"{metric} does not improve enough")
    if not calibrated:
        reasons.insert(0, "calibration is worse")
    if better and calibrated:
        reasons.insert(0, f"beats the champion on {metric} without worse calibration")
    return Decision(better and calibrated, tuple(reasons))
