"""Feature drift: how far the coming fixtures' features have moved from what the model
learned on.

The population stability index (PSI) of each feature compares the scheduled fixtures of
the next ``HORIZON_DAYS`` (their features as the serving state computes them, so exactly
what the champion reads) with the finished matches of the ``REFERENCE_DAYS`` before the
store's last result (their features from the same walk training uses). The bins are the
reference's deciles. Under 0.1 is the usual mark of a stable feature, over 0.25 of a
shift worth a look: a new season's promoted sides, a rule change, a broken source.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg

from core.db import connect
from core.settings import Settings
from etl.store.drift import record_drift
from etl.store.fixtures import upcoming_fixtures
from etl.store.reads import load_matches
from ml.features import FEATURE_NAMES, FeatureState, build_features
from ml.serving import Serving

#: Finished matches compared with: the year before the store's last result.
REFERENCE_DAYS = 365
#: Fixtures compared: those kicking off in the two weeks from the check's day.
HORIZON_DAYS = 14
#: Reference quantile bins per feature.
BINS = 10
#: Floor of a bin's share, so an empty bin gives a large but finite PSI.
MIN_SHARE = 1e-4
#: Most fixtures read in one check.
MAX_FIXTURES = 5000


@dataclass(frozen=True)
class DriftReport:
    day: dt.date
    fixtures: int
    reference_matches: int
    psi: dict[str, float]  #: features with values on both sides


def psi(reference: np.ndarray, current: np.ndarray, bins: int = BINS) -> float | None:
    """The population stability index of ``current`` against ``reference`` (NaNs left
    out); None when either side has no values."""
    reference = reference[np.isfinite(reference)]
    current = current[np.isfinite(current)]
    if not len(reference) or not len(current):
        return None
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))

    def shares(values: np.ndarray) -> np.ndarray:
        counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
        return np.clip(counts / len(values), MIN_SHARE, None)

    expected, actual = shares(reference), shares(current)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def feature_drift(conn: psycopg.Connection, state: FeatureState, day: dt.date) -> DriftReport:
    """PSI per feature between the fixtures from ``day`` and the reference year; ``state``
    is the serving state (every finished match folded in) whose settings the walk uses."""
    matches = load_matches(conn)
    fixtures = upcoming_fixtures(
        conn, competition=None, start=day, end=day + dt.timedelta(days=HORIZON_DAYS),
        limit=MAX_FIXTURES,
    )  # fmt: skip
    if not len(matches) or not fixtures:
        return DriftReport(day, len(fixtures), 0, {})
    walked = build_features(matches, state.config)
    start = matches["kickoff_date"].max() - pd.Timedelta(days=REFERENCE_DAYS)
    reference = walked[(matches["kickoff_date"] > start).to_numpy()]
    sides = [
        (f["home_team"], f["away_team"], f["competition"], f["kickoff_date"]) for f in fixtures
    ]
    current = pd.DataFrame(
        [state.fixture_features(*side) for side in sides], columns=list(FEATURE_NAMES)
    )
    found = {
        name: psi(reference[name].to_numpy(float), current[name].to_numpy(float))
        for name in FEATURE_NAMES
    }
    return DriftReport(
        day, len(fixtures), len(reference),
        {name: round(value, 6) for name, value in found.items() if value is not None},
    )  # fmt: skip


def check_drift(settings: Settings, serving: Serving, day: dt.date) -> DriftReport:
    """Compare the fixtures from ``day`` with the reference year on ``serving``'s state and
    record the check (``etl.store.drift``)."""
    current = serving.keeper.current
    with connect(settings) as conn:
        report = feature_drift(conn, current.state, day)
        record_drift(
            conn, day=day, model_version=current.model_version, fixtures=report.fixtures,
            reference_matches=report.reference_matches, psi=report.psi,
        )  # fmt: skip
        conn.commit()
    return report
