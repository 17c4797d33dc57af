"""One forecast from one score grid: the 1X2, expected goals, over/under and likeliest scores.

The 1X2 of a forecast is an ensemble (Dixon-Coles pooled with a feature model, priced or
not), while the score grid is Dixon-Coles' alone; reading the goal markets off the raw grid
would make one answer disagree with itself (a 70 % home win beside even expected goals).
``conform`` rescales the grid's home-win, draw and away-win regions to the ensemble's 1X2,
which keeps Dixon-Coles' shape of the scores within each outcome, and ``summaries`` reads
every other number off that one grid. Both take a stack of grids, one per fixture of a
batch, and work on all of them at once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ml.models.base import FloatArray


@dataclass(frozen=True)
class _Layout:
    """What every grid of one size shares, computed once: a forecast reads a dozen numbers
    off an 11 x 11 grid, and building these index arrays each time cost as much as reading.
    Each number is a weighted sum of the cells, so one matrix product reads them all."""

    outcome: npt.NDArray[np.int_]  #: per cell, flattened: 0 home win, 1 draw, 2 away win
    outcomes: FloatArray  #: the same as one column per outcome (cells x 3) of ones and zeros
    #: Per cell (cells x 4): home goals, away goals, over 2.5 goals, both teams scored.
    reads: FloatArray


@functools.cache
def _layout(size: int) -> _Layout:
    h, a = (axis.ravel() for axis in np.indices((size, size)))
    outcome = np.sign(a - h) + 1
    return _Layout(
        outcome=outcome,
        outcomes=np.eye(3)[outcome],
        reads=np.stack([h, a, h + a > 2, (h > 0) & (a > 0)], axis=1).astype(np.float64),
    )


def conform(grid: FloatArray, probs: npt.ArrayLike) -> FloatArray:
    """``grid`` with its home-win, draw and away-win regions scaled to ``probs``; or each
    grid of a stack ``(n, h, a)`` scaled to its row of ``(n, 3)`` probabilities."""
    shape = np.shape(grid)
    size = shape[-1]
    out = np.array(grid, dtype=np.float64).reshape(-1, size * size)
    out /= out.sum(axis=1, keepdims=True)
    layout = _layout(size)
    mass = out @ layout.outcomes
    target = np.asarray(probs, dtype=np.float64).reshape(mass.shape)
    scale = np.divide(target, mass, out=np.ones_like(mass), where=mass > 0)
    out *= scale[:, layout.outcome]
    return np.asarray(out / out.sum(axis=1, keepdims=True)).reshape(shape)


def outcome_probabilities(grids: FloatArray) -> FloatArray:
    """(home win, draw, away win) probabilities each grid of a stack ``(n, h, a)`` implies,
    ``(n, 3)``; of one grid ``(h, a)``, ``(3,)``."""
    shape = np.shape(grids)
    flat = np.asarray(grids, dtype=np.float64).reshape(-1, shape[-1] ** 2)
    return np.asarray(flat @ _layout(shape[-1]).outcomes).reshape(*shape[:-2], 3)


#: Goals per side of the score grid an answer carries (0 to 5: the scores worth showing).
SHOWN_GOALS = 6


def summaries(
    grids: FloatArray, top_scores: int, decimals: int | None = None
) -> list[dict[str, Any]]:
    """Of each grid of a stack ``(n, h, a)``: expected goals, over 2.5 goals, both teams to
    score, the likeliest scores, and the grid's corner of 0 to ``SHOWN_GOALS - 1`` goals a
    side (rows: home goals); every number rounded to ``decimals`` when given."""
    n, size, _ = grids.shape
    flat = grids.reshape(n, size * size)
    top = np.argsort(-flat, axis=1, kind="stable")[:, :top_scores]
    reads, p_top, shown = (
        rounded_lists(values, decimals)
        for values in (
            flat @ _layout(size).reads,
            flat[np.arange(n)[:, None], top],
            grids[:, :SHOWN_GOALS, :SHOWN_GOALS],
        )
    )
    return [
        {
            "xg_home": xg_home,
            "xg_away": xg_away,
            "p_over_2_5": over,
            "p_btts": btts,
            "top_scores": [(c // size, c % size, p) for c, p in zip(cells, p_top[i], strict=True)],
            "score_grid": shown[i],
        }
        for i, ((xg_home, xg_away, over, btts), cells) in enumerate(
            zip(reads, top.tolist(), strict=True)
        )
    ]


def rounded_lists(values: FloatArray, decimals: int | None) -> list[Any]:
    """``values`` as nested lists, rounded to ``decimals`` when given (one numpy pass for a
    whole stack rather than a Python call per number)."""
    return (values if decimals is None else np.round(values, decimals)).tolist()
