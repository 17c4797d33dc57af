"""Prediction errors that need no worker, through falcon's test client; every response is
checked against the OpenAPI document."""

import time

import falcon.testing
import pytest

from actors.bus import Bus
from api.app import create_app
from tests.api.openapi_check import check_response

FIXTURE = {"home_team": "Arsenal", "away_team": "Chelsea", "competition": "E0"}


def _client(settings):
    return falcon.testing.TestClient(create_app(settings, Bus.from_settings(settings)))


def _call(client, method, path, **kwargs):
    resp = client.simulate_request(method, path, **kwargs)
    check_response(method, path, resp.status_code, resp.json if resp.text else None)
    return resp


@pytest.fixture
def no_broker(base_settings):
    return _client(base_settings.replace(broker_url="amqp://guest:guest@127.0.0.1:1/%2F"))


def test_results_backend_down_is_a_quick_503_with_retry_after(base_settings):
    client = _client(base_settings.replace(results_url="redis://127.0.0.1:1/0"))
    started = time.monotonic()
    resp = _call(client, "POST", "/v1/predict", json=FIXTURE)
    assert time.monotonic() - started < 1
    assert resp.status_code == 503 and resp.headers["retry-after"] == "1"
    assert resp.json["error"]["code"] == "results_unavailable"


def test_broker_down_is_a_quick_503_for_sync_async_and_batch_predictions(no_broker):
    for path, body in (
        ("/v1/predict", FIXTURE),
        ("/v1/predictions", FIXTURE),
        ("/v1/predictions/batch", {"fixtures": [FIXTURE]}),
    ):
        started = time.monotonic()
        resp = _call(no_broker, "POST", path, json=body)
        assert time.monotonic() - started < 1
        assert resp.status_code == 503, path
        assert resp.json["error"]["code"] == "broker_unavailable"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"away_team": "Chelsea", "competition": "E0"}, "home_team"),
        ({**FIXTURE, "competition": 7}, "competition"),
        ({**FIXTURE, "kickoff": "next week"}, "kickoff"),
        ({**FIXTURE, "venue": "Emirates"}, "venue"),
        ({"match_id": "12"}, "match_id"),
        ({"match_id": 12, "home_team": "Arsenal"}, "match_id"),
        ({**FIXTURE, "prices": {"home": 1.0, "draw": 3.4, "away": 3.6}}, "prices.home"),
        ({**FIXTURE, "prices": {"home": 2.1, "draw": "3.4", "away": 3.6}}, "prices.draw"),
        ({**FIXTURE, "prices": {"home": 2.1, "draw": 3.4}}, "prices.away"),
        ({**FIXTURE, "prices": {"home": 2.1, "draw": 3.4, "away": 3.6, "x": 2}}, "prices.x"),
        ({"match_id": 12, "prices": [2.1, 3.4, 3.6]}, "prices"),
    ],
)
def test_an_invalid_fixture_is_a_422_naming_the_field(no_broker, body, field):
    resp = _call(no_broker, "POST", "/v1/predict", json=body)
    assert resp.status_code == 422
    assert resp.json["error"] == {
        "code": "invalid_field",
        "message": resp.json["error"]["message"],
        "field": field,
    }


@pytest.mark.parametrize(
    "prices", [{"home": 1.2, "draw": 1.5, "away": 1.9}, {"home": 9.0, "draw": 9.0, "away": 9.0}]
)
def test_prices_of_no_one_market_are_a_422_of_their_own_code(no_broker, prices):
    """Each price is valid, so the document allows them: the code tells the refusal apart."""
    resp = _call(no_broker, "POST", "/v1/predict", json={**FIXTURE, "prices": prices})
    assert resp.status_code == 422
    assert resp.json["error"]["code"] == "implausible_prices"
    assert resp.json["error"]["field"] == "prices"
    body = {"fixtures": [FIXTURE, {"match_id": 12, "prices": prices}]}
    resp = _call(no_broker, "POST", "/v1/predictions/batch", json=body)
    assert resp.status_code == 422
    assert resp.json["error"]["code"] == "implausible_prices"
    assert resp.json["error"]["field"] == "fixtures[1].prices"


def test_a_batch_names_the_fixture_at_fault(no_broker):
    body = {"fixtures": [FIXTURE, {**FIXTURE, "home_team": ""}]}
    resp = _call(no_broker, "POST", "/v1/predictions/batch", json=body)
    assert resp.status_code == 422 and resp.json["error"]["field"] == "fixtures[1].home_team"


def test_a_batch_names_the_price_at_fault(no_broker):
    priced = {**FIXTURE, "prices": {"home": 2.1, "draw": 3.4, "away": 3.6}}
    body = {"fixtures": [priced, {**priced, "prices": {**priced["prices"], "away": -1}}]}
    resp = _call(no_broker, "POST", "/v1/predictions/batch", json=body)
    assert resp.status_code == 422 and resp.json["error"]["field"] == "fixtures[1].prices.away"


def test_malformed_and_non_json_bodies_are_400_and_415(no_broker):
    resp = _call(
        no_broker, "POST", "/v1/predict", body="{", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    resp = _call(no_broker, "POST", "/v1/predict", body="x", headers={"Content-Type": "text/csv"})
    assert resp.status_code == 415


def test_a_body_over_64_kib_is_a_413(no_broker):
    resp = _call(no_broker, "POST", "/v1/predictions", json={"home_team": "x" * 70_000})
    assert resp.status_code == 413


def test_the_champion_is_a_503_before_any_worker_loaded_a_model(base_settings, tmp_path):
    settings = base_settings.replace(mlflow_tracking_uri=f"sqlite:///{tmp_path}/none.db")
    resp = _call(_client(settings), "GET", "/v1/models/champion")
    assert resp.status_code == 503 and resp.json["error"]["code"] == "no_model"


def test_bad_query_parameters_are_422(no_broker):
    resp = _call(no_broker, "GET", "/v1/fixtures", params={"from": "tomorrow"})
    assert resp.status_code == 422 and resp.json["error"]["field"] == "from"
    resp = _call(no_broker, "GET", "/v1/teams", params={"competition": "E0; drop"})
    assert resp.status_code == 422 and resp.json["error"]["field"] == "competition"
    resp = _call(no_broker, "GET", "/v1/scoreboard", params={"since": "last month"})
    assert resp.status_code == 422 and resp.json["error"]["field"] == "since"


def test_a_team_playing_itself_is_no_match_a_404_naming_the_field(no_broker):
    same = {**FIXTURE, "away_team": " arsenal "}
    for path in ("/v1/predict", "/v1/predictions"):
        resp = _call(no_broker, "POST", path, json=same)
        assert resp.status_code == 404, path
        assert resp.json["error"]["code"] == "same_team"
        assert resp.json["error"]["field"] == "away_team"


def test_a_team_playing_itself_in_a_batch_is_an_error_item_not_a_refused_batch(no_broker):
    body = {"fixtures": [{**FIXTURE, "away_team": "Arsenal"}]}
    resp = _call(no_broker, "POST", "/v1/predictions/batch", json=body)
    assert resp.status_code == 200
    [item] = resp.json["predictions"]
    assert item["error"]["code"] == "same_team"
    assert item["error"]["field"] == "fixtures[0].away_team"


def test_a_match_id_written_with_a_zero_fraction_is_an_integer(no_broker):
    resp = _call(no_broker, "POST", "/v1/predict", json={"match_id": 137737.0})
    assert resp.status_code == 503 and resp.json["error"]["code"] == "broker_unavailable"
    resp = _call(no_broker, "POST", "/v1/predict", json={"match_id": 137737.5})
    assert resp.status_code == 422 and resp.json["error"]["field"] == "match_id"


def test_a_competition_parameter_must_match_the_documented_pattern_to_its_end(no_broker):
    from api.openapi import document

    [param] = document()["paths"]["/v1/teams"]["get"]["parameters"]
    assert param["schema"]["pattern"] == r"^[A-Za-z0-9 .\-]{1,40}$"
    for value in ("", "E0\n", "x" * 41):
        resp = _call(no_broker, "GET", "/v1/teams", params={"competition": value})
        assert resp.status_code == 422 and resp.json["error"]["field"] == "competition"


def test_every_item_code_of_the_contracts_has_one_status_and_a_503_says_when_to_retry():
    from api.errors import STATUS_OF_CODE, coded_error, item_error
    from core import fixtures

    codes = [
        fixtures.NO_MODEL,
        fixtures.UNKNOWN_TEAM,
        fixtures.UNKNOWN_COMPETITION,
        fixtures.UNKNOWN_MATCH,
        fixtures.SAME_TEAM,
        fixtures.INVALID_FIXTURE,
    ]
    assert all(code in STATUS_OF_CODE for code in codes)
    assert coded_error(fixtures.NO_MODEL, "none yet").headers["Retry-After"] == "1"
    answer = item_error({"code": fixtures.UNKNOWN_TEAM, "message": "?", "candidates": ["A"]})
    assert (answer.status_code, answer.extra) == (404, {"candidates": ["A"]})
    assert item_error({"code": "made_up", "message": "?"}).status_code == 404


def test_an_unreachable_store_is_a_503_store_unavailable_with_retry_after(base_settings):
    from cli.processes import free_port

    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/footcast_test"
    client = _client(base_settings.replace(database_url=dead))
    resp = _call(client, "GET", "/v1/teams")
    assert resp.status_code == 503 and resp.headers["retry-after"] == "1"
    assert resp.json["error"]["code"] == "store_unavailable"
