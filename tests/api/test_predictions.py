"""The prediction API against the real stack: gunicorn, a dramatiq worker, RabbitMQ, Redis,
PostgreSQL and an MLflow registry. Every response is checked against the OpenAPI document."""

import time

import pytest

from cli.ingest import announce_data_changed
from core.db import connect
from tests.serving_fixtures import FIXTURE, running_stack, serving_settings, serving_world, stack

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
__all__ = ["serving_settings", "serving_world", "stack"]


def _fixture(**changes):
    return {**FIXTURE, "kickoff": "2024-08-17", **changes}


def _logged(settings, query: str, rows: int = 1, timeout_s: float = 10) -> list[tuple]:
    """The log's rows for ``query`` once there are ``rows`` of them: a worker writes them
    just after its answer is stored."""
    deadline = time.monotonic() + timeout_s
    while True:
        with connect(settings) as conn:
            found = conn.execute(query).fetchall()
        if len(found) >= rows or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_a_sync_prediction_names_its_model_and_is_cached_the_second_time(stack):
    fixture = _fixture(kickoff="2024-08-24")
    status, first = stack.predict(fixture)
    assert status == 200
    assert first["cached"] is False
    assert first["model"]["name"] == "footcast-outcome" and first["model"]["version"]
    assert first["fixture"] == {
        "home_team": "Arsenal",
        "away_team": "Manchester United",
        "competition": "E0",
        "kickoff": "2024-08-24",
    }
    forecast = first["forecast"]
    assert forecast["p_home"] + forecast["p_draw"] + forecast["p_away"] == pytest.approx(
        1, abs=1e-5
    )
    assert forecast["xg_home"] > 0 and len(forecast["top_scores"]) == 5
    status, second = stack.predict(fixture)
    assert status == 200 and second["cached"] is True
    assert second["forecast"] == forecast and second["model"] == first["model"]


def test_any_known_spelling_of_a_team_gives_the_same_forecast(stack):
    _, canonical = stack.predict(_fixture(away_team="Manchester United", kickoff="2024-09-01"))
    _, alias = stack.predict(_fixture(away_team="man united", kickoff="2024-09-01"))
    assert alias["forecast"] == canonical["forecast"]


def test_an_unknown_team_is_a_404_naming_the_closest_known_teams(stack):
    status, body = stack.predict(_fixture(home_team="Arsenl"))
    assert status == 404
    assert body["error"]["code"] == "unknown_team"
    assert body["error"]["field"] == "home_team"
    assert body["error"]["candidates"][0] == "Arsenal"


def test_a_missing_field_is_a_422_naming_it(stack):
    status, body = stack.predict({"home_team": "Arsenal", "competition": "E0"})
    assert status == 422 and body["error"]["field"] == "away_team"


def test_an_async_prediction_is_queued_then_polled_to_done(stack):
    status, headers, body = stack.call("POST", "/v1/predictions", _fixture(kickoff="2024-10-05"))
    assert status == 202
    assert headers["location"] == f"/v1/predictions/{body['id']}"
    deadline = time.monotonic() + 30
    while True:
        status, _, polled = stack.call("GET", headers["location"])
        assert status == 200
        if polled["status"] != "queued":
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert polled["status"] == "done"
    assert polled["result"]["fixture"]["kickoff"] == "2024-10-05"


def test_an_async_prediction_of_an_unknown_team_polls_as_failed_with_the_error(stack):
    _, headers, _ = stack.call("POST", "/v1/predictions", _fixture(away_team="Chelsey FC"))
    deadline = time.monotonic() + 30
    while (polled := stack.call("GET", headers["location"])[2])["status"] == "queued":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert polled["status"] == "failed"
    assert polled["error"]["code"] == "unknown_team" and "Chelsea" in polled["error"]["candidates"]


def test_an_unknown_prediction_id_is_a_404(stack):
    status, _, body = stack.call("GET", "/v1/predictions/no-such-task")
    assert status == 404 and body["error"]["code"] == "unknown_prediction"


def test_a_matchday_is_answered_together_with_errors_in_place(stack):
    fixtures = [
        _fixture(kickoff="2024-11-09"),
        {"home_team": "Liverpool", "away_team": "Aston Villa", "competition": "E0"},
        _fixture(home_team="Nowhere Rovers"),
        {"match_id": 1},
    ]
    status, _, body = stack.call("POST", "/v1/predictions/batch", {"fixtures": fixtures})
    assert status == 200
    first, second, unknown, by_id = body["predictions"]
    assert first["fixture"]["away_team"] == "Manchester United"
    assert second["fixture"]["home_team"] == "Liverpool"
    assert unknown["error"]["code"] == "unknown_team"
    assert by_id["fixture"]["match_id"] == 1


def test_a_batch_over_100_fixtures_is_a_422(stack):
    status, _, body = stack.call("POST", "/v1/predictions/batch", {"fixtures": [FIXTURE] * 101})
    assert status == 422 and body["error"]["field"] == "fixtures"


def test_a_body_over_64_kib_is_a_413_and_non_json_a_415(stack):
    status, _, body = stack.call("POST", "/v1/predict", {"home_team": "x" * 70_000})
    assert status == 413 and body["error"]["code"] == "body_too_large"
    status, _, body = stack.call(
        "POST", "/v1/predict", raw=b"home=Arsenal", **{"Content-Type": "text/plain"}
    )
    assert status == 415


def test_teams_list_canonical_names_with_their_other_spellings(stack):
    status, _, body = stack.call("GET", "/v1/teams?competition=E0")
    assert status == 200
    teams = {t["name"]: t["aliases"] for t in body["teams"]}
    assert len(teams) == 25 and "Man United" in teams["Manchester United"]


def test_the_champion_is_described_with_its_backtest_metrics(stack):
    status, _, body = stack.call("GET", "/v1/models/champion")
    assert status == 200
    assert body["name"] == "footcast-outcome" and body["promoted_at"]
    assert "rps" in body["metrics"]
    assert body["backtest"]["priced"]["rps"] == body["metrics"]["rps"]


def test_fixtures_without_scheduled_matches_list_nothing(stack):
    status, _, body = stack.call("GET", "/v1/fixtures?competition=E0&from=2024-08-01&to=2024-08-31")
    assert status == 200 and body["fixtures"] == []
    status, _, body = stack.call("GET", "/v1/fixtures?from=2024-08-31&to=2024-08-01")
    assert status == 200 and body["fixtures"] == []  # an empty range


def test_metrics_count_requests_predictions_and_cache_lookups_of_every_api_process(stack):
    for _ in range(6):
        stack.predict(_fixture(kickoff="2024-12-26"))
    status, _, text = stack.call("GET", "/metrics")
    assert status == 200
    text = text.decode()
    assert 'footcast_http_requests_total{method="POST",route="/v1/predict",status="200"}' in text
    assert 'footcast_cache_lookups_total{result="hit"}' in text
    assert "footcast_queue_wait_seconds_count" in text
    assert 'footcast_model_info{name="footcast-outcome"' in text
    assert 'footcast_dead_letters{queue="ml"} 0.0' in text


def test_the_openapi_document_is_served(stack):
    status, _, body = stack.call("GET", "/openapi.json")
    assert status == 200 and body["openapi"] == "3.1.0"
    assert "/v1/predictions/{task_id}" in body["paths"]


def test_with_the_cache_down_predictions_are_still_served_and_readiness_degraded(
    serving_settings, tmp_path
):
    settings = serving_settings.replace(cache_url="redis://127.0.0.1:1/0")
    with running_stack(settings, tmp_path, api_workers=1) as api:
        from tests.serving_fixtures import wait_answered

        first = wait_answered(api, _fixture(kickoff="2025-01-04"))
        _, again = api.predict(_fixture(kickoff="2025-01-04"))
        status, _, ready = api.call("GET", "/health/ready")
    assert first["cached"] is False and again["cached"] is False
    assert again["forecast"] == first["forecast"]
    assert status == 200 and ready["checks"]["redis_cache"]["status"] == "degraded"


def test_past_the_sync_timeout_a_504_names_the_task_to_poll(serving_settings, tmp_path):
    settings = serving_settings.replace(predict_timeout_ms=1)
    with running_stack(settings, tmp_path, api_workers=1) as api:
        # no worker answers within 1 ms
        status, headers, body = api.call("POST", "/v1/predict", _fixture(kickoff="2025-02-01"))
        assert status == 504
        assert body["error"]["poll"] == f"/v1/predictions/{body['error']['id']}"
        assert headers["location"] == body["error"]["poll"]
        deadline = time.monotonic() + 90
        while (polled := api.call("GET", body["error"]["poll"])[2])["status"] == "queued":
            assert time.monotonic() < deadline
            time.sleep(0.5)
    assert polled["status"] == "done"


def _listed_priced(stack, path, timeout_s=30.0):
    """The one fixture ``path`` lists, once the workers have folded its prices in."""
    deadline = time.monotonic() + timeout_s
    while True:
        status, _, body = stack.call("GET", path)
        assert status == 200
        [listed] = body["fixtures"]
        if listed["prediction"]["inputs"]["prices"] == "store" or time.monotonic() > deadline:
            return listed
        time.sleep(0.2)


def test_upcoming_fixtures_are_listed_with_their_predictions(stack, serving_world):
    with connect(serving_world) as conn:
        conn.execute(
            "INSERT INTO matches (competition_id, season_id, home_team_id, away_team_id,"
            " kickoff_date, status) SELECT c.id, s.id, h.id, a.id, '2024-08-17', 'scheduled'"
            " FROM competitions c JOIN seasons s ON s.competition_id = c.id AND s.code = '2324'"
            " JOIN teams h ON h.name = 'Chelsea' JOIN teams a ON a.name = 'Arsenal'"
            " WHERE c.code = 'E0' ON CONFLICT DO NOTHING"
        )
        conn.execute(
            "INSERT INTO price_snapshots (match_id, seen_at, bookmaker, market, home, draw, away)"
            " SELECT m.id, '2024-08-15 09:00+00', 'PS', '1x2', 2.9, 3.5, 2.5 FROM matches m"
            " WHERE m.kickoff_date = '2024-08-17' AND m.status = 'scheduled'"
            " ON CONFLICT DO NOTHING"
        )
        conn.commit()
    announce_data_changed(stack.settings, [0])  # as a fixtures import does
    listed = _listed_priced(stack, "/v1/fixtures?competition=E0&from=2024-08-01&to=2024-08-31")
    assert (listed["home_team"], listed["away_team"], listed["kickoff"]) == (
        "Chelsea",
        "Arsenal",
        "2024-08-17",
    )
    assert listed["prediction"]["fixture"]["home_team"] == "Chelsea"
    assert listed["prediction"]["model"]["name"] == "footcast-outcome"
    inputs = listed["prediction"]["inputs"]
    assert inputs["prices"] == "store" and inputs["odds"] == {"home": 2.9, "draw": 3.5, "away": 2.5}
    assert inputs["priced_at"].startswith("2024-08-15T09:00")
    [(match_id,)] = _logged(
        serving_world,
        "SELECT match_id FROM prediction_log WHERE kickoff_date = '2024-08-17'"
        " AND home_team = 'Chelsea' AND inputs->>'prices' = 'store'",
    )
    assert match_id == listed["match_id"]


def test_a_priced_request_says_so_and_each_answer_is_logged_once_through_the_cache(
    stack, serving_world
):
    priced = _fixture(kickoff="2025-03-01", prices={"home": 1.8, "draw": 3.9, "away": 4.5})
    _, first = stack.predict(priced)
    _, again = stack.predict(priced)
    _, plain = stack.predict(_fixture(kickoff="2025-03-01"))
    assert first["cached"] is False and again["cached"] is True
    assert first["inputs"]["prices"] == again["inputs"]["prices"] == "request"
    assert first["inputs"]["market"]["home"] == pytest.approx(
        (1 / 1.8) / (1 / 1.8 + 1 / 3.9 + 1 / 4.5), abs=1e-6
    )
    assert plain["inputs"]["prices"] is None and plain["forecast"] != first["forecast"]
    assert first["warnings"] == ["stale_data"]
    assert plain["warnings"] == ["unpriced", "stale_data"]
    rows = _logged(
        serving_world,
        "SELECT inputs->>'prices', p_home FROM prediction_log"
        " WHERE kickoff_date = '2025-03-01' ORDER BY id",
        2,
    )
    assert rows == [("request", first["forecast"]["p_home"]), (None, plain["forecast"]["p_home"])]


def test_a_competition_the_champion_was_not_trained_on_is_a_422_naming_those_it_covers(stack):
    serie_a = {"home_team": "Roma", "away_team": "Lazio", "competition": "I1"}
    status, body = stack.predict(serie_a)
    assert status == 422
    assert body["error"]["code"] == "competition_not_covered"
    assert body["error"]["competitions"] == ["E0"] and body["error"]["field"] == "competition"
    status, _, body = stack.call("POST", "/v1/predictions/batch", {"fixtures": [serie_a, FIXTURE]})
    refused, answered = body["predictions"]
    assert status == 200 and refused["error"]["code"] == "competition_not_covered"
    assert "forecast" in answered


def test_an_answer_does_not_wait_for_its_log_row_which_follows_once_the_log_is_free(
    stack, serving_world
):
    fixture = _fixture(kickoff="2025-04-12")
    query = "SELECT p_home FROM prediction_log WHERE kickoff_date = '2025-04-12'"
    with connect(serving_world) as lock:
        lock.execute("LOCK TABLE prediction_log IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        status, answer = stack.predict(fixture)
        answered_s = time.monotonic() - started
        lock.rollback()
    assert status == 200 and answer["cached"] is False
    assert answered_s < 5, answered_s
    assert _logged(serving_world, query) == [(answer["forecast"]["p_home"],)]


def test_rows_the_log_refuses_go_on_in_a_message_and_are_written_once_it_takes_them(
    stack, serving_world
):
    fixture = _fixture(kickoff="2025-04-19")
    query = "SELECT p_home FROM prediction_log WHERE kickoff_date = '2025-04-19'"
    with connect(serving_world, autocommit=True) as conn:
        conn.execute("ALTER TABLE prediction_log RENAME TO prediction_log_away")
        try:
            status, answer = stack.predict(fixture)
            time.sleep(0.5)  # the write fails meanwhile; its rows are handed to log_served
        finally:
            conn.execute("ALTER TABLE prediction_log_away RENAME TO prediction_log")
    assert status == 200 and answer["cached"] is False
    assert _logged(serving_world, query, timeout_s=30) == [(answer["forecast"]["p_home"],)]
