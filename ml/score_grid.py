"""One forecast from one score grid: the 1X2, expected goals, over/under and likeliest scores.

The 1X2 of a forecast is an ensemble (Dixon-Coles pooled with a feature model, priced or
not), while the score grid is Dixon-Coles' alone; reading the goal markets off the raw grid
would make one answer disagree with itself (a 70 % home win beside even expected goals).
``conform`` rescales the grid's home-win, draw and away-win regions to the ensemble's 1X2,
which keeps Dixon-Coles' shape of the scores within each outcome, and ``summary`` reads
every other number off that one grid.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ml.models.base import FloatArray

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class _Layout:
    """What every grid of one size shares, computed once: a forecast reads a dozen numbers
    off an 11 x 11 grid, and building these index arrays each time cost as much as reading."""

    goals: npt.NDArray[np.int_]
    outcome: npt.NDArray[np.int_]  #: per cell, flattened: 0 home win, 1 draw, 2 away win
    regions: tuple[BoolArray, BoolArray, BoolArray]
    over_2_5: BoolArray
    btts: BoolArray


@functools.cache
def _layout(size: int) -> _Layout:
    h, a = np.indices((size, size))
    return _Layout(
        goals=np.arange(size),
        outcome=(np.sign(a - h) + 1).ravel(),
        regions=(h > a, h == a, h < a),
        over_2_5=(h + a) > 2,
        btts=(h > 0) & (a > 0),
    )


def conform(grid: FloatArray, probs: npt.ArrayLike) -> FloatArray:
    """``grid`` with its home-win, draw and away-win regions scaled to ``probs``."""
    out = np.array(grid, dtype=np.float64).ravel()
    out /= out.sum()
    outcome = _layout(len(grid)).outcome
    mass = np.bincount(outcome, weights=out, minlength=3)
    target = np.asarray(probs, dtype=np.float64)
    scale = np.divide(target, mass, out=np.ones(3), where=mass > 0)
    out *= scale[outcome]
    return np.asarray(out / out.sum()).reshape(len(grid), len(grid))


def outcome_probabilities(grid: FloatArray) -> tuple[float, float, float]:
    """(home win, draw, away win) probabilities a score grid implies."""
    home, draw, away = _layout(len(grid)).regions
    return float(grid[home].sum()), float(grid[draw].sum()), float(grid[away].sum())


#: Goals per side of the score grid an answer carries (0 to 5: the scores worth showing).
SHOWN_GOALS = 6


def summary(grid: FloatArray, top_scores: int) -> dict[str, Any]:
    """Expected goals, over 2.5 goals, both teams to score, the likeliest scores, and the
    grid's corner of 0 to ``SHOWN_GOALS - 1`` goals a side (rows: home goals)."""
    size = len(grid)
    layout = _layout(size)
    flat = grid.ravel()
    top = np.argpartition(flat, -top_scores)[-top_scores:]
    top = top[np.argsort(flat[top])[::-1]]
    return {
        "xg_home": float(grid.sum(axis=1) @ layout.goals),
        "xg_away": float(grid.sum(axis=0) @ layout.goals),
        "p_over_2_5": float(grid[layout.over_2_5].sum()),
        "p_btts": float(grid[layout.btts].sum()),
        "top_scores": [(int(i // size), int(i % size), float(flat[i])) for i in top],
        "score_grid": grid[:SHOWN_GOALS, :SHOWN_GOALS].tolist(),
    }
