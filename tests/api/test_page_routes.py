"""The page's routes and the CORS setting, through falcon's test client (no network)."""

import falcon.testing
import pytest

from actors.bus import Bus
from api.app import create_app
from core.errors import SettingsError
from core.settings import Settings

ORIGIN = "https://matchday.example"


def _client(settings):
    bus = Bus.from_settings(settings.replace(broker_url="amqp://guest:guest@127.0.0.1:1/%2F"))
    return falcon.testing.TestClient(create_app(settings, bus))


@pytest.fixture
def client(base_settings):
    return _client(base_settings)


def test_the_root_serves_the_matchday_page(client):
    resp = client.simulate_get("/")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/html")
    assert '<script src="/static/page.js"' in resp.text and "footcast" in resp.text


def test_the_page_scripts_and_styles_are_served_from_static(client):
    script = client.simulate_get("/static/page.js")
    style = client.simulate_get("/static/page.css")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert script.headers["cache-control"] == "max-age=300"


def test_a_missing_static_file_is_a_json_404_and_paths_cannot_escape(client):
    for path in ("/static/nope.js", "/static/../app.py", "/static/%2e%2e/app.py"):
        resp = client.simulate_get(path)
        assert resp.status_code == 404, path
        assert resp.json["error"]["code"] == "not_found"


def test_without_cors_origins_no_other_site_may_call_the_api(client):
    resp = client.simulate_get("/health/live", headers={"Origin": ORIGIN})
    assert resp.status_code == 200
    assert "access-control-allow-origin" not in resp.headers


def test_a_listed_origin_may_call_the_api_and_others_may_not(base_settings):
    client = _client(base_settings.replace(cors_origins=f"{ORIGIN}, https://other.example"))
    allowed = client.simulate_get("/health/live", headers={"Origin": ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    refused = client.simulate_get("/health/live", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in refused.headers
    preflight = client.simulate_options(
        "/v1/predict",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]


def test_cors_origins_must_be_origins_or_a_star():
    env = {"FOOTCAST_CORS_ORIGINS": "*"}
    assert Settings.from_env(env).cors_origin_list == ["*"]
    with pytest.raises(SettingsError, match="FOOTCAST_CORS_ORIGINS"):
        Settings.from_env({"FOOTCAST_CORS_ORIGINS": "matchday.example"})
