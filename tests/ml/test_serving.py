"""Serving through the caches, without a broker: a real serving state, real Redis."""

import pytest
import redis

from core.cache import Cache
from ml.features import FEATURE_NAMES
from ml.serving import ONE_COMMAND_FIXTURES, Serving, featurise_fixtures, predict_fixtures
from tests.serving_fixtures import FIXTURE, serving_world

pytestmark = [pytest.mark.integration]
__all__ = ["serving_world"]


@pytest.fixture(scope="module")
def serving(serving_world):
    return Serving.load(serving_world)


def test_a_prediction_is_computed_once_then_read_from_the_cache(serving):
    fixture = {**FIXTURE, "kickoff": "2030-01-05"}
    [first] = predict_fixtures(serving, [fixture])
    [second] = predict_fixtures(serving, [fixture])
    assert first["cached"] is False and second["cached"] is True
    assert second["forecast"] == first["forecast"]
    assert second["model"]["version"] == serving.keeper.model_version


@pytest.mark.parametrize("size", [1, ONE_COMMAND_FIXTURES + 1])
def test_answers_are_cached_before_the_reply_and_a_batchs_other_entries_after_it(serving, size):
    """What a message leaves for after its answer (``later``): the log's rows always, and
    a batch's feature and prediction entries; its answers' entries are there at once."""
    cache, current = serving.cache, serving.keeper.current
    fixtures = [{**FIXTURE, "kickoff": f"2031-0{size}-{day:02d}"} for day in range(1, size + 1)]
    left: list = []
    answers = predict_fixtures(serving, fixtures, later=left.append)
    assert cache.lookup(fixtures, current.data_version, current.model.key)[0] == [
        {**answer, "cached": True} for answer in answers
    ]
    feature_keys = [cache.features_key(current.data_version, f) for f in fixtures]
    early = size <= ONE_COMMAND_FIXTURES
    assert all((entry is not None) == early for entry in cache.get_many(feature_keys))
    [rest] = left
    rest()
    assert None not in cache.get_many(feature_keys)
    entries = cache.get_many(feature_keys)
    keys = [cache.prediction_key(current.model.key, entry["hash"]) for entry in entries]
    assert None not in cache.get_many(keys)


def test_a_worker_trusts_a_miss_its_sender_just_saw_under_the_version_it_serves(serving):
    """The sender found no feature entry under ``missed_at``: the worker does not read the
    cache again (a planted entry is not read), unless it serves another version."""
    fixture = {**FIXTURE, "kickoff": "2030-01-06"}
    key = serving.cache.features_key(serving.keeper.data_version, fixture)
    [entry] = featurise_fixtures(serving, [fixture])
    planted = {**entry, "warnings": ["planted"]}
    serving.cache.store([(key, planted)])
    [trusted] = predict_fixtures(serving, [fixture], missed_at=serving.keeper.data_version)
    assert trusted["warnings"] == entry["warnings"] and trusted["cached"] is False
    serving.cache.store([(key, planted)])  # the computed entry replaced it
    [looked_up] = predict_fixtures(serving, [fixture], missed_at="another-version")
    assert looked_up["warnings"] == ["planted"]


def test_a_served_answer_is_read_back_whole_in_one_lookup(serving):
    cache, current = serving.cache, serving.keeper.current
    served, unseen, featured = ({**FIXTURE, "kickoff": f"2030-01-0{day}"} for day in (7, 8, 9))
    [answer] = predict_fixtures(serving, [served])
    featurise_fixtures(serving, [featured])
    found, any_featured = cache.lookup([served, unseen], current.data_version, current.model.key)
    assert found == [{**answer, "cached": True}, None] and any_featured is False
    assert cache.lookup([featured], current.data_version, current.model.key) == ([None], True)
    assert cache.lookup([served], current.data_version, "another-model") == ([None], True)


def test_features_are_cached_per_fixture_with_every_feature(serving):
    fixture = {**FIXTURE, "kickoff": "2030-01-12"}
    [entry] = featurise_fixtures(serving, [fixture])
    assert set(entry["features"]) == set(FEATURE_NAMES)
    key = serving.cache.features_key(serving.keeper.data_version, fixture)
    assert serving.cache.get(key)["hash"] == entry["hash"]


def test_an_unknown_team_is_an_error_item_among_the_answers(serving):
    answers = predict_fixtures(
        serving, [{**FIXTURE, "kickoff": "2030-01-19"}, {**FIXTURE, "away_team": "Chelski"}]
    )
    assert "forecast" in answers[0]
    assert answers[1]["error"]["code"] == "unknown_team"
    assert answers[1]["error"]["field"] == "away_team"


def test_with_the_cache_unreachable_predictions_are_still_made(serving_world, serving):
    down = serving_world.replace(cache_url="redis://127.0.0.1:1/0")
    blind = Serving(down, serving.keeper, Cache.from_settings(down))
    fixture = {**FIXTURE, "kickoff": "2030-01-26"}
    first, second = predict_fixtures(blind, [fixture, fixture])
    assert first["cached"] is False and second["cached"] is False
    assert first["forecast"] == second["forecast"]
    assert blind.cache.degraded is True


def test_dropping_predictions_keeps_only_the_named_models(serving):
    cache = serving.cache
    old_answer = cache.answer_key("old-1", serving.keeper.data_version, FIXTURE)
    cache.store([], [(cache.prediction_key("old-1", "abc"), {"x": 1})], [(old_answer, {"x": 1})])
    current = serving.keeper.current.model.key
    predict_fixtures(serving, [{**FIXTURE, "kickoff": "2030-02-02"}])
    assert cache.drop_predictions(current) >= 2
    client = redis.Redis.from_url(serving.settings.cache_url)
    for kind in ("prediction", "answer"):
        left = [k.decode() for k in client.scan_iter(f"{cache.prefix}{kind}:*")]
        assert left and all(k.startswith(f"{cache.prefix}{kind}:{current}:") for k in left)
