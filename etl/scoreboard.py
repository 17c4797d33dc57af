"""How the served forecasts did: the scoreboard of ``footcast scoreboard`` and
``GET /v1/scoreboard``.

Every finished match forecast before kickoff is scored (RPS, log-loss, Brier; the same
definitions as ``ml.metrics``, in plain Python so the API needs no numpy) beside the
de-margined closing market, the benchmark, and the de-margined opening market, the prices
the priced model reads, on the same matches. Overall, per competition and per month, a
match counts once, with the latest forecast served before kickoff; per model version, each
version's latest forecast of it.

Closing-line value: for a forecast that read prices, the model's favourite outcome is
looked at in the market it saw and in the closing market (both de-margined); the price
moved towards the model when the closing probability moved from the seen one in the
direction of the model's (an unmoved price counts as not moved).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

OUTCOMES = ("home", "draw", "away")
#: Probabilities are clipped to this before the logarithm, so a confident miss is finite.
LOG_FLOOR = 1e-15
#: Equal-width bins of the reliability table.
RELIABILITY_BINS = 10

Probs = tuple[float, float, float]


def demargin(prices: Sequence[float]) -> Probs:
    """Implied probabilities 1/price scaled to sum to one (the proportional method)."""
    inv = [1.0 / float(p) for p in prices]
    total = sum(inv)
    home, draw, away = (v / total for v in inv)
    return home, draw, away


def rps(p: Probs, outcome: int) -> float:
    """Ranked probability score of one forecast (outcome 0 home, 1 draw, 2 away)."""
    hit = [1.0 if k == outcome else 0.0 for k in range(3)]
    first = p[0] - hit[0]
    second = p[0] + p[1] - hit[0] - hit[1]
    return (first**2 + second**2) / 2.0


def log_loss(p: Probs, outcome: int) -> float:
    return -math.log(min(max(p[outcome], LOG_FLOOR), 1.0))


def brier(p: Probs, outcome: int) -> float:
    """Brier score summed over the three outcomes (0 perfect, 2 worst)."""
    return sum((p[k] - (1.0 if k == outcome else 0.0)) ** 2 for k in range(3))


@dataclass(frozen=True)
class Scored:
    """One served forecast of a finished match, with both markets and the result."""

    match_id: int
    competition: str
    month: str  #: of the kickoff, YYYY-MM
    model_version: str
    served_at: dt.datetime
    model: Probs
    closing: Probs
    opening: Probs
    outcome: int
    moved_towards: bool | None  #: closing-line value; None when no prices were read

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Scored:
        model: Probs = (float(row["p_home"]), float(row["p_draw"]), float(row["p_away"]))
        closing = demargin([row["closing_home"], row["closing_draw"], row["closing_away"]])
        goals = int(row["home_goals"]) - int(row["away_goals"])
        seen = (row["inputs"] or {}).get("odds")
        return cls(
            match_id=int(row["match_id"]),
            competition=str(row["competition"]),
            month=row["kickoff_date"].strftime("%Y-%m"),
            model_version=str(row["model_version"]),
            served_at=row["served_at"],
            model=model,
            closing=closing,
            opening=demargin([row["opening_home"], row["opening_draw"], row["opening_away"]]),
            outcome=0 if goals > 0 else 1 if goals == 0 else 2,
            moved_towards=None if not seen else moved_towards(model, seen, closing),
        )


def moved_towards(model: Probs, seen: Mapping[str, float], closing: Probs) -> bool:
    """Whether the market of the model's favourite moved from ``seen`` (decimal prices)
    towards the model by the close."""
    favourite = max(range(3), key=lambda k: model[k])
    before = demargin([seen[k] for k in OUTCOMES])[favourite]
    return (closing[favourite] - before) * (model[favourite] - before) > 0


def _scores(forecasts: Iterable[Probs], outcomes: Sequence[int]) -> dict[str, float | None]:
    probs = list(forecasts)
    n = len(probs)
    if n == 0:
        return {"rps": None, "log_loss": None, "brier": None}
    return {
        name: sum(fn(p, o) for p, o in zip(probs, outcomes, strict=True)) / n
        for name, fn in (("rps", rps), ("log_loss", log_loss), ("brier", brier))
    }


def summary(scored: Sequence[Scored]) -> dict[str, Any]:
    """Counts and scores of the model, the closing and the opening market on ``scored``."""
    outcomes = [s.outcome for s in scored]
    priced = [s.moved_towards for s in scored if s.moved_towards is not None]
    return {
        "matches": len(scored),
        "model": _scores((s.model for s in scored), outcomes),
        "closing": _scores((s.closing for s in scored), outcomes),
        "opening": _scores((s.opening for s in scored), outcomes),
        "clv": {
            "matches": len(priced),
            "share": sum(priced) / len(priced) if priced else None,
        },
    }


def _grouped(scored: Sequence[Scored], field: str, label: str) -> list[dict[str, Any]]:
    groups: dict[str, list[Scored]] = {}
    for s in scored:
        groups.setdefault(getattr(s, field), []).append(s)
    return [{label: key, **summary(groups[key])} for key in sorted(groups)]


def reliability(scored: Sequence[Scored]) -> list[dict[str, Any]]:
    """Per outcome and probability bin: mean forecast, observed frequency, matches."""
    table = []
    for k, name in enumerate(OUTCOMES):
        bins: dict[int, list[Scored]] = {}
        for s in scored:
            b = min(int(s.model[k] * RELIABILITY_BINS), RELIABILITY_BINS - 1)
            bins.setdefault(b, []).append(s)
        for b in sorted(bins):
            members = bins[b]
            table.append(
                {
                    "outcome": name,
                    "bin_low": b / RELIABILITY_BINS,
                    "bin_high": (b + 1) / RELIABILITY_BINS,
                    "predicted": sum(s.model[k] for s in members) / len(members),
                    "observed": sum(s.outcome == k for s in members) / len(members),
                    "matches": len(members),
                }
            )
    return table


def scoreboard(
    rows: Iterable[Mapping[str, Any]], competition: str | None, since: dt.date | None
) -> dict[str, Any]:
    """The scoreboard of ``etl.store.scoreboard.served_results`` rows."""
    by_model = [Scored.of(row) for row in rows]
    latest: dict[int, Scored] = {}
    for s in by_model:
        if s.match_id not in latest or s.served_at > latest[s.match_id].served_at:
            latest[s.match_id] = s
    matches = sorted(latest.values(), key=lambda s: (s.month, s.match_id))
    return {
        "since": None if since is None else since.isoformat(),
        "competition": competition,
        "overall": summary(matches),
        "by_competition": _grouped(matches, "competition", "competition"),
        "by_month": _grouped(matches, "month", "month"),
        "by_model": _grouped(by_model, "model_version", "model_version"),
        "reliability": reliability(matches),
    }
