"""The in-memory predictor over a real store and a real registry."""

import pytest

from etl.competitions import UnknownCompetition
from etl.errors import UnknownTeam
from ml import registry
from ml.predictor import CompetitionNotCovered, Predictor, UnknownMatch
from tests.serving_fixtures import FIXTURE, serving_world, train_and_register

pytestmark = [pytest.mark.integration]
__all__ = ["serving_world"]


@pytest.fixture(scope="module")
def predictor(serving_world):
    return Predictor.load(serving_world)


def test_a_forecast_names_the_champion_and_resolves_any_known_spelling(predictor, serving_world):
    answer = predictor.forecast({**FIXTURE, "away_team": "man united", "kickoff": "2024-08-17"})
    assert answer["fixture"]["away_team"] == "Manchester United"
    assert answer["model"]["version"] == registry.champion_version(serving_world)
    forecast = answer["forecast"]
    assert sum(forecast[k] for k in ("p_home", "p_draw", "p_away")) == pytest.approx(1, abs=1e-5)


def test_an_unknown_team_names_the_closest_teams_of_its_competition(predictor):
    with pytest.raises(UnknownTeam) as caught:
        predictor.resolve({**FIXTURE, "home_team": "Tottenam", "kickoff": "2024-08-17"})
    assert caught.value.candidates[0] == "Tottenham Hotspur"
    assert "closest known teams in E0" in str(caught.value)


def test_an_unknown_competition_or_match_is_a_typed_error(predictor):
    with pytest.raises(UnknownCompetition):
        predictor.resolve({**FIXTURE, "competition": "XX9", "kickoff": "2024-08-17"})
    with pytest.raises(UnknownMatch):
        predictor.resolve({"match_id": 10**9})


def test_a_competition_the_champion_was_not_trained_on_names_those_it_covers(predictor):
    with pytest.raises(CompetitionNotCovered) as caught:
        predictor.resolve({**FIXTURE, "competition": "SP1", "kickoff": "2024-08-17"})
    assert caught.value.covered == ("E0",)
    assert "covers E0" in str(caught.value)


def test_a_match_id_is_looked_up_in_the_store(predictor):
    resolved = predictor.resolve({"match_id": 1})
    assert resolved["match_id"] == 1 and resolved["competition"] == "E0"


def test_reload_picks_up_a_new_champion_only_after_the_check_interval(serving_world):
    clock = [0.0]
    loaded = Predictor.load(serving_world)
    predictor = Predictor(serving_world, loaded.snapshot, clock=lambda: clock[0])
    version = train_and_register(serving_world, dc_weight=0.6)
    assert predictor.reload_if_changed() is False  # within the interval: not even asked
    clock[0] += serving_world.model_check_interval_s
    assert predictor.reload_if_changed() is True
    assert predictor.model_version == version
    assert predictor.snapshot.state is loaded.snapshot.state  # same data: features kept
    clock[0] += serving_world.model_check_interval_s
    assert predictor.reload_if_changed() is False
