"""What a served forecast reads (prices from the store or the request), what it warns
about, and the prediction log it leaves: a real serving state, real Redis and PostgreSQL."""

import datetime as dt

import pytest

from core.db import connect
from ml.serving import Serving, predict_fixtures
from ml.serving_state import has_priced_path
from tests.serving_fixtures import FIXTURE, serving_world

pytestmark = [pytest.mark.integration]
__all__ = ["serving_world"]

REQUEST = {"home": 2.1, "draw": 3.4, "away": 3.6}
#: Snapshots of the last stored match: (days before its kickoff date, prices); a negative
#: number of days is a snapshot seen after kickoff, which no forecast may read.
SNAPSHOTS = [(2, (2.0, 3.5, 4.0)), (1, (1.9, 3.6, 4.2)), (-0.8, (1.2, 6.0, 12.0))]


@pytest.fixture(scope="module")
def serving(serving_world):
    return Serving.load(serving_world)


@pytest.fixture(scope="module")
def last_match(serving_world, serving):
    """The store's last match as a fixture, with price snapshots around its kickoff that the
    serving state has picked up (as a ``data_changed`` event makes it)."""
    with connect(serving_world) as conn:
        match_id, day, home, away = conn.execute(
            "SELECT m.id, m.kickoff_date, ht.name, at.name FROM matches m"
            " JOIN teams ht ON ht.id = m.home_team_id JOIN teams at ON at.id = m.away_team_id"
            " ORDER BY m.kickoff_date DESC, m.id DESC LIMIT 1"
        ).fetchone()
        midnight = dt.datetime.combine(day, dt.time(), dt.UTC)
        for days, (h, d, a) in SNAPSHOTS:
            conn.execute(
                "INSERT INTO price_snapshots (match_id, seen_at, bookmaker, market, home, draw,"
                " away) VALUES (%s, %s, 'PS', '1x2', %s, %s, %s)",
                (match_id, midnight - dt.timedelta(days=days), h, d, a),
            )
        conn.commit()
    assert serving.refresh(force=True, data=True)
    yield {
        "match_id": match_id,
        "seen_at": midnight - dt.timedelta(days=1),
        "fixture": {"home_team": home, "away_team": away, "competition": "E0", "kickoff": str(day)},
    }
    with connect(serving_world) as conn:
        conn.execute("DELETE FROM price_snapshots WHERE match_id = %s", (match_id,))
        conn.commit()
    serving.refresh(force=True, data=True)


def _logged(settings, kickoff):
    with connect(settings) as conn:
        return conn.execute(
            "SELECT match_id, model_version, run_id, inputs, p_home, served_at"
            " FROM prediction_log WHERE kickoff_date = %s ORDER BY id",
            (kickoff,),
        ).fetchall()


def test_a_stored_fixture_reads_its_latest_prices_seen_before_kickoff(serving, last_match):
    [answer] = predict_fixtures(serving, [last_match["fixture"]])
    inputs = answer["inputs"]
    assert answer["fixture"]["match_id"] == last_match["match_id"]
    assert inputs["prices"] == "store" and inputs["bookmaker"] == "PS"
    assert inputs["odds"] == {"home": 1.9, "draw": 3.6, "away": 4.2}
    assert dt.datetime.fromisoformat(inputs["priced_at"]) == last_match["seen_at"]
    implied = [1 / 1.9, 1 / 3.6, 1 / 4.2]
    assert list(inputs["market"].values()) == pytest.approx(
        [p / sum(implied) for p in implied], abs=1e-6
    )
    assert inputs["data_through"] == last_match["fixture"]["kickoff"]
    assert answer["warnings"] == []
    current = serving.keeper.current
    unpriced = current.forecast(answer["fixture"], current.features(answer["fixture"]))
    assert unpriced["forecast"]["p_home"] != answer["forecast"]["p_home"]


def test_prices_in_the_request_win_over_the_stores(serving, last_match):
    [stored] = predict_fixtures(serving, [last_match["fixture"]])
    [asked] = predict_fixtures(serving, [{**last_match["fixture"], "prices": REQUEST}])
    assert asked["inputs"]["prices"] == "request" and asked["inputs"]["odds"] == REQUEST
    assert asked["inputs"]["priced_at"] is None and asked["inputs"]["bookmaker"] is None
    assert asked["forecast"]["p_home"] != stored["forecast"]["p_home"]


def test_an_unpriced_fixture_far_past_the_last_result_says_so(serving):
    assert has_priced_path(serving.keeper.current.forecaster)
    [answer] = predict_fixtures(serving, [{**FIXTURE, "kickoff": "2030-06-01"}])
    assert answer["inputs"]["prices"] is None and answer["inputs"]["market"] is None
    assert answer["inputs"]["data_through"] == "2024-05-19"
    assert answer["warnings"] == ["unpriced", "stale_data"]
    [soon] = predict_fixtures(serving, [{**FIXTURE, "kickoff": "2024-06-01", "prices": REQUEST}])
    assert soon["warnings"] == []


def test_a_priced_and_an_unpriced_answer_are_different_cache_entries(serving):
    plain = {**FIXTURE, "kickoff": "2030-02-02"}
    priced = {**plain, "prices": {"home": 2.2, "draw": 3.3, "away": 3.5}}
    [first_plain] = predict_fixtures(serving, [plain])
    [first_priced] = predict_fixtures(serving, [priced])
    again_plain, again_priced = predict_fixtures(serving, [plain, priced])
    assert not first_priced["cached"]  # the unpriced entry of the same features is no answer
    assert again_plain["cached"] and again_priced["cached"]
    assert again_plain["forecast"] == first_plain["forecast"]
    assert again_priced["forecast"] == first_priced["forecast"] != first_plain["forecast"]
    assert again_priced["inputs"]["prices"] == "request" and again_plain["inputs"]["prices"] is None


def test_each_fixture_model_and_inputs_is_logged_once_whatever_the_repeats(serving, serving_world):
    kickoff = "2030-03-02"
    plain = {**FIXTURE, "kickoff": kickoff}
    first, again, alias = (
        predict_fixtures(serving, [fixture])[0]
        for fixture in (plain, plain, {**plain, "away_team": "man united"})
    )
    assert again["cached"] is True
    # another spelling: its features are new (computed, so forecast at once), its forecast not
    assert alias["cached"] is False and alias["forecast"] == first["forecast"]
    answer = alias
    rows = _logged(serving_world, dt.date(2030, 3, 2))
    assert len(rows) == 1
    match_id, version, run_id, inputs, p_home, _ = rows[0]
    assert match_id is None and version == serving.keeper.model_version
    assert run_id == serving.keeper.current.model.run_id
    assert inputs["prices"] is None and p_home == answer["forecast"]["p_home"]
    for _ in range(2):
        predict_fixtures(serving, [{**plain, "prices": REQUEST}])
    rows = _logged(serving_world, dt.date(2030, 3, 2))
    assert len(rows) == 2 and rows[1][3]["odds"] == REQUEST


def test_a_stored_match_is_logged_with_its_id(serving, serving_world, last_match):
    predict_fixtures(serving, [last_match["fixture"], {"match_id": last_match["match_id"]}])
    day = dt.date.fromisoformat(last_match["fixture"]["kickoff"])
    rows = [r for r in _logged(serving_world, day) if r[0] == last_match["match_id"]]
    assert [r[3]["prices"] for r in rows].count("store") == 1


def test_a_competition_the_model_was_not_trained_on_is_an_error_item_naming_what_it_covers(
    serving,
):
    fixtures = [
        {"home_team": "Roma", "away_team": "Lazio", "competition": "I1", "kickoff": "2030-01-05"},
        {**FIXTURE, "kickoff": "2030-01-05"},
    ]
    refused, answered = predict_fixtures(serving, fixtures)
    assert refused["error"]["code"] == "competition_not_covered"
    assert refused["error"]["competitions"] == ["E0"]
    assert refused["error"]["field"] == "competition"
    assert "forecast" in answered
