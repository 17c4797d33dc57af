"""Real football-data slices as the frames ``etl.store.load_matches``/``load_odds`` return,
read with the project's own parser (no database needed). The odds frame holds every market
(``market``: 1x2, ou2.5, ah, with ``over``, ``under`` and ``line``), as
``ml.backtest.run_on_store`` loads it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import pytest

from etl.records import STAT_FIELDS
from etl.sources.football_data import parse_csv, season_path

Frames = tuple[pd.DataFrame, pd.DataFrame]


def read_frames(data_dir: Path, leagues: Iterable[str], seasons: Iterable[str]) -> Frames:
    """Matches and odds of the given league seasons, match ids in kickoff order."""
    matches, odds = [], []
    for season in seasons:
        for league in leagues:
            raw = (data_dir / "football-data" / season_path(league, season)).read_bytes()
            for row in parse_csv(raw, league, season).rows:
                if row.status != "finished":
                    continue
                stats = dict(zip(STAT_FIELDS, row.stats or (None,) * len(STAT_FIELDS), strict=True))
                matches.append(
                    {
                        "competition": league,
                        "season": season,
                        "kickoff_date": pd.Timestamp(row.kickoff_date),
                        "home_team": row.home,
                        "away_team": row.away,
                        "home_goals": row.home_goals,
                        "away_goals": row.away_goals,
                        **stats,
                        "_odds": row.odds,
                    }
                )
    frame = pd.DataFrame(matches).sort_values("kickoff_date", kind="stable").reset_index(drop=True)
    frame.insert(0, "match_id", range(1, len(frame) + 1))
    for match_id, quotes in zip(frame["match_id"], frame["_odds"], strict=True):
        for q in quotes:
            prices = (q.home, q.draw, q.away, q.market, q.over, q.under, q.line)
            odds.append((match_id, q.bookmaker, q.kind, *prices))
    columns = ["match_id", "bookmaker", "kind", "home", "draw", "away"]
    columns += ["market", "over", "under", "line"]
    return frame.drop(columns="_odds"), pd.DataFrame(odds, columns=columns)


@pytest.fixture(scope="session")
def football_data(shared_data: Path) -> Callable[[Iterable[str], Iterable[str]], Frames]:
    cache: dict[tuple[tuple[str, ...], tuple[str, ...]], Frames] = {}

    def load(leagues: Iterable[str], seasons: Iterable[str]) -> Frames:
        key = (tuple(leagues), tuple(seasons))
        if key not in cache:
            cache[key] = read_frames(shared_data, *key)
        matches, odds = cache[key]
        return matches.copy(), odds.copy()

    return load
