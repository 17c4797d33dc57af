"""``footcast replay`` on a small slice: two matchdays of E0 2023-24 through a real API and
worker, on a scratch store it creates and drops."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid

import numpy as np
import psycopg
import pytest

from cli.replay import Replay
from core.db import connect
from etl.fixtures import import_fixtures
from etl.history import import_file, import_history
from etl.matchdays import SeasonFile
from etl.migrate import migrate
from ml.serving_state import StateKeeper
from tests.conftest import TEST_DATABASE_URL
from tests.serving_fixtures import train_and_register

#: A busy machine takes minutes to start a stack and import the slice (s).
pytestmark = [
    pytest.mark.integration,
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.timeout(900),
]

HISTORY = ("2122", "2223")
MATCHDAYS = 2


@pytest.fixture(scope="module")
def replayed(base_settings, shared_data, tmp_path_factory):
    """The operator's store (two earlier seasons, a champion trained on them) and a replay
    of the first matchdays of 2023-24 run from it."""
    tmp_path = tmp_path_factory.mktemp("replay")
    history = tmp_path / "history"
    for season in HISTORY:
        target = history / f"mmz4281/{season}/E0.csv"
        target.parent.mkdir(parents=True)
        shutil.copy(shared_data / f"football-data/mmz4281/{season}/E0.csv", target)
    schema = f"t_replay_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    settings = base_settings.replace(
        database_url=f"{TEST_DATABASE_URL}?options=-csearch_path%3D{schema}",
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        mlflow_artifact_root=str(tmp_path / "mlartifacts"),
        football_data_url=(shared_data / "football-data").as_uri(),
    )
    with connect(settings, autocommit=True) as conn:
        migrate(conn)
        import_history(conn, history.as_uri(), [("E0", s) for s in HISTORY])
    train_and_register(settings, dc_weight=0.3)
    with connect(settings) as conn:
        stored = conn.execute("SELECT count(*) FROM matches").fetchone()
    run = Replay(
        settings, "E0", "2324", settings.football_data_url, history.as_uri(), "champion", MATCHDAYS
    )
    report = run.run()
    with connect(settings) as conn:
        assert conn.execute("SELECT count(*) FROM matches").fetchone() == stored
    yield settings, run, report
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def test_a_replay_serves_every_fixture_of_its_matchdays_and_scores_them(replayed):
    _, run, report = replayed
    assert (report["league"], report["season"], report["matchdays"]) == ("E0", "2324", 2)
    assert report["matches"] == report["served"] == report["scored"] == 19  # 10 + 9
    assert report["model"]["version"] == "1"
    assert report["batch_differs"] == 0, "the batch path answers as the sync path does"
    for name in ("rps", "log_loss", "brier"):
        assert set(report[name]) == {"served", "market", "offline"}
        assert 0 < report[name]["served"] < 2
    assert report["history_seasons"] == list(HISTORY)
    assert len(run.answers) == 19


def test_no_answer_sees_a_result_of_its_own_matchday(replayed, shared_data, tmp_path):
    """Each fixture of the second matchday is forecast again from a store holding the
    results up to the first matchday (what the replay imported before asking), then with the
    second matchday's results imported early: the replay's answers are the first, and the
    early results would have changed them."""
    settings, run, _ = replayed
    season = SeasonFile.parse((shared_data / "football-data/mmz4281/2324/E0.csv").read_bytes())
    first, second = season.matchdays()[:MATCHDAYS]
    asked = [a for a in run.answers if dt.date.fromisoformat(a.kickoff) >= second.first]
    assert len(asked) == second.matches
    mirror = tmp_path / "season"
    (mirror / "fixtures.csv").parent.mkdir(parents=True, exist_ok=True)
    (mirror / "fixtures.csv").write_bytes(season.fixtures_csv(second.first, second.last))
    with connect(settings, autocommit=True) as conn:
        eve = dt.datetime.combine(second.eve, dt.time(12), dt.UTC)
        import_fixtures(conn, mirror.as_uri(), as_of=eve, leagues=["E0"])

    def forecasts_after(day: dt.date) -> list[tuple[float, float, float]]:
        path = mirror / "mmz4281/2324/E0.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(season.results_through(day))
        with connect(settings, autocommit=True) as conn:
            import_file(conn, mirror.as_uri(), "E0", "2324")
        keeper = StateKeeper.load(settings)
        out = []
        for answer in asked:
            fixture = {
                "home_team": answer.home_team,
                "away_team": answer.away_team,
                "competition": "E0",
                "kickoff": answer.kickoff,
            }
            forecast = keeper.forecast(fixture)["forecast"]
            out.append((forecast["p_home"], forecast["p_draw"], forecast["p_away"]))
        return out

    served = [a.probs for a in asked]
    np.testing.assert_allclose(forecasts_after(first.last), served, atol=1e-6)
    early = forecasts_after(second.last)
    assert not np.allclose(early, served, atol=1e-6), "a result imported early shows"
