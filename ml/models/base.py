"""The interface every outcome model follows, and what models share."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import pandas as pd
from threadpoolctl import threadpool_limits

from ml.metrics import outcomes

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@runtime_checkable
class OutcomeModel(Protocol):
    """Fitted on finished matches, gives home/draw/away probabilities for any rows.

    Frames are ``etl.store.load_matches`` rows joined with their ``build_features`` columns;
    ``predict_proba`` returns an ``(n, 3)`` array [home, draw, away] whose rows sum to one.
    Models are picklable.
    """

    name: str

    def fit(self, train: pd.DataFrame) -> OutcomeModel: ...

    def predict_proba(self, frame: pd.DataFrame) -> FloatArray: ...


def outcome_codes(frame: pd.DataFrame) -> npt.NDArray[np.int64]:
    """0 home win, 1 draw, 2 away win of each finished row."""
    return outcomes(frame["home_goals"].to_numpy(), frame["away_goals"].to_numpy())


def normalise(probs: FloatArray) -> FloatArray:
    return np.asarray(probs / probs.sum(axis=1, keepdims=True))


def single_threaded() -> AbstractContextManager[Any]:
    """Run BLAS and OpenMP on one thread: the fits here are small matrices, and on a busy
    machine extra threads spin against other processes and make a fit many times slower."""
    return threadpool_limits(limits=1)
