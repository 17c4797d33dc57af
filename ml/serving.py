"""Serving forecasts through the caches: what the ``featurise`` and ``predict`` actors do.

``Serving`` is a worker's whole serving state: its predictor, the cache, and the serving
record it publishes whenever the model or the data it serves changes. The functions answer
a list of normalised fixtures at once (a matchday is one message): cached feature vectors
and predictions are reused, the rest computed and cached. A fixture the store cannot place
(unknown team, competition or match) is an error item in the answer, not a failure of the
message: retrying cannot fix it and it is the client's to correct.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
import redis
import structlog

from core.cache import Cache, digest
from core.redis import results_client
from core.serving import publish_serving, serving_key
from core.settings import Settings
from etl.competitions import UnknownCompetition
from etl.errors import EtlError, UnknownTeam
from ml import registry
from ml.errors import MlError
from ml.predictor import Predictor, Snapshot, UnknownMatch

log = structlog.get_logger("footcast.serving")

#: Shortest lifetime of the serving record (s); workers renew it every check.
SERVING_RECORD_MIN_TTL_S = 10
#: Fixture errors answered to the client: (code, field at fault).
FIXTURE_ERRORS = (UnknownTeam, UnknownCompetition, UnknownMatch)


class Serving:
    """A predictor, the cache, and the record of what is served; one per worker process."""

    def __init__(self, settings: Settings, predictor: Predictor, cache: Cache) -> None:
        self.settings = settings
        self.predictor = predictor
        self.cache = cache
        self._results = results_client(settings)
        self.publish()

    @classmethod
    def load(cls, settings: Settings) -> Serving:
        return cls(settings, Predictor.load(settings), Cache.from_settings(settings))

    def refresh(self, *, force: bool = False, data: bool = False) -> bool:
        """Pick up a new champion, and new data if ``data`` (rate-limited unless ``force``).

        A failed check keeps the current model (and is retried at the next one), except a
        forced one: that fails its caller, the ``model_promoted`` message, which is retried.
        """
        try:
            changed = self.predictor.reload_if_changed(force=force, data=data)
        except (MlError, EtlError, psycopg.Error, OSError) as exc:
            if force:
                raise
            log.warning("champion check failed; serving on", error=str(exc))
            return False
        if changed:
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
        snapshot = self.predictor.snapshot
        record: dict[str, Any] = {
            "model_name": registry.MODEL_NAME,
            "model_version": snapshot.model_version,
            "model_key": snapshot.model.key,
            "data_version": snapshot.data_version,
            "loaded_at": dt.datetime.fromtimestamp(snapshot.loaded_at, dt.UTC).isoformat(
                timespec="seconds"
            ),
            "promoted_at": snapshot.model.promoted_at,
            "metrics": snapshot.model.metrics,
        }
        ttl_s = max(SERVING_RECORD_MIN_TTL_S, int(5 * self.settings.model_check_interval_s))
        publish_serving(self._results, serving_key(self.settings), record, ttl_s)


def fixture_error(exc: Exception, fixture: Mapping[str, Any]) -> dict[str, Any]:
    """The answer for a fixture that names something unknown."""
    if isinstance(exc, UnknownTeam):
        field = "away_team" if exc.name == fixture.get("away_team") else "home_team"
        return {
            "code": "unknown_team",
            "message": str(exc),
            "field": field,
            "candidates": list(exc.candidates),
        }
    if isinstance(exc, UnknownMatch):
        return {"code": "unknown_match", "message": str(exc), "field": "match_id"}
    return {"code": "unknown_competition", "message": str(exc), "field": "competition"}


def _feature_entry(
    predictor: Predictor, snapshot: Snapshot, fixture: Mapping[str, Any]
) -> dict[str, Any]:
    resolved = predictor.resolve(fixture, snapshot)
    features = snapshot.features(resolved)
    return {"fixture": resolved, "features": features, "hash": digest(features)}


def featurise_fixtures(
    serving: Serving, fixtures: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Feature entries (``fixture``, ``features``, ``hash``) of the fixtures, cached."""
    predictor, cache = serving.predictor, serving.cache
    snapshot = predictor.snapshot
    found = cache.get_many([cache.features_key(snapshot.data_version, f) for f in fixtures])
    items: list[dict[str, Any]] = []
    fresh = []
    for fixture, entry in zip(fixtures, found, strict=True):
        if entry is None:
            try:
                entry = _feature_entry(predictor, snapshot, fixture)
            except FIXTURE_ERRORS as exc:
                items.append({"error": fixture_error(exc, fixture)})
                continue
            fresh.append((cache.features_key(snapshot.data_version, fixture), entry))
        items.append({**entry, "data_version": snapshot.data_version})
    cache.store(fresh)
    return items


def predict_fixtures(
    serving: Serving, fixtures: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """A prediction (or an error item) per fixture, each naming the model version that made it."""
    predictor, cache = serving.predictor, serving.cache
    snapshot = predictor.snapshot
    found = cache.lookup(fixtures, snapshot.data_version, snapshot.model.key)
    items: list[dict[str, Any]] = []
    fresh_features = []
    fresh_predictions = []
    for fixture, (entry, prediction) in zip(fixtures, found, strict=True):
        cached = prediction is not None
        try:
            if entry is None:
                entry = _feature_entry(predictor, snapshot, fixture)
                fresh_features.append((cache.features_key(snapshot.data_version, fixture), entry))
        except FIXTURE_ERRORS as exc:
            items.append({"error": fixture_error(exc, fixture)})
            continue
        if prediction is None:
            prediction = snapshot.forecast(entry["fixture"], entry["features"])
            fresh_predictions.append(
                (cache.prediction_key(snapshot.model.key, entry["hash"]), prediction)
            )
        items.append(
            {
                "fixture": entry["fixture"],
                **prediction,
                "data_version": snapshot.data_version,
                "cached": cached,
            }
        )
    cache.store(fresh_features, fresh_predictions)
    return items


class Holder:
    """Loads a process's ``Serving`` once, whichever thread asks first, and starts its
    champion watch."""

    def __init__(self) -> None:
        self._serving: Serving | None = None
        self._lock = threading.Lock()

    def get(self, settings_factory: Any = Settings.from_env) -> Serving:
        serving = self._serving
        if serving is None:
            with self._lock:
                if self._serving is None:
                    started = time.perf_counter()
                    self._serving = Serving.load(settings_factory())
                    log.info("serving loaded", load_s=round(time.perf_counter() - started, 2))
                    threading.Thread(
                        target=self._serving.watch, name="footcast-champion-watch", daemon=True
                    ).start()
                serving = self._serving
        return serving
