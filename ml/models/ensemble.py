"""A linear pool of two fitted models' probabilities, the weight chosen by a backtest."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from ml.metrics import rps
from ml.models.base import FloatArray, OutcomeModel

#: Candidate weights of the first model tried by ``choose_weight``.
WEIGHT_GRID = np.round(np.linspace(0.0, 1.0, 21), 2)


class Ensemble:
    """``weight * first + (1 - weight) * second``; both members are fitted together."""

    def __init__(
        self, first: OutcomeModel, second: OutcomeModel, weight: float, name: str = "ensemble"
    ) -> None:
        self.first = first
        self.second = second
        self.weight = weight
        self.name = name

    def fit(self, train: pd.DataFrame) -> Ensemble:
        self.first.fit(train)
        self.second.fit(train)
        return self

    def predict_proba(self, frame: pd.DataFrame) -> FloatArray:
        return pool(self.first.predict_proba(frame), self.second.predict_proba(frame), self.weight)


def pool(first: FloatArray, second: FloatArray, weight: float) -> FloatArray:
    return np.asarray(weight * first + (1.0 - weight) * second)


def choose_weight(first: FloatArray, second: FloatArray, outcome: npt.NDArray[np.int64]) -> float:
    """The grid weight of ``first`` whose pool has the lowest RPS on these outcomes."""
    scores = [rps(pool(first, second, w), outcome) for w in WEIGHT_GRID]
    return float(WEIGHT_GRID[int(np.argmin(scores))])
