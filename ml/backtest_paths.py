"""The backtest of both serving paths side by side, as MLflow metric names and back.

A forecast is priced (the fixture's pre-kickoff prices are inputs) or unpriced (stats
only), and the two are not equally good, so each is reported with its own scores, beside
the de-margined opening market (the priced path's own input) and the closing market, all
on the same matches. The unprefixed names (``rps``, ``log_loss`` ...) stay the priced path's,
as they always were.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Who is scored in the evaluate summary (``scores``), and its MLflow metric prefix.
PREFIXES = {
    "model": "",
    "unpriced": "unpriced_",
    "market_open": "opening_market_",
    "market": "market_",
}
#: Report labels of the same, in report order.
LABELS = {
    "priced": "model",
    "unpriced": "unpriced",
    "opening_market": "market_open",
    "closing_market": "market",
}
#: Metrics reported per path.
REPORTED = ("rps", "log_loss", "brier", "accuracy", "ece")


def flat_metrics(summary: Mapping[str, Any]) -> dict[str, float]:
    """Backtest metrics as MLflow metric names: ``rps``, ``unpriced_rps``,
    ``opening_market_rps``, ``market_rps``, ``rps_2324`` …"""
    flat: dict[str, float] = {"n_matches": float(summary["n"])}
    for who, prefix in PREFIXES.items():
        if who not in summary["scores"]:
            continue
        for name, value in summary["scores"][who].items():
            if name != "n":
                flat[f"{prefix}{name}"] = float(value)
        for season, scored in summary["by_season"].items():
            if who in scored:
                flat[f"{prefix}rps_{season}"] = float(scored[who]["rps"])
    return flat


def by_path(metrics: Mapping[str, float]) -> dict[str, Any]:
    """Flat MLflow metrics grouped per path: ``{"n": …, "priced": {"rps": …}, "unpriced":
    …, "opening_market": …, "closing_market": …}``; a path the run did not log is absent."""
    grouped: dict[str, Any] = {}
    if "n_matches" in metrics:
        grouped["n"] = int(metrics["n_matches"])
    for label, who in LABELS.items():
        prefix = PREFIXES[who]
        found = {m: float(metrics[prefix + m]) for m in REPORTED if prefix + m in metrics}
        if found:
            grouped[label] = found
    return grouped
