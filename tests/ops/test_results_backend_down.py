"""With the results Redis unreachable, the API answers 503 with Retry-After at once."""

import time

import falcon.testing
import pytest

from actors.bus import Bus
from api.app import create_app

pytestmark = [pytest.mark.integration]


def test_ping_answers_503_with_retry_after_in_under_a_second(broker_settings):
    settings = broker_settings.replace(results_url="redis://127.0.0.1:1/0")
    bus = Bus.from_settings(settings)
    client = falcon.testing.TestClient(create_app(settings, bus))
    try:
        started = time.perf_counter()
        resp = client.simulate_post("/v1/ping", json={"message": "anyone?"})
        elapsed_s = time.perf_counter() - started
    finally:
        bus.close()
    assert resp.status_code == 503
    assert resp.headers["retry-after"] == "1"
    assert resp.json["error"]["code"] == "results_unavailable"
    assert elapsed_s < 1.0
