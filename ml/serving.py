"""Serving forecasts through the caches: what the ``featurise`` and ``predict`` actors do.

``Serving`` is a worker's whole serving state: its state keeper, the cache, the prediction
log, and the serving record it publishes whenever the model or the data it serves changes.
The functions answer a list of normalised fixtures at once (a matchday is one message):
cached feature vectors and predictions are reused, the rest computed and cached. A fixture
the store cannot place (unknown team, competition or match) is an error item in the
answer, not a failure of the message: retrying cannot fix it and it is the client's to
correct.

Every forecast a worker serves is written to the prediction log (``served_row``), once
per fixture, model version and inputs: answers the API reads from the cache were logged
when a worker first served them. ``predict_fixtures`` can leave the rows, and the cache
entries an immediate repeat does not read, to its caller: the ``predict`` actor writes them
once its answer is on its way, before its message is acked.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
import redis
import structlog

from core.cache import Cache, served_answer
from core.fixtures import (
    COMPETITION_NOT_COVERED,
    UNKNOWN_COMPETITION,
    UNKNOWN_MATCH,
    UNKNOWN_TEAM,
)
from core.redis import results_client
from core.serving_record import publish_serving, serving_key
from core.settings import Settings
from etl.errors import EtlError, UnknownTeam
from etl.store.prediction_log import GroupLog, ServedForecast, inputs_key
from ml import registry
from ml.errors import MlError
from ml.serving_state import CompetitionNotCovered, ServingState, StateKeeper, UnknownMatch

log = structlog.get_logger("footcast.serving")

#: Fixtures up to which a message's cache entries all go in one command before its answer:
#: a second command costs a round trip (about 0.1 ms of CPU here), more than the feature
#: and prediction entries of a few fixtures (about 14 µs each); a batch's 200 took 2.7 ms.
ONE_COMMAND_FIXTURES = 4
#: Shortest lifetime of the serving record (s); workers renew it every check.
SERVING_RECORD_MIN_TTL_S = 10


class Serving:
    """A state keeper, the cache, the prediction log and the record of what is served; one
    per worker process."""

    def __init__(self, settings: Settings, keeper: StateKeeper, cache: Cache) -> None:
        self.settings = settings
        self.keeper = keeper
        self.cache = cache
        self.log = GroupLog(keeper.connection)
        self._results = results_client(settings)
        self.publish()

    @classmethod
    def load(cls, settings: Settings) -> Serving:
        return cls(settings, StateKeeper.load(settings), Cache.from_settings(settings))

    def refresh(self, *, force: bool = False, data: bool = False) -> bool:
        """Pick up a new champion, and new data if ``data`` (rate-limited unless ``force``).

        A failed check keeps the current model (and is retried at the next one), except a
        forced one: that fails its caller, the ``model_promoted`` message, which is retried.
        """
        try:
            changed = self.keeper.reload_if_changed(force=force, data=data)
        except (MlError, EtlError, psycopg.Error, OSError) as exc:
            if force:
                raise
            log.warning("champion check failed; serving on", error=str(exc))
            return False
        if changed:
            # the old state's cycles go now (one full collection per reload), the new state
            # joins what is frozen: it lives until the next one
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self.publish()
        return changed

    def watch(self) -> None:
        """Check for a new champion every ``model_check_interval_s``, forever, and renew the
        serving record: a worker that gets no messages (the API answers from the cache)
        still moves to a new champion."""
        while True:
            time.sleep(self.settings.model_check_interval_s)
            if not self.refresh(data=True):
                try:
                    self.publish()
                except redis.RedisError as exc:
                    log.warning("serving record not renewed", error=str(exc))

    def publish(self) -> None:
        """Tell producers which model and data version this worker serves."""
        current = self.keeper.current
        record: dict[str, Any] = {
            "model_name": registry.MODEL_NAME,
            "model_version": current.model_version,
            "model_key": current.model.key,
            "data_version": current.data_version,
            "loaded_at": dt.datetime.fromtimestamp(current.loaded_at, dt.UTC).isoformat(
                timespec="seconds"
            ),
            "promoted_at": current.model.promoted_at,
            "metrics": current.model.metrics,
        }
        ttl_s = max(SERVING_RECORD_MIN_TTL_S, int(5 * self.settings.model_check_interval_s))
        publish_serving(self._results, serving_key(self.settings), record, ttl_s)


def fixture_error(exc: Exception, fixture: Mapping[str, Any]) -> dict[str, Any]:
    """The answer for a fixture that names something unknown or not covered."""
    if isinstance(exc, UnknownTeam):
        field = "away_team" if exc.name == fixture.get("away_team") else "home_team"
        return {
            "code": UNKNOWN_TEAM,
            "message": str(exc),
            "field": field,
            "candidates": list(exc.candidates),
        }
    if isinstance(exc, UnknownMatch):
        return {"code": UNKNOWN_MATCH, "message": str(exc), "field": "match_id"}
    if isinstance(exc, CompetitionNotCovered):
        return {
            "code": COMPETITION_NOT_COVERED,
            "message": str(exc),
            "field": "match_id" if "match_id" in fixture else "competition",
            "competitions": list(exc.covered),
        }
    return {"code": UNKNOWN_COMPETITION, "message": str(exc), "field": "competition"}


#: A cache entry to write: its key and value.
_Entry = tuple[str, dict[str, Any]]


def _entries(
    serving: Serving,
    current: ServingState,
    fixtures: Sequence[Mapping[str, Any]],
    missed_at: str | None = None,
) -> tuple[list[dict[str, Any] | None], dict[int, _Entry], list[dict[str, Any]]]:
    """Feature entries of the fixtures, from the cache or computed (in one batch): the
    entries (None for an error), those just computed as (cache key, entry) by their index,
    and the error items. The cache is not read when the sender just missed them all under the
    version served (``missed_at``)."""
    cache = serving.cache
    keys = [cache.features_key(current.data_version, f) for f in fixtures]
    entries: list[dict[str, Any] | None] = (
        [None] * len(keys) if missed_at == current.data_version else cache.get_many(keys)
    )
    missing = [i for i, entry in enumerate(entries) if entry is None]
    computed = serving.keeper.entries([fixtures[i] for i in missing], current)
    fresh: dict[int, _Entry] = {}
    errors: dict[int, dict[str, Any]] = {}
    for i, entry in zip(missing, computed, strict=True):
        if isinstance(entry, dict):
            entries[i] = entry
            fresh[i] = (keys[i], entry)
        else:
            errors[i] = {"error": fixture_error(entry, fixtures[i])}
    return entries, fresh, [errors.get(i, {}) for i in range(len(fixtures))]


def featurise_fixtures(
    serving: Serving, fixtures: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Feature entries (``fixture``, ``features``, ``hash``, inputs) of the fixtures, cached."""
    current = serving.keeper.current
    entries, fresh, errors = _entries(serving, current, fixtures)
    serving.cache.store(fresh.values())
    return [
        {**entry, "data_version": current.data_version} if entry is not None else error
        for entry, error in zip(entries, errors, strict=True)
    ]


@dataclass
class _Writes:
    """What answering leaves to write: cache entries (key, value) of features, predictions
    and answers, and the prediction log's rows."""

    features: list[_Entry] = field(default_factory=list)
    predictions: list[_Entry] = field(default_factory=list)
    answers: list[_Entry] = field(default_factory=list)
    served: list[ServedForecast] = field(default_factory=list)


def _answer_fixtures(
    serving: Serving, fixtures: Sequence[Mapping[str, Any]], missed_at: str | None = None
) -> tuple[list[dict[str, Any]], _Writes]:
    """A prediction (or an error item) per fixture, each naming the model version that made
    it, its inputs and warnings, and the writes they leave: cache entries and log rows.

    Only fixtures whose features came from the cache look their prediction up: one whose
    features were just computed is forecast at once (a new vector's lookup would almost
    always miss, a round trip on top of the forecast), so a new fixture costs at most one
    cache read, and none when the sender just missed it (``missed_at``, as in ``_entries``).
    """
    cache = serving.cache
    current = serving.keeper.current
    entries, fresh, errors = _entries(serving, current, fixtures, missed_at)
    keys = {
        i: cache.prediction_key(current.model.key, entry["hash"])
        for i, entry in enumerate(entries)
        if entry is not None and i not in fresh
    }
    found = dict(zip(keys, cache.get_many(list(keys.values())), strict=True))
    unforecast = {
        i: entry for i, entry in enumerate(entries) if entry is not None and found.get(i) is None
    }  # forecast together: a matchday costs a few fixtures' time, not a hundred
    forecast = dict(zip(unforecast, current.forecasts(list(unforecast.values())), strict=True))
    items: list[dict[str, Any]] = []
    writes = _Writes(features=list(fresh.values()))
    for i, (entry, error) in enumerate(zip(entries, errors, strict=True)):
        if entry is None:
            items.append(error)
            continue
        prediction = found.get(i)
        cached = prediction is not None
        if prediction is None:
            prediction = forecast[i]
            key = cache.prediction_key(current.model.key, entry["hash"])
            writes.predictions.append((key, prediction))
        items.append(served_answer(entry, prediction, current.data_version, cached))
        writes.served.append(served_row(current, entry, prediction))
        key = cache.answer_key(current.model.key, current.data_version, fixtures[i])
        writes.answers.append((key, {**items[-1], "cached": True}))
    return items, writes


def predict_fixtures(
    serving: Serving,
    fixtures: Sequence[Mapping[str, Any]],
    missed_at: str | None = None,
    *,
    later: Callable[[Callable[[], None]], None] | None = None,
    log: Callable[[list[ServedForecast]], None] | None = None,
) -> list[dict[str, Any]]:
    """A prediction (or an error item) per fixture, with the writes it leaves done: the
    answers' cache entries before it returns (asking again at once is a cache hit), the
    feature and prediction entries and the log's rows (handed to ``log``, by default
    ``serving.log.write``) in the work it hands to ``later`` (by default, done at once).
    Up to ``ONE_COMMAND_FIXTURES`` fixtures, every cache entry goes before it returns."""
    items, writes = _answer_fixtures(serving, fixtures, missed_at)
    early = len(fixtures) <= ONE_COMMAND_FIXTURES
    if early:
        serving.cache.store(writes.features, writes.predictions, writes.answers)
    else:
        serving.cache.store((), answers=writes.answers)

    def rest() -> None:
        if not early:
            serving.cache.store(writes.features, writes.predictions)
        (log or serving.log.write)(writes.served)

    (later or _at_once)(rest)
    return items


def _at_once(work: Callable[[], None]) -> None:
    work()


def served_row(
    current: ServingState, entry: Mapping[str, Any], prediction: Mapping[str, Any]
) -> ServedForecast:
    """The prediction log's row of a served forecast (one per fixture, model and prices
    read; the first one served is kept)."""
    fixture, forecast, inputs = entry["fixture"], prediction["forecast"], entry["inputs"]
    return ServedForecast(
        competition=fixture["competition"],
        home_team=fixture["home_team"],
        away_team=fixture["away_team"],
        kickoff_date=dt.date.fromisoformat(fixture["kickoff"]),
        match_id=fixture.get("match_id"),
        model_version=current.model_version,
        run_id=current.model.run_id,
        inputs_key=inputs_key(inputs),
        inputs=inputs,
        probabilities=(forecast["p_home"], forecast["p_draw"], forecast["p_away"]),
        forecast=forecast,
    )


class Holder:
    """Loads a process's ``Serving`` once, whichever thread asks first, and starts its
    champion watch; ``settings`` gives the process's settings (the worker's, read once)."""

    def __init__(self, settings: Callable[[], Settings]) -> None:
        self._settings = settings
        self._serving: Serving | None = None
        self._lock = threading.Lock()

    def loaded(self) -> Serving | None:
        """The process's ``Serving`` if it was loaded, without loading it."""
        return self._serving

    def get(self) -> Serving:
        serving = self._serving
        if serving is None:
            with self._lock:
                if self._serving is None:
                    started = time.perf_counter()
                    self._serving = Serving.load(self._settings())
                    gc.freeze()  # it lives as long as the process: out of the collector's walks
                    log.info("serving loaded", load_s=round(time.perf_counter() - started, 2))
                    threading.Thread(
                        target=self._serving.watch, name="footcast-champion-watch", daemon=True
                    ).start()
                serving = self._serving
        return serving
