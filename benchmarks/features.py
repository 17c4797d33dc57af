"""Feature and forecast speed on the store's validated matches; print JSON.

    .venv/bin/python benchmarks/features.py [--fixtures 2000]

``build_features_s`` walks every match through ``FeatureState`` (the history path; the
target is under 30 s for ~40k matches). Then, with a forecaster trained on the same
matches, it times the serving path per fixture: ``fixture_features_us`` (reading the
state), ``forecast_stats_us`` and ``forecast_odds_us`` (the in-memory forecast without and
with opening prices), and ``update_us`` (folding one result in). Per-fixture times are
medians and 99th percentiles in microseconds.
"""

from __future__ import annotations

import argparse
import json
import pickle
import time

import numpy as np

from core.db import connect
from core.settings import Settings
from etl.store.reads import load_matches, load_odds
from ml.backtest import prepare_frame
from ml.features import FeatureConfig, FeatureState, build_features
from ml.training import ModelSpecs, train_forecaster


def _timed_us(calls: list) -> dict[str, float]:
    times = []
    for call in calls:
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1e6)
    return {
        "median": round(float(np.median(times)), 1),
        "p99": round(float(np.percentile(times, 99)), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fixtures", type=int, default=2000)
    args = parser.parse_args()
    settings = Settings.from_env()
    with connect(settings) as conn:
        matches = load_matches(conn)
        odds = load_odds(conn, matches["match_id"].tolist())

    started = time.perf_counter()
    build_features(matches)
    build_features_s = time.perf_counter() - started

    frame = prepare_frame(matches, odds)
    forecaster = train_forecaster(frame, ModelSpecs(), FeatureConfig(), dc_weight=0.2)
    state = FeatureState()
    build_features(matches, state=state)
    sample = matches.tail(args.fixtures).to_dict("records")
    fixtures = [
        (r["home_team"], r["away_team"], r["competition"], r["kickoff_date"]) for r in sample
    ]
    features = [state.fixture_features(*f) for f in fixtures]
    prices = [2.1, 3.4, 3.6]
    result = {
        "matches": len(matches),
        "build_features_s": round(build_features_s, 2),
        "matches_per_s": round(len(matches) / build_features_s),
        "fixtures": len(fixtures),
        "fixture_features_us": _timed_us(
            [lambda f=f: state.fixture_features(*f) for f in fixtures]
        ),
        "forecast_stats_us": _timed_us(
            [
                lambda x=x, f=f: forecaster.forecast(x, f[0], f[1], f[2])
                for x, f in zip(features, fixtures, strict=True)
            ]
        ),
        "forecast_odds_us": _timed_us(
            [
                lambda x=x, f=f: forecaster.forecast(x, f[0], f[1], f[2], prices)
                for x, f in zip(features, fixtures, strict=True)
            ]
        ),
        "update_us": _timed_us([lambda r=r: state.update(r) for r in sample]),
        "forecaster_pickle_bytes": len(pickle.dumps(forecaster)),
        "state_pickle_bytes": len(pickle.dumps(state)),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
