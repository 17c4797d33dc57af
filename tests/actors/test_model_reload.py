"""A new champion is served by running workers within seconds, without a restart, and the
old champion's cached predictions are never served again."""

import time

import pytest
import redis

from actors import contracts
from actors.bus import Bus
from core.cache import namespace
from ml import registry
from tests.serving_fixtures import (
    FIXTURE,
    running_stack,
    serving_settings,
    serving_world,
    train_and_register,
    wait_answered,
)

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.slow]
__all__ = ["serving_settings", "serving_world"]


def _wait_version(api, fixture, version, timeout_s=15.0):
    started = time.monotonic()
    while True:
        status, body = api.predict(fixture)
        assert status == 200
        if body["model"]["version"] == version:
            return body, time.monotonic() - started
        assert time.monotonic() - started < timeout_s, f"still {body['model']['version']}"
        time.sleep(0.2)


def _cached_versions(settings):
    client = redis.Redis.from_url(settings.cache_url)
    prefix = f"{namespace(settings)}prediction:"
    keys = client.scan_iter(f"{prefix}*")
    return {key.decode()[len(prefix) :].split(":")[0].split("-")[0] for key in keys}


def test_a_promotion_is_served_within_seconds_and_the_old_predictions_are_dropped(
    serving_settings, tmp_path
):
    fixture = {**FIXTURE, "kickoff": "2025-03-01"}
    with running_stack(serving_settings, tmp_path, api_workers=1) as api:
        old = wait_answered(api, fixture)
        _, again = api.predict(fixture)
        assert again["cached"] is True and again["model"] == old["model"]
        old_version = old["model"]["version"]
        assert old_version in _cached_versions(serving_settings)

        new_version = train_and_register(serving_settings, dc_weight=0.8)
        bus = Bus.from_settings(serving_settings)
        bus.send(contracts.model_promoted(new_version, old_version))
        bus.close()
        new, elapsed_s = _wait_version(api, fixture, new_version, timeout_s=10)
        assert new["forecast"]["p_home"] != old["forecast"]["p_home"]
        deadline = time.monotonic() + 10
        while old_version in _cached_versions(serving_settings):
            assert time.monotonic() < deadline, "old predictions still cached"
            time.sleep(0.2)
        for _ in range(5):
            _, body = api.predict(fixture)
            assert body["model"]["version"] == new_version
        time.sleep(0.5)  # the API re-reads the serving record at most every 0.5 s
        _, _, champion = api.call("GET", "/v1/models/champion")
        assert champion["version"] == new_version
    assert elapsed_s < 10


def test_a_worker_notices_a_new_champion_even_without_the_event(serving_settings, tmp_path):
    fixture = {**FIXTURE, "kickoff": "2025-03-08"}
    with running_stack(serving_settings, tmp_path, api_workers=1) as api:
        before = wait_answered(api, fixture)["model"]["version"]
        version = train_and_register(serving_settings, dc_weight=0.5, promote=False)
        registry.promote(serving_settings, version)
        _, elapsed_s = _wait_version(api, fixture, version, timeout_s=10)
    assert version != before and elapsed_s < 10
