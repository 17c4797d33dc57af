"""Scores of 1X2 forecasts: probabilities are ``(n, 3)`` arrays ordered home, draw, away.

Outcomes are integer codes (0 home win, 1 draw, 2 away win); every score is a mean over
matches, lower is better except accuracy.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

HOME, DRAW, AWAY = 0, 1, 2
#: Probabilities are clipped to this before the logarithm, so a confident miss is finite.
LOG_FLOOR = 1e-15
ECE_BINS = 10


def outcomes(home_goals: npt.ArrayLike, away_goals: npt.ArrayLike) -> IntArray:
    """Outcome codes from full-time goals."""
    diff = np.asarray(home_goals, dtype=np.int64) - np.asarray(away_goals, dtype=np.int64)
    return np.where(diff > 0, HOME, np.where(diff == 0, DRAW, AWAY)).astype(np.int64)


def _one_hot(outcome: IntArray) -> FloatArray:
    return np.eye(3)[np.asarray(outcome, dtype=np.int64)]


def rps(probs: FloatArray, outcome: IntArray) -> float:
    """Ranked probability score: half the summed squared gaps of the cumulative distributions.

    The outcomes are ordered (home, draw, away), so a home-win forecast scored against an
    away win is punished more than one scored against a draw.
    """
    gap = np.cumsum(probs, axis=1) - np.cumsum(_one_hot(outcome), axis=1)
    return float(np.mean(np.sum(gap[:, :2] ** 2, axis=1) / 2.0))


def log_loss(probs: FloatArray, outcome: IntArray) -> float:
    """Mean negative natural log of the probability given to what happened."""
    picked = probs[np.arange(len(outcome)), outcome]
    return float(-np.mean(np.log(np.clip(picked, LOG_FLOOR, 1.0))))


def brier(probs: FloatArray, outcome: IntArray) -> float:
    """Brier score summed over the three outcomes (0 perfect, 2 worst)."""
    return float(np.mean(np.sum((probs - _one_hot(outcome)) ** 2, axis=1)))


def accuracy(probs: FloatArray, outcome: IntArray) -> float:
    """Share of matches whose most probable outcome happened."""
    return float(np.mean(np.argmax(probs, axis=1) == outcome))


def ece(probs: FloatArray, outcome: IntArray, bins: int = ECE_BINS) -> float:
    """Expected calibration error, class-wise: for each outcome, forecasts are put in equal-
    width probability bins and the match-weighted gap between the mean forecast and the
    observed frequency is summed; the three outcomes are averaged."""
    hot = _one_hot(outcome)
    n = len(outcome)
    total = 0.0
    for k in range(3):
        p = probs[:, k]
        idx = np.minimum((p * bins).astype(np.int64), bins - 1)
        pred_sum = np.bincount(idx, weights=p, minlength=bins)
        hit_sum = np.bincount(idx, weights=hot[:, k], minlength=bins)
        total += float(np.sum(np.abs(pred_sum - hit_sum))) / n
    return total / 3.0


METRICS = {"rps": rps, "log_loss": log_loss, "brier": brier, "accuracy": accuracy, "ece": ece}


def score(probs: npt.ArrayLike, outcome: npt.ArrayLike) -> dict[str, float]:
    """Every metric of ``METRICS`` plus the number of matches ``n``."""
    p = np.asarray(probs, dtype=np.float64)
    o = np.asarray(outcome, dtype=np.int64)
    if p.ndim != 2 or p.shape[1] != 3 or len(p) != len(o):
        raise ValueError(f"expected probabilities of shape (n, 3) for {len(o)} outcomes: {p.shape}")
    result = {name: fn(p, o) for name, fn in METRICS.items()} if len(o) else {}
    result["n"] = float(len(o))
    return result
