"""The serving state and its keeper over a real store and a real registry."""

import datetime as dt
import pickle
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest

from core.db import connect
from etl.competitions import UnknownCompetition
from etl.errors import UnknownTeam
from etl.history import import_file
from etl.matchdays import SeasonFile
from etl.migrate import migrate
from etl.store.batches import set_status
from etl.teams import seed_aliases
from ml import registry
from ml.features import FeatureConfig
from ml.serving_state import (
    CompetitionNotCovered,
    ServingState,
    StateKeeper,
    UnknownMatch,
    build_state,
)
from tests.serving_fixtures import FIXTURE, serving_world, train_and_register

pytestmark = [pytest.mark.integration]
__all__ = ["serving_world"]


@pytest.fixture(scope="module")
def keeper(serving_world):
    return StateKeeper.load(serving_world)


def test_a_forecast_names_the_champion_and_resolves_any_known_spelling(keeper, serving_world):
    answer = keeper.forecast({**FIXTURE, "away_team": "man united", "kickoff": "2024-08-17"})
    assert answer["fixture"]["away_team"] == "Manchester United"
    assert answer["model"]["version"] == registry.champion_version(serving_world)
    forecast = answer["forecast"]
    assert sum(forecast[k] for k in ("p_home", "p_draw", "p_away")) == pytest.approx(1, abs=1e-5)


def test_an_unknown_team_names_the_closest_teams_of_its_competition(keeper):
    with pytest.raises(UnknownTeam) as caught:
        keeper.resolve({**FIXTURE, "home_team": "Tottenam", "kickoff": "2024-08-17"})
    assert caught.value.candidates[0] == "Tottenham Hotspur"
    assert "closest known teams in E0" in str(caught.value)


def test_an_unknown_competition_or_match_is_a_typed_error(keeper):
    with pytest.raises(UnknownCompetition):
        keeper.resolve({**FIXTURE, "competition": "XX9", "kickoff": "2024-08-17"})
    with pytest.raises(UnknownMatch):
        keeper.resolve({"match_id": 10**9})


def test_a_competition_the_champion_was_not_trained_on_names_those_it_covers(keeper):
    with pytest.raises(CompetitionNotCovered) as caught:
        keeper.resolve({**FIXTURE, "competition": "SP1", "kickoff": "2024-08-17"})
    assert caught.value.covered == ("E0",)
    assert "covers E0" in str(caught.value)


def test_a_match_id_is_looked_up_in_the_store(keeper):
    resolved = keeper.resolve({"match_id": 1})
    assert resolved["match_id"] == 1 and resolved["competition"] == "E0"


def test_new_prices_move_the_data_version_at_once_without_folding_the_results_again(
    keeper, serving_world
):
    before = keeper.current
    with connect(serving_world) as conn:
        conn.execute(
            "INSERT INTO price_snapshots (match_id, seen_at, bookmaker, market, home, draw, away)"
            " SELECT 1, kickoff_date - 1, 'B365', '1x2', 2.0, 3.5, 4.0 FROM matches WHERE id = 1"
            " UNION ALL SELECT 1, '2030-01-01', 'B365', '1x2', 9.0, 9.0, 9.0"
        )
        conn.commit()
    try:
        assert keeper.reload_if_changed(force=True, data=True) is True
        after = keeper.current
        results, _, prices = after.data_version.partition(".")
        assert results == before.data_version.partition(".")[0]
        assert prices != before.data_version.partition(".")[2]
        assert after.state is before.state and after.model_version == before.model_version
        # the prices a forecast reads moved with the version; one seen after kickoff never
        assert 1 not in before.stored.prices
        assert after.stored.prices[1]["odds"] == {"home": 2.0, "draw": 3.5, "away": 4.0}
    finally:
        with connect(serving_world) as conn:
            conn.execute("DELETE FROM price_snapshots WHERE match_id = 1")
            conn.commit()


def test_reload_picks_up_a_new_champion_only_after_the_check_interval(serving_world):
    clock = [0.0]
    loaded = StateKeeper.load(serving_world)
    keeper = StateKeeper(serving_world, loaded.current, clock=lambda: clock[0])
    version = train_and_register(serving_world, dc_weight=0.6)
    assert keeper.reload_if_changed() is False  # within the interval: not even asked
    clock[0] += serving_world.model_check_interval_s
    assert keeper.reload_if_changed() is True
    assert keeper.model_version == version
    assert keeper.current.state is loaded.current.state  # same data: features kept
    clock[0] += serving_world.model_check_interval_s
    assert keeper.reload_if_changed() is False


def _differences(a: Any, b: Any, path: str = "state") -> list[str]:
    """Where two feature states differ, value by value (exact floats and arrays); their
    pickles may differ while they are equal, by how objects happen to be shared."""
    if type(a) is not type(b):
        return [f"{path}: {type(a).__name__} v {type(b).__name__}"]
    if isinstance(a, np.ndarray):
        return [] if np.array_equal(a, b) else [path]
    if isinstance(a, dict):
        if list(a) != list(b):
            return [f"{path}: keys"]
        return [d for k in a for d in _differences(a[k], b[k], f"{path}[{k!r}]")]
    if isinstance(a, list | tuple):
        if len(a) != len(b):
            return [f"{path}: length"]
        pairs = enumerate(zip(a, b, strict=True))
        return [d for i, (x, y) in pairs for d in _differences(x, y, f"{path}[{i}]")]
    fields = getattr(type(a), "__slots__", None) or getattr(a, "__dict__", None)
    if fields is not None and not isinstance(a, str):
        return [
            d for f in fields for d in _differences(getattr(a, f), getattr(b, f), f"{path}.{f}")
        ]
    return [] if a == b else [f"{path}: {a!r} v {b!r}"]


def test_new_matchdays_are_folded_into_a_copy_of_the_state_exactly_as_a_full_fold(
    pg_settings, shared_data, tmp_path
):
    season = SeasonFile.parse((shared_data / "football-data/mmz4281/2223/E0.csv").read_bytes())
    days = season.matchdays()
    forecaster = cast(Any, SimpleNamespace(feature_config=FeatureConfig()))
    mirror = tmp_path / "mirror"

    def import_through(day: dt.date) -> None:
        path = mirror / "mmz4281/2223/E0.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(season.results_through(day))
        with connect(pg_settings, autocommit=True) as conn:
            batch = import_file(conn, mirror.as_uri(), "E0", "2223", validate=False)
            assert batch.batch_id is not None
            set_status(conn, batch.batch_id, "validated")  # the gate is not what is tested

    with connect(pg_settings, autocommit=True) as conn:
        migrate(conn)
        seed_aliases(conn)
    import_through(days[9].last)
    with connect(pg_settings) as conn:
        state, teams, version, _, folded = build_state(conn, forecaster)
        before = ServingState(cast(Any, None), state, teams, version, 0.0, folded=folded)
        kept = pickle.dumps(state)
        state.copied_from_previous = True  # type: ignore[attr-defined]
    import_through(days[12].last)
    with connect(pg_settings) as conn:
        advanced, _, advanced_version, _, _ = build_state(conn, forecaster, before)
        full, _, full_version, _, _ = build_state(conn, forecaster)
    assert advanced_version == full_version != version
    assert advanced.__dict__.pop("copied_from_previous"), "advanced from the previous state"
    del state.copied_from_previous  # type: ignore[attr-defined]
    assert advanced.matches_seen == full.matches_seen > state.matches_seen
    assert _differences(advanced, full) == []
    assert _differences(state, pickle.loads(kept)) == [], "the previous state is left as it was"
