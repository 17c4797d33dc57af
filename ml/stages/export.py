"""Stage ``export``: the store's validated finished matches and their 1X2 odds → parquet.

The store lives outside DVC, so the stage always runs (``always_changed``). The snapshot
depends on the data only: the store's surrogate ids (which follow the order files were
imported in) are replaced by ids derived from natural keys, and rows are sorted by those
keys, so the same files imported in any order give byte-identical parquet files and the
stages after ``export`` only run when the data changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pandas as pd
import psycopg

from core.db import connect
from core.settings import Settings
from etl.store.reads import load_matches, load_odds
from ml.params import load_params, section
from ml.stages.events import stage_events
from ml.stages.paths import Paths

#: A match's natural key: one league, one day, one pairing.
MATCH_KEY = ("competition", "kickoff_date", "home_team", "away_team")


def natural_id(*parts: object) -> int:
    """A positive 63-bit id from a natural key: equal keys give equal ids in every store."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def keyed(matches: pd.DataFrame, odds: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Matches and odds with natural-key ids in place of the store's, in natural-key order."""
    dates = matches["kickoff_date"].dt.strftime("%Y-%m-%d")
    ids = [
        natural_id(c, d, h, a)
        for c, d, h, a in zip(
            matches["competition"], dates, matches["home_team"], matches["away_team"], strict=True
        )
    ]
    stable = dict(zip(matches["match_id"].tolist(), ids, strict=True))
    out = matches.assign(
        match_id=pd.Series(ids, index=matches.index, dtype="int64"),
        home_team_id=matches["home_team"].map(natural_id).astype("int64"),
        away_team_id=matches["away_team"].map(natural_id).astype("int64"),
    )
    out = out.sort_values(["kickoff_date", "competition", "home_team"], kind="stable")
    order = {match_id: rank for rank, match_id in enumerate(out["match_id"])}
    prices = odds.assign(match_id=odds["match_id"].map(stable).astype("int64"))
    prices = prices.assign(_rank=prices["match_id"].map(order))
    prices = prices.sort_values(["_rank", "bookmaker", "kind"], kind="stable")
    return out.reset_index(drop=True), prices.drop(columns="_rank").reset_index(drop=True)


def export(
    conn: psycopg.Connection,
    competitions: Sequence[str] | None = None,
    seasons: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Matches (oldest first, validated batches only) and the odds of exactly those matches,
    keyed by natural-key ids."""
    matches = load_matches(conn, competitions, seasons, validated_only=True)
    odds = load_odds(conn, matches["match_id"].tolist() if competitions or seasons else None)
    odds = odds[odds["match_id"].isin(matches["match_id"])].reset_index(drop=True)
    return keyed(matches, odds)


def run(settings: Settings, params: dict[str, Any], paths: Paths) -> dict[str, int]:
    config = section(params, "export")
    with connect(settings) as conn:
        matches, odds = export(conn, config.get("competitions"), config.get("seasons"))
    paths.matches.parent.mkdir(parents=True, exist_ok=True)
    matches.to_parquet(paths.matches, index=False)
    odds.to_parquet(paths.odds, index=False)
    return {"matches": len(matches), "odds": len(odds)}


def main() -> None:
    settings = Settings.from_env()
    with stage_events("export", settings):
        print(run(settings, load_params(), Paths()))


if __name__ == "__main__":
    main()
