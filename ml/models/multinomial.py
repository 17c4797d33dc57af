"""Multinomial logistic regression on standardised pre-kickoff features (scikit-learn).

Fitted by maximum likelihood with an L2 penalty, so its probabilities are calibrated on the
training data; ``temperature`` then rescales the logits by a factor fitted on the most recent
``calibration_fraction`` of the training matches, held out from a first fit, which corrects
the overconfidence a model shows on matches it has not seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression

from ml.errors import InsufficientData, NotFitted
from ml.features import FEATURE_NAMES
from ml.models.base import FloatArray, outcome_codes, single_threaded
from ml.params import known_fields, section

MIN_MATCHES = 200


@dataclass(frozen=True)
class MultinomialConfig:
    """``params.yaml`` section ``train.multinomial`` (and its variants)."""

    features: tuple[str, ...] = FEATURE_NAMES
    C: float = 0.1  #: inverse L2 penalty, scikit-learn's name
    calibration_fraction: float = 0.15  #: 0 disables temperature scaling
    refit_days: int = 91
    max_iter: int = 100
    solver: str = "newton-cholesky"

    @classmethod
    def from_params(cls, params: dict[str, Any], *keys: str) -> MultinomialConfig:
        values = known_fields(cls, section(params, *keys), ".".join(keys))
        if "features" in values:
            values["features"] = tuple(values["features"])
        return cls(**values)


class Multinomial:
    """Logistic regression over ``config.features``; rows missing a feature are an error."""

    def __init__(self, config: MultinomialConfig | None = None, name: str = "multinomial") -> None:
        self.config = config or MultinomialConfig()
        self.name = name
        self.mean: FloatArray | None = None
        self.scale: FloatArray | None = None
        self.coef: FloatArray | None = None  #: (3, n_features), on standardised features
        self.intercept: FloatArray | None = None
        self.temperature = 1.0

    def _matrix(self, frame: pd.DataFrame) -> FloatArray:
        missing = [f for f in self.config.features if f not in frame.columns]
        if missing:
            raise KeyError(f"{self.name} needs features missing from the frame: {missing}")
        return frame[list(self.config.features)].to_numpy(dtype=float)

    def _fit_lr(self, x: FloatArray, y: np.ndarray) -> tuple[FloatArray, ...]:
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale == 0] = 1.0
        lr = LogisticRegression(
            C=self.config.C, max_iter=self.config.max_iter, solver=self.config.solver
        )
        lr.fit((x - mean) / scale, y)
        return mean, scale, np.asarray(lr.coef_), np.asarray(lr.intercept_)

    def fit(self, train: pd.DataFrame) -> Multinomial:
        with single_threaded():
            return self._fit(train)

    def _fit(self, train: pd.DataFrame) -> Multinomial:
        x = self._matrix(train)
        ok = ~np.isnan(x).any(axis=1)
        x, y = x[ok], outcome_codes(train)[ok]
        if len(y) < MIN_MATCHES:
            raise InsufficientData(
                f"{self.name}: {len(y)} matches with features, need {MIN_MATCHES}"
            )
        self.temperature = 1.0
        held = int(len(y) * self.config.calibration_fraction)
        if held >= MIN_MATCHES:
            order = np.argsort(train["kickoff_date"].to_numpy()[ok], kind="stable")
            first, last = order[:-held], order[-held:]
            mean, scale, coef, intercept = self._fit_lr(x[first], y[first])
            logits = ((x[last] - mean) / scale) @ coef.T + intercept
            self.temperature = _fit_temperature(logits, y[last])
        self.mean, self.scale, self.coef, self.intercept = self._fit_lr(x, y)
        return self

    def logits(self, x: FloatArray) -> FloatArray:
        if self.coef is None or self.mean is None or self.scale is None or self.intercept is None:
            raise NotFitted(f"{self.name}.predict_proba before fit")
        return np.asarray(
            (((x - self.mean) / self.scale) @ self.coef.T + self.intercept) / self.temperature
        )

    def predict_proba(self, frame: pd.DataFrame) -> FloatArray:
        return softmax(self.logits(self._matrix(frame)))


def softmax(logits: FloatArray) -> FloatArray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return np.asarray(z / z.sum(axis=1, keepdims=True))


def _fit_temperature(logits: FloatArray, y: np.ndarray) -> float:
    def loss(t: float) -> float:
        p = softmax(logits / t)
        return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-15, None))))

    return float(minimize_scalar(loss, bounds=(0.5, 2.0), method="bounded").x)
