"""The priced forecast: the de-margined opening market and the stats model pooled
log-linearly, with optional pre-kickoff signals (over/under 2.5, Asian handicap).

For a match with market probabilities ``m`` and the probabilities ``s_j`` of stats models
(``inputs``, e.g. Dixon-Coles and the multinomial), outcome k (home, draw, away) gets the
logit

    z_k = alpha * log m_k + sum_j beta_j * log s_jk + c_k + theta_k . x

(``c_home = 0``, ``theta_home = 0``: home is the reference), and the probabilities are the
softmax of ``z``. ``x`` are extra pre-kickoff signals (``ml.market.EXTRA_FEATURES``).
With ``alpha = 1`` and everything else zero it is the market itself; the fit is penalised
towards that point (``penalty`` pseudo-observations per parameter), so with little data it
stays the market and moves only as far as earlier matches show that the stats model and
the other prices add to it. It is fitted on out-of-sample forecasts (the walk-forward
backtest's), never on the matches it is scored on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from ml.models.base import FloatArray

#: Probabilities are floored here before the logarithm.
FLOOR = 1e-6


@dataclass(frozen=True)
class Stack:
    """Fitted parameters; ``inputs`` names the stats models, ``extras`` the ``x`` columns
    (empty: 1X2 prices only)."""

    alpha: float = 1.0
    beta: tuple[float, ...] = ()
    inputs: tuple[str, ...] = ()
    intercept: tuple[float, float] = (0.0, 0.0)  #: draw, away
    theta: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())  #: draw, away
    extras: tuple[str, ...] = ()
    n: int = 0  #: matches it was fitted on

    def proba(
        self,
        market: npt.ArrayLike,
        stats: Sequence[npt.ArrayLike],
        x: npt.ArrayLike | None = None,
    ) -> FloatArray:
        """``(n, 3)`` probabilities from ``(n, 3)`` market probabilities, one ``(n, 3)``
        array per stats model of ``inputs`` and the ``(n, len(extras))`` extra signals."""
        z = self.alpha * _logs(market)
        for beta, probs in zip(self.beta, stats, strict=True):
            z += beta * _logs(probs)
        z[:, 1] += self.intercept[0]
        z[:, 2] += self.intercept[1]
        if self.extras:
            xs = np.asarray(x, dtype=float).reshape(len(z), len(self.extras))
            z[:, 1] += xs @ np.asarray(self.theta[0])
            z[:, 2] += xs @ np.asarray(self.theta[1])
        return _softmax(z)

    def as_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "beta": list(self.beta),
            "inputs": list(self.inputs),
            "intercept": list(self.intercept),
            "theta": [list(t) for t in self.theta],
            "extras": list(self.extras),
            "n": self.n,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Stack:
        draw, away = data["theta"]
        return cls(
            alpha=float(data["alpha"]),
            beta=tuple(float(v) for v in data["beta"]),
            inputs=tuple(data["inputs"]),
            intercept=(float(data["intercept"][0]), float(data["intercept"][1])),
            theta=(tuple(float(v) for v in draw), tuple(float(v) for v in away)),
            extras=tuple(data["extras"]),
            n=int(data["n"]),
        )


def fit_stack(
    market: npt.ArrayLike,
    stats: Sequence[npt.ArrayLike],
    outcome: npt.ArrayLike,
    x: npt.ArrayLike | None = None,
    inputs: Sequence[str] = (),
    extras: Sequence[str] = (),
    penalty: float = 10.0,
) -> Stack:
    """Maximum likelihood, penalised by ``penalty * |params - market-only|^2``; with no
    matches it is the market itself. ``stats`` holds one array per name of ``inputs``."""
    m = _logs(market)
    s = [_logs(probs) for probs in stats]
    y = np.asarray(outcome, dtype=np.int64)
    n, k, d = len(y), len(inputs), len(extras)
    xs = np.zeros((n, 0)) if d == 0 else np.asarray(x, dtype=float).reshape(n, d)
    prior = np.zeros(3 + k + 2 * d)
    prior[0] = 1.0
    onehot = np.eye(3)[y]

    def loss(params: FloatArray) -> tuple[float, FloatArray]:
        alpha, betas = params[0], params[1 : 1 + k]
        c_draw, c_away = params[1 + k : 3 + k]
        t_draw, t_away = params[3 + k : 3 + k + d], params[3 + k + d :]
        z = alpha * m + sum((b * sj for b, sj in zip(betas, s, strict=True)), np.zeros_like(m))
        z[:, 1] += c_draw + xs @ t_draw
        z[:, 2] += c_away + xs @ t_away
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        r = np.exp(log_p) - onehot  # d(-log-likelihood)/dz
        grad = np.concatenate(
            [
                [(r * m).sum()],
                [(r * sj).sum() for sj in s],
                [r[:, 1].sum(), r[:, 2].sum()],
                xs.T @ r[:, 1],
                xs.T @ r[:, 2],
            ]
        )
        gap = params - prior
        value = -float((onehot * log_p).sum()) + penalty * float(gap @ gap)
        return value, grad + 2.0 * penalty * gap

    p = minimize(loss, prior.copy(), jac=True, method="L-BFGS-B").x if n else prior
    return Stack(
        alpha=float(p[0]),
        beta=tuple(map(float, p[1 : 1 + k])),
        inputs=tuple(inputs),
        intercept=(float(p[1 + k]), float(p[2 + k])),
        theta=(tuple(map(float, p[3 + k : 3 + k + d])), tuple(map(float, p[3 + k + d :]))),
        extras=tuple(extras),
        n=n,
    )


def _logs(probs: npt.ArrayLike) -> FloatArray:
    return np.log(np.clip(np.asarray(probs, dtype=float).reshape(-1, 3), FLOOR, 1.0))


def _softmax(z: FloatArray) -> FloatArray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True))
