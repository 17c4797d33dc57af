"""The API's error format, through falcon's test client (no network)."""

import falcon.testing
import pytest

from actors.bus import Bus
from api.app import create_app


@pytest.fixture
def client(base_settings):
    bus = Bus.from_settings(base_settings.replace(broker_url="amqp://guest:guest@127.0.0.1:1/%2F"))
    return falcon.testing.TestClient(create_app(base_settings, bus))


def test_unknown_route_is_a_json_404(client):
    resp = client.simulate_get("/nope")
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json["error"]["code"] == "not_found"


def test_malformed_json_is_a_400_in_the_error_format(client):
    resp = client.simulate_post(
        "/v1/ping", body="{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert resp.json == {
        "error": {"code": "malformed_json", "message": "the request body is not valid JSON"}
    }


def test_wrong_content_type_is_a_415(client):
    resp = client.simulate_post(
        "/v1/ping", body="queue=ops", headers={"Content-Type": "text/plain"}
    )
    assert resp.status_code == 415
    assert resp.json["error"]["code"] == "unsupported_media_type"


def test_invalid_field_is_a_422_naming_the_field(client):
    resp = client.simulate_post("/v1/ping", json={"queue": "nowhere"})
    assert resp.status_code == 422
    assert resp.json["error"]["field"] == "queue"


def test_body_over_64_kib_is_a_413(client):
    resp = client.simulate_post("/v1/ping", json={"message": "x" * 70_000})
    assert resp.status_code == 413
    assert resp.json["error"]["code"] == "body_too_large"


def test_method_not_allowed_is_json_too(client):
    resp = client.simulate_delete("/health/live")
    assert resp.status_code == 405
    assert resp.json["error"]["code"] == "method_not_allowed"


def test_broker_down_is_a_quick_503_with_retry_after(client):
    resp = client.simulate_post("/v1/ping", json={"message": "hi"})
    assert resp.status_code == 503
    assert resp.headers["retry-after"] == "1"
    assert resp.json["error"]["code"] == "broker_unavailable"


def test_every_response_carries_a_request_id_and_echoes_a_given_one(client):
    assert len(client.simulate_get("/health/live").headers["x-request-id"]) == 32
    given = client.simulate_get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
