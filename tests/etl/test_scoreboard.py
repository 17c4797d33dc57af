"""The scoreboard of served forecasts, recomputed by hand on four matches of a tiny store."""

import datetime as dt

import falcon.testing
import numpy as np
import pytest
from prometheus_client import CollectorRegistry, generate_latest
from psycopg.types.json import Jsonb

from actors.bus import Bus
from api.app import create_app
from api.metrics import StateCollector
from api.store import StoreReader
from core.db import connect
from etl.migrate import migrate
from etl.scoreboard import demargin, scoreboard
from etl.store.scoreboard import served_results
from ml import metrics
from tests.api.openapi_check import check_response

pytestmark = [pytest.mark.integration]

UTC = dt.UTC
T = dt.datetime
#: (home, away, kickoff, home goals, away goals, opening prices, closing prices)
MATCHES = {
    "m1": ("A", "B", T(2024, 4, 20, 14, tzinfo=UTC), 2, 0, (2, 3.6, 4.2), (1.8, 3.8, 5)),
    "m2": ("C", "D", T(2024, 4, 27, 14, tzinfo=UTC), 1, 1, (2.5, 3.2, 3), (2.6, 3.1, 2.9)),
    "m3": ("B", "C", T(2024, 5, 4, 14, tzinfo=UTC), 0, 1, (3, 3.3, 2.4), (3.2, 3.4, 2.2)),
    "m4": ("D", "A", None, 3, 1, (2.0, 3.5, 3.9), (2.1, 3.4, 3.7)),
}  # fmt: skip
M4_DAY = dt.date(2024, 5, 11)
M3 = dt.date(2024, 5, 4)
STORE_ODDS = {"home": 2.0, "draw": 3.5, "away": 4.0}
REQUEST_ODDS = {"home": 2.5, "draw": 3.2, "away": 3.0}
#: (match, model version, served at, probabilities, odds read)
SERVED = [
    ("m1", "1", dt.datetime(2024, 4, 19, tzinfo=UTC), (0.5, 0.3, 0.2), STORE_ODDS),
    ("m1", "2", dt.datetime(2024, 4, 20, 10, tzinfo=UTC), (0.6, 0.25, 0.15), None),
    ("m2", "2", dt.datetime(2024, 4, 26, tzinfo=UTC), (0.4, 0.35, 0.25), REQUEST_ODDS),
    ("m3", "2", dt.datetime(2024, 5, 3, tzinfo=UTC), (0.3, 0.3, 0.4), None),
    ("m3", "1", dt.datetime(2024, 5, 4, 15, tzinfo=UTC), (0.2, 0.2, 0.6), None),  # after kickoff
    ("m4", "2", dt.datetime(2024, 5, 11, 9, tzinfo=UTC), (0.5, 0.3, 0.2), None),  # on the day
]


def _insert_store(conn):
    conn.execute("INSERT INTO competitions (code, name, country) VALUES ('E0', 'PL', 'England')")
    conn.execute("INSERT INTO seasons (competition_id, code, start_year) VALUES (1, '2324', 2023)")
    ids = {}
    for name in "ABCD":
        ids[name] = conn.execute(
            "INSERT INTO teams (name) VALUES (%s) RETURNING id", (name,)
        ).fetchone()[0]
    matches = {}
    for key, (home, away, kickoff, hg, ag, opening, closing) in MATCHES.items():
        day = kickoff.date() if kickoff else M4_DAY
        matches[key] = conn.execute(
            "INSERT INTO matches (competition_id, season_id, home_team_id, away_team_id,"
            " kickoff_date, kickoff_at, status, home_goals, away_goals)"
            " VALUES (1, 1, %s, %s, %s, %s, 'finished', %s, %s) RETURNING id",
            (ids[home], ids[away], day, kickoff, hg, ag),
        ).fetchone()[0]
        for kind, prices in (("opening", opening), ("closing", closing)):
            conn.execute(
                "INSERT INTO odds (match_id, bookmaker, market, kind, home, draw, away)"
                " VALUES (%s, 'PS', '1x2', %s, %s, %s, %s)",
                (matches[key], kind, *prices),
            )
    for key, version, served_at, probs, odds in SERVED:
        home, away, kickoff = MATCHES[key][:3]
        inputs = {"prices": None if odds is None else "store", "odds": odds}
        conn.execute(
            "INSERT INTO prediction_log (served_at, match_id, competition, home_team, away_team,"
            " kickoff_date, model_version, run_id, inputs_key, inputs, p_home, p_draw, p_away,"
            " forecast) VALUES (%s, %s, 'E0', %s, %s, %s, %s, 'run', %s, %s, %s, %s, %s, '{}')",
            (
                served_at,
                matches[key],
                home,
                away,
                kickoff.date() if kickoff else M4_DAY,
                version,
                "" if odds is None else "priced",
                Jsonb(inputs),
                *probs,
            ),
        )


@pytest.fixture
def store(pg_settings):
    with connect(pg_settings) as conn:
        migrate(conn)
        conn.commit()
        _insert_store(conn)
        conn.commit()
    return pg_settings


def _expected(pairs):
    """Scores recomputed with ml.metrics (numpy) for (probabilities, outcome) pairs."""
    probs = np.array([p for p, _ in pairs])
    outcome = np.array([o for _, o in pairs])
    return {k: metrics.METRICS[k](probs, outcome) for k in ("rps", "log_loss", "brier")}


def _market(kind):
    index = 5 if kind == "opening" else 6
    return {key: tuple(demargin(MATCHES[key][index])) for key in MATCHES}


def test_the_latest_forecast_served_before_kickoff_is_scored_beside_both_markets(store):
    with connect(store) as conn:
        board = scoreboard(served_results(conn), None, None)
    overall = board["overall"]
    assert overall["matches"] == 3  # m3's late forecast and m4's on-the-day one are left out
    scored = [
        ("m1", (0.6, 0.25, 0.15), 0),
        ("m2", (0.4, 0.35, 0.25), 1),
        ("m3", (0.3, 0.3, 0.4), 2),
    ]
    for source, expected in (
        ("model", _expected([(p, o) for _, p, o in scored])),
        ("closing", _expected([(_market("closing")[m], o) for m, _, o in scored])),
        ("opening", _expected([(_market("opening")[m], o) for m, _, o in scored])),
    ):
        assert overall[source] == pytest.approx(expected, abs=1e-12), source
    # by hand, m1's model RPS: ((0.6 - 1)^2 + (0.85 - 1)^2) / 2
    assert board["by_month"][0]["month"] == "2024-04" and board["by_month"][0]["matches"] == 2
    assert [m["matches"] for m in board["by_month"]] == [2, 1]
    assert board["by_competition"] == [{"competition": "E0", **overall}]
    by_model = {row["model_version"]: row for row in board["by_model"]}
    assert by_model["1"]["matches"] == 1 and by_model["2"]["matches"] == 3
    assert by_model["1"]["model"]["rps"] == pytest.approx(((0.5 - 1) ** 2 + (0.8 - 1) ** 2) / 2)
    assert by_model["2"]["model"] == pytest.approx(overall["model"])


def test_closing_line_value_counts_priced_forecasts_whose_favourite_moved_towards_the_model(store):
    with connect(store) as conn:
        board = scoreboard(served_results(conn), None, None)
    # m2 (request prices): the model's 0.40 on the home side is above the 0.382 it saw, but
    # the close went to 0.366, away from the model; m1 and m3's latest forecasts had no prices
    assert board["overall"]["clv"] == {"matches": 1, "share": 0.0}
    # model 1 on m1: 0.50 home against the 0.483 it saw; the close went to 0.545, towards it
    by_model = {row["model_version"]: row for row in board["by_model"]}
    assert by_model["1"]["clv"] == {"matches": 1, "share": 1.0}
    assert by_model["2"]["clv"] == {"matches": 1, "share": 0.0}


def test_the_reliability_table_bins_each_outcome_forecast(store):
    with connect(store) as conn:
        board = scoreboard(served_results(conn), None, None)
    home = [row for row in board["reliability"] if row["outcome"] == "home"]
    assert [(r["bin_low"], r["predicted"], r["observed"], r["matches"]) for r in home] == [
        (0.3, pytest.approx(0.3), 0.0, 1),
        (0.4, pytest.approx(0.4), 0.0, 1),
        (0.6, pytest.approx(0.6), 1.0, 1),
    ]


def test_filters_and_an_empty_log_give_zeros_not_errors(store):
    with connect(store) as conn:
        may = dt.date(2024, 5, 1)
        later = scoreboard(served_results(conn, since=may), None, may)
        other = scoreboard(served_results(conn, competition="SP1"), "SP1", None)
    assert later["since"] == "2024-05-01" and later["overall"]["matches"] == 1
    assert other["overall"] == {
        "matches": 0,
        "model": {"rps": None, "log_loss": None, "brier": None},
        "closing": {"rps": None, "log_loss": None, "brier": None},
        "opening": {"rps": None, "log_loss": None, "brier": None},
        "clv": {"matches": 0, "share": None},
    }
    assert other["by_competition"] == other["by_month"] == other["reliability"] == []


def test_the_api_serves_the_scoreboard_as_documented(store):
    settings = store.replace(broker_url="amqp://guest:guest@127.0.0.1:1/%2F")
    client = falcon.testing.TestClient(create_app(settings, Bus.from_settings(settings)))
    for params in ({}, {"competition": "E0", "since": "2024-04-21"}, {"competition": "I1"}):
        resp = client.simulate_get("/v1/scoreboard", params=params)
        check_response("GET", "/v1/scoreboard", resp.status_code, resp.json)
        assert resp.status_code == 200
    assert resp.json["overall"]["matches"] == 0
    params = {"competition": "E0", "since": "2024-04-21"}
    resp = client.simulate_get("/v1/scoreboard", params=params)
    assert resp.json["overall"]["matches"] == 2 and resp.json["competition"] == "E0"


def test_a_forecast_replayed_later_counts_only_when_all_it_read_predates_kickoff(store):
    with connect(store) as conn:
        [match_id] = conn.execute(
            "SELECT id FROM matches WHERE kickoff_date = %s", (M3,)
        ).fetchone()
        replayed = dt.datetime(2026, 12, 1, tzinfo=UTC)
        for version, through, priced_at in (
            ("3", "2024-05-03", "2024-05-03T12:00:00+00:00"),  # read only the days before
            ("4", "2024-05-04", None),  # read a result of its own day
            ("5", "2024-05-03", "2024-05-04T15:00:00+00:00"),  # read prices seen after kickoff
        ):
            inputs = {"prices": "store", "data_through": through, "priced_at": priced_at}
            conn.execute(
                "INSERT INTO prediction_log (served_at, match_id, competition, home_team,"
                " away_team, kickoff_date, model_version, run_id, inputs_key, inputs, p_home,"
                " p_draw, p_away, forecast) VALUES (%s, %s, 'E0', 'B', 'C', '2024-05-04', %s,"
                " 'run', 'k', %s, 0.3, 0.3, 0.4, '{}')",
                (replayed, match_id, version, Jsonb(inputs)),
            )
        versions = {row["model_version"] for row in served_results(conn)}
    assert "3" in versions and not versions & {"4", "5"}


def test_the_live_scoreboard_and_the_prediction_log_are_exported_as_metrics(store):
    reader = StoreReader(store)
    live = reader.quality(today=dt.date(2024, 5, 12))  # m1 to m3 in the last 30 days
    with connect(store) as conn:
        board = scoreboard(served_results(conn), None, None)
    assert live["scored"] == [
        {"competition": "all", **board["overall"]},
        *board["by_competition"],
    ]
    assert live["logged"] == {}  # every forecast was logged in 2024
    assert live["drift"] is None  # no check yet
    with connect(store) as conn:
        conn.execute(
            "INSERT INTO prediction_log (competition, home_team, away_team, kickoff_date,"
            " model_version, run_id, inputs_key, inputs, p_home, p_draw, p_away, forecast)"
            " VALUES ('E0', 'A', 'C', '2024-06-01', '2', 'run', '', '{}', 0.5, 0.3, 0.2, '{}')"
        )
        conn.commit()
    live = reader.quality(today=dt.date(2024, 5, 12))
    assert live["logged"] == {"E0": 1}

    registry = CollectorRegistry()
    registry.register(StateCollector(lambda: None, dict, list, lambda: live))
    text = generate_latest(registry).decode()
    overall = board["overall"]
    for competition in ("all", "E0"):
        assert f'footcast_live_matches{{competition="{competition}"}} 3.0' in text
        for forecaster, source in (("served", "model"), ("closing", "closing")):
            series = f'footcast_live_rps{{competition="{competition}",forecaster="{forecaster}"}}'
            value = float(text.split(series, 1)[1].split()[0])
            assert value == pytest.approx(overall[source]["rps"], abs=1e-12)
    assert 'footcast_predictions_logged{competition="E0"} 1.0' in text


def test_the_quality_metrics_are_read_from_the_store_at_most_once_a_minute():
    reads = []

    def quality():
        reads.append(1)
        return {"scored": [], "logged": {"E0": len(reads)}, "drift": None}

    registry = CollectorRegistry()
    registry.register(StateCollector(lambda: None, dict, list, quality))
    first, second = (generate_latest(registry).decode() for _ in range(2))
    assert len(reads) == 1 and first == second
    assert 'footcast_predictions_logged{competition="E0"} 1.0' in second
