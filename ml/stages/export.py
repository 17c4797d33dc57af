"""Stage ``export``: the store's validated finished matches and their 1X2 odds → parquet.

The store lives outside DVC, so the stage always runs (``always_changed``); its outputs are
byte-identical when the data is, so the stages after it only run when the data changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import psycopg

from core.db import connect
from core.settings import Settings
from etl.store.reads import load_matches, load_odds
from ml.params import load_params, section
from ml.stages.paths import Paths


def export(
    conn: psycopg.Connection,
    competitions: Sequence[str] | None = None,
    seasons: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Matches (oldest first, validated batches only) and the odds of exactly those matches."""
    matches = load_matches(conn, competitions, seasons, validated_only=True)
    odds = load_odds(conn, matches["match_id"].tolist() if competitions or seasons else None)
    odds = odds[odds["match_id"].isin(matches["match_id"])].reset_index(drop=True)
    return matches, odds


def run(settings: Settings, params: dict[str, Any], paths: Paths) -> dict[str, int]:
    config = section(params, "export")
    with connect(settings) as conn:
        matches, odds = export(conn, config.get("competitions"), config.get("seasons"))
    paths.matches.parent.mkdir(parents=True, exist_ok=True)
    matches.to_parquet(paths.matches, index=False)
    odds.to_parquet(paths.odds, index=False)
    return {"matches": len(matches), "odds": len(odds)}


def main() -> None:
    print(run(Settings.from_env(), load_params(), Paths()))


if __name__ == "__main__":
    main()
