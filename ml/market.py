"""The betting market as a forecast: pick one price per match and remove the margin.

Prices come from ``etl.store.load_odds`` rows (match_id, bookmaker, kind, home, draw, away),
decimal odds. The closing market is the benchmark a model is measured against; opening
prices were public before kickoff and may be used as model inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]

#: Preference order for the benchmark: Pinnacle closing, market average closing, then
#: average opening prices (``Avg`` from 2019-20, ``BbAv`` before).
CLOSING_PREFERENCE: tuple[tuple[str, str], ...] = (
    ("PS", "closing"),
    ("Avg", "closing"),
    ("BbAv", "closing"),
    ("Avg", "opening"),
    ("BbAv", "opening"),
)
#: Prices known before kickoff (football-data collects them days ahead), best first.
OPENING_PREFERENCE: tuple[tuple[str, str], ...] = (
    ("PS", "opening"),
    ("Avg", "opening"),
    ("BbAv", "opening"),
    ("B365", "opening"),
)
METHODS = ("proportional", "shin")
SHIN_ITERATIONS = 100


def demargin_proportional(prices: npt.ArrayLike) -> FloatArray:
    """Implied probabilities 1/price scaled to sum to one."""
    inv = 1.0 / np.asarray(prices, dtype=np.float64)
    return np.asarray(inv / inv.sum(axis=1, keepdims=True))


def demargin_shin(prices: npt.ArrayLike) -> FloatArray:
    """Shin's method: the margin is attributed to insider trading of share ``z``.

    Solves for ``z`` by the fixed-point iteration of Jullien and Salanié; it moves
    probability from long shots to favourites compared with the proportional method.
    """
    inv = 1.0 / np.asarray(prices, dtype=np.float64)
    booksum = inv.sum(axis=1, keepdims=True)
    n = inv.shape[1]
    z = np.zeros((len(inv), 1))
    for _ in range(SHIN_ITERATIONS):
        root = np.sqrt(z**2 + 4.0 * (1.0 - z) * inv**2 / booksum)
        z = np.clip((root.sum(axis=1, keepdims=True) - 2.0) / (n - 2), 0.0, 0.5)
    root = np.sqrt(z**2 + 4.0 * (1.0 - z) * inv**2 / booksum)
    probs = (root - z) / (2.0 * (1.0 - z))
    return np.asarray(probs / probs.sum(axis=1, keepdims=True))


def demargin(prices: npt.ArrayLike, method: str = "proportional") -> FloatArray:
    if method == "proportional":
        return demargin_proportional(prices)
    if method == "shin":
        return demargin_shin(prices)
    raise ValueError(f"unknown de-margining method {method!r}; expected one of {METHODS}")


def pick_prices(
    odds: pd.DataFrame, preference: tuple[tuple[str, str], ...] = CLOSING_PREFERENCE
) -> pd.DataFrame:
    """One price triple per match: the first (bookmaker, kind) of ``preference`` it has.

    Returns a frame indexed by match_id with home, draw, away and ``source`` ("PS/closing").
    Rows with a missing or non-positive price, or of another ``market`` than 1X2 (when the
    frame has that column), are ignored.
    """
    if "market" in odds.columns:
        odds = odds[odds["market"] == "1x2"]
    best = _preferred(odds, ["home", "draw", "away"], preference)
    return pd.DataFrame(
        {
            "home": best["home"].to_numpy(float),
            "draw": best["draw"].to_numpy(float),
            "away": best["away"].to_numpy(float),
            "source": (best["bookmaker"] + "/" + best["kind"]).to_numpy(),
        },
        index=pd.Index(best["match_id"].to_numpy(), name="match_id"),
    )


def market_probabilities(
    odds: pd.DataFrame,
    method: str = "proportional",
    preference: tuple[tuple[str, str], ...] = CLOSING_PREFERENCE,
) -> pd.DataFrame:
    """De-margined market forecast per match: p_home, p_draw, p_away, source."""
    prices = pick_prices(odds, preference)
    probs = demargin(prices[["home", "draw", "away"]].to_numpy(), method)
    return pd.DataFrame(
        {"p_home": probs[:, 0], "p_draw": probs[:, 1], "p_away": probs[:, 2]},
        index=prices.index,
    ).assign(source=prices["source"])


#: Model inputs derived from pre-kickoff (opening) prices; a stats-only model ignores them.
OPENING_FEATURES = (
    "open_p_home",
    "open_p_draw",
    "open_p_away",
    "open_logit_home",
    "open_logit_away",
)


def opening_features(odds: pd.DataFrame) -> pd.DataFrame:
    """Opening-price features per match_id: de-margined probabilities and their log-odds
    against the draw. Only ``OPENING_PREFERENCE`` prices are used, never closing ones."""
    probs = market_probabilities(odds, "proportional", OPENING_PREFERENCE)
    return opening_features_from_probs(
        probs[["p_home", "p_draw", "p_away"]].to_numpy(), probs.index
    )


def opening_feature_values(prices: Sequence[float]) -> dict[str, float]:
    """``OPENING_FEATURES`` of one fixture's decimal opening (home, draw, away) prices."""
    inv = [1.0 / float(p) for p in prices]
    total = sum(inv)
    p_home, p_draw, p_away = (max(v / total, 1e-6) for v in inv)
    return {
        "open_p_home": p_home,
        "open_p_draw": p_draw,
        "open_p_away": p_away,
        "open_logit_home": math.log(p_home / p_draw),
        "open_logit_away": math.log(p_away / p_draw),
    }


#: Pre-kickoff signals beyond the 1X2 prices: the log-odds of over 2.5 goals (the market's
#: expected total), the Asian handicap line of the home side and the log-odds of its home
#: price (together the market's expected supremacy).
EXTRA_FEATURES = ("ou_logit", "ah_line", "ah_logit")


def opening_extras(odds: pd.DataFrame) -> pd.DataFrame:
    """``EXTRA_FEATURES`` per match_id from the opening over/under 2.5 (``market`` 'ou2.5':
    over, under) and Asian handicap (``market`` 'ah': line, home, away) prices, each market
    from the first bookmaker of ``OPENING_PREFERENCE`` that priced it; NaN where missing."""
    empty = pd.DataFrame(columns=list(EXTRA_FEATURES), index=pd.Index([], name="match_id"))
    if "market" not in odds.columns:
        return empty.astype(float)
    totals = _preferred(odds[odds["market"] == "ou2.5"], ["over", "under"]).set_index("match_id")
    handicaps = _preferred(odds[odds["market"] == "ah"], ["line", "home", "away"])
    handicaps = handicaps.set_index("match_id")
    out = pd.DataFrame(
        {
            "ou_logit": np.log(totals["under"] / totals["over"]),
        }
    ).join(
        pd.DataFrame(
            {
                "ah_line": handicaps["line"],
                "ah_logit": np.log(handicaps["away"] / handicaps["home"]),
            }
        ),
        how="outer",
    )
    out.index.name = "match_id"
    return out.astype(float)


def _preferred(
    rows: pd.DataFrame,
    columns: list[str],
    preference: tuple[tuple[str, str], ...] = OPENING_PREFERENCE,
) -> pd.DataFrame:
    """Per match, the row of the first (bookmaker, kind) of ``preference`` that has every
    one of ``columns`` (prices above 1.0; a handicap ``line`` may be any number)."""
    valid = rows.dropna(subset=columns)
    prices = [c for c in columns if c != "line"]
    valid = valid[(valid[prices] > 1.0).all(axis=1)]
    rank = {pair: i for i, pair in enumerate(preference)}
    keys = list(zip(valid["bookmaker"], valid["kind"], strict=True))
    ranked = valid.assign(_rank=[rank.get(k, -1) for k in keys])
    ranked = ranked[ranked["_rank"] >= 0].sort_values(["match_id", "_rank"], kind="stable")
    return ranked.drop_duplicates("match_id", keep="first")


def extra_values(prices: Mapping[str, float]) -> dict[str, float] | None:
    """``EXTRA_FEATURES`` of one fixture's decimal prices (keys over, under, ah_line,
    ah_home, ah_away), or None when any is missing or not a price."""
    try:
        over, under = float(prices["over"]), float(prices["under"])
        line, home, away = (float(prices[k]) for k in ("ah_line", "ah_home", "ah_away"))
    except (KeyError, TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (over, under, line, home, away)):
        return None
    if min(over, under, home, away) <= 1.0:
        return None
    return {
        "ou_logit": math.log(under / over),
        "ah_line": line,
        "ah_logit": math.log(away / home),
    }


def opening_features_from_probs(probs: FloatArray, index: pd.Index) -> pd.DataFrame:
    p = np.clip(np.asarray(probs, dtype=float), 1e-6, 1.0)
    return pd.DataFrame(
        {
            "open_p_home": p[:, 0],
            "open_p_draw": p[:, 1],
            "open_p_away": p[:, 2],
            "open_logit_home": np.log(p[:, 0] / p[:, 1]),
            "open_logit_away": np.log(p[:, 2] / p[:, 1]),
        },
        index=index,
    )
