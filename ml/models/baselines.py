"""Forecasts any model must beat: a coin with three sides and the league's base rates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.errors import NotFitted
from ml.models.base import FloatArray, outcome_codes


class Uniform:
    """One third each: the floor of all floors."""

    name = "uniform"

    def fit(self, train: pd.DataFrame) -> Uniform:
        return self

    def predict_proba(self, frame: pd.DataFrame) -> FloatArray:
        return np.full((len(frame), 3), 1.0 / 3.0)


class BaseRates:
    """Each league's home/draw/away frequencies in the training data, the same for every match."""

    name = "base_rates"

    def __init__(self) -> None:
        self.rates: dict[str, FloatArray] = {}
        self.overall: FloatArray | None = None

    def fit(self, train: pd.DataFrame) -> BaseRates:
        codes = outcome_codes(train)
        self.overall = np.bincount(codes, minlength=3) / max(len(codes), 1)
        self.rates = {
            str(comp): np.bincount(codes[(train["competition"] == comp).to_numpy()], minlength=3)
            / int((train["competition"] == comp).sum())
            for comp in train["competition"].unique()
        }
        return self

    def predict_proba(self, frame: pd.DataFrame) -> FloatArray:
        if self.overall is None:
            raise NotFitted("BaseRates.predict_proba before fit")
        overall = self.overall
        return np.array([self.rates.get(str(c), overall) for c in frame["competition"]]).reshape(
            len(frame), 3
        )
