"""One forecast from one score grid: the 1X2, expected goals, over/under and likeliest scores.

The 1X2 of a forecast is an ensemble (Dixon-Coles pooled with a feature model, priced or
not), while the score grid is Dixon-Coles' alone; reading the goal markets off the raw grid
would make one answer disagree with itself (a 70 % home win beside even expected goals).
``conform`` rescales the grid's home-win, draw and away-win regions to the ensemble's 1X2,
which keeps Dixon-Coles' shape of the scores within each outcome, and ``summary`` reads
every other number off that one grid.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ml.models.base import FloatArray

BoolArray = npt.NDArray[np.bool_]


def _regions(size: int) -> tuple[BoolArray, BoolArray, BoolArray]:
    h, a = np.indices((size, size))
    return h > a, h == a, h < a


def conform(grid: FloatArray, probs: npt.ArrayLike) -> FloatArray:
    """``grid`` with its home-win, draw and away-win regions scaled to ``probs``."""
    out = np.array(grid, dtype=np.float64)
    out /= out.sum()
    for region, p in zip(_regions(len(out)), np.asarray(probs, dtype=np.float64), strict=True):
        mass = out[region].sum()
        if mass > 0:
            out[region] *= float(p) / mass
    return np.asarray(out / out.sum())


def outcome_probabilities(grid: FloatArray) -> tuple[float, float, float]:
    """(home win, draw, away win) probabilities a score grid implies."""
    home, draw, away = _regions(len(grid))
    return float(grid[home].sum()), float(grid[draw].sum()), float(grid[away].sum())


def summary(grid: FloatArray, top_scores: int) -> dict[str, Any]:
    """Expected goals, over 2.5 goals, both teams to score and the likeliest scores."""
    size = len(grid)
    goals = np.arange(size)
    h, a = np.indices((size, size))
    flat = grid.ravel()
    top = np.argpartition(flat, -top_scores)[-top_scores:]
    top = top[np.argsort(flat[top])[::-1]]
    return {
        "xg_home": float(grid.sum(axis=1) @ goals),
        "xg_away": float(grid.sum(axis=0) @ goals),
        "p_over_2_5": float(grid[(h + a) > 2].sum()),
        "p_btts": float(grid[(h > 0) & (a > 0)].sum()),
        "top_scores": [(int(i // size), int(i % size), float(flat[i])) for i in top],
    }
