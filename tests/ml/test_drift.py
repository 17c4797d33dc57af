"""Feature drift: the PSI itself, and a check of scheduled fixtures run by a real ``ml``
worker on the serving world, stored and exported as metrics."""

from __future__ import annotations

import datetime as dt

import falcon.testing
import numpy as np
import pytest

from actors import contracts
from actors.bus import Bus
from api.app import create_app
from core.db import connect
from etl.store.drift import latest_drift
from ml.drift import HORIZON_DAYS, psi
from ml.features import FEATURE_NAMES
from tests.page.matchday import schedule, season_teams, unschedule
from tests.serving_fixtures import serving_settings, serving_world

__all__ = ["serving_settings", "serving_world"]

#: A matchday no other test schedules: the fixtures of the check.
DAY = dt.date(2031, 8, 16)


def test_the_psi_is_zero_for_the_same_distribution_and_large_for_a_shifted_one():
    rng = np.random.default_rng(7)
    reference = rng.normal(0, 1, 5000)
    assert psi(reference, rng.normal(0, 1, 5000)) == pytest.approx(0, abs=0.02)
    assert 0.1 < psi(reference, rng.normal(0.5, 1, 5000)) < 0.5
    assert psi(reference, rng.normal(3, 1, 5000)) > 2
    # NaNs (features a match has not got) are left out; a side without values gives None
    with_gaps = np.concatenate([reference, np.full(100, np.nan)])
    assert psi(with_gaps, reference) == pytest.approx(0, abs=1e-12)
    assert psi(reference, np.full(3, np.nan)) is None


@pytest.mark.integration
@pytest.mark.e2e
def test_a_drift_check_by_a_real_worker_is_stored_and_exported(serving_settings, start_worker):
    teams = season_teams(serving_settings)
    pairs = list(zip(teams[::2], teams[1::2], strict=True))
    schedule(serving_settings, [(DAY, home, away) for home, away in pairs])
    try:
        start_worker(serving_settings, queues=["ml"], threads=2)
        bus = Bus.from_settings(serving_settings)
        try:
            report = bus.wait(bus.send(contracts.check_drift(DAY.isoformat())), 120_000)
        finally:
            bus.close()
    finally:
        unschedule(serving_settings, DAY, DAY + dt.timedelta(days=HORIZON_DAYS))
    assert report["fixtures"] == len(pairs) == 10
    # the year before the last result: 2023-24 and the last days of 2022-23
    assert 380 < report["reference_matches"] < 400
    assert set(report["psi"]) <= set(FEATURE_NAMES) and len(report["psi"]) > 20
    assert all(value >= 0 for value in report["psi"].values())
    # fixtures years after the last result: the rest days are off every reference bin
    assert report["psi"]["home_rest_days"] > 1
    with connect(serving_settings) as conn:
        stored = latest_drift(conn)
    assert stored is not None and stored["psi"] == report["psi"]
    assert (stored["day"], stored["fixtures"]) == (DAY, 10)

    text = falcon.testing.TestClient(create_app(serving_settings)).simulate_get("/metrics").text
    assert "footcast_feature_drift_fixtures 10.0" in text
    value = report["psi"]["home_rest_days"]
    assert f'footcast_feature_drift_psi{{feature="home_rest_days"}} {value}' in text
