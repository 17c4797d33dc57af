"""The feature and prediction cache (Redis): an optimisation only, never a source of truth.

Keys carry what makes an entry valid, so an entry can never be read in the wrong context:

- ``<ns>features:<data version>:<fixture key>`` — a fixture's features and inputs (the
  prices it reads, where from, its warnings), as computed from the store at that data
  version (results and price snapshots both move it); the fixture key covers prices the
  request carries;
- ``<ns>prediction:<model version>:<feature hash>`` — a forecast of one feature vector and
  its prices by one model version (a new champion reads other keys; its predecessor's
  entries are dropped by ``drop_predictions``), so a priced and an unpriced answer for one
  fixture are different entries;
- ``<ns>answer:<model version>:<data version>:<fixture key>`` — the whole answer a worker
  served for a fixture, so the API answers a repeat in one read instead of two (features,
  then prediction); dropped with its model's predictions.

``<ns>`` (``namespace``) names the model registry the versions belong to, so two
deployments (or test sessions) sharing a Redis never read each other's entries.

Producers learn the versions to look up from the serving record (``core.serving_record``).

Every operation swallows Redis errors: an unreachable cache reads as a miss, a write is
skipped, and ``degraded`` says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
import redis

from core.redis import cache_client
from core.settings import Settings

#: Keys deleted per round trip when dropping a model's predictions.
DROP_BATCH = 500

#: Sets every key to its value with its own TTL (s): KEYS, then ARGV as the values followed
#: by the TTLs. One command however many entries: a batch's 300 SETs in a pipeline cost the
#: client 10 ms of command building and reply parsing, as much as its forecasts.
_STORE_SCRIPT = """
local n = #KEYS
for i = 1, n do
  redis.call('SET', KEYS[i], ARGV[i], 'EX', ARGV[n + i])
end
return n
"""


def digest(values: Mapping[str, Any]) -> str:
    """A stable digest of a mapping, whatever its key order: a normalised fixture's (the
    request's own spelling of it), or a feature vector's, so that equal vectors share one
    prediction entry per model."""
    return hashlib.sha1(orjson.dumps(dict(values), option=orjson.OPT_SORT_KEYS)).hexdigest()


def served_answer(
    entry: Mapping[str, Any], prediction: Mapping[str, Any], data_version: str, cached: bool
) -> dict[str, Any]:
    """One answer as every path serves it: a feature entry's fixture, inputs and warnings
    around the model's prediction."""
    return {
        "fixture": entry["fixture"],
        **prediction,
        "inputs": entry["inputs"],
        "warnings": entry["warnings"],
        "data_version": data_version,
        "cached": cached,
    }


def namespace(settings: Settings) -> str:
    """``footcast:<registry digest>:``, the prefix of every serving key of a deployment."""
    digest = hashlib.sha1(settings.mlflow_tracking_uri.encode()).hexdigest()[:8]
    return f"footcast:{digest}:"


class Cache:
    """Reads and writes of the cache Redis that never raise."""

    def __init__(
        self, client: redis.Redis, prefix: str, feature_ttl_s: int, prediction_ttl_s: int
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.feature_ttl_s = feature_ttl_s
        self.prediction_ttl_s = prediction_ttl_s
        self.degraded = False
        self._store = client.register_script(_STORE_SCRIPT)

    @classmethod
    def from_settings(cls, settings: Settings) -> Cache:
        return cls(
            cache_client(settings),
            namespace(settings),
            settings.feature_cache_ttl_s,
            settings.prediction_cache_ttl_s,
        )

    def features_key(self, data_version: str, fixture: Mapping[str, Any]) -> str:
        return f"{self.prefix}features:{data_version}:{digest(fixture)}"

    def prediction_key(self, model_version: str, features_digest: str) -> str:
        return f"{self.prefix}prediction:{model_version}:{features_digest}"

    def answer_key(self, model_version: str, data_version: str, fixture: Mapping[str, Any]) -> str:
        return f"{self.prefix}answer:{model_version}:{data_version}:{digest(fixture)}"

    def _ok(self) -> None:
        self.degraded = False

    def get_many(self, keys: Sequence[str]) -> list[Any]:
        """The decoded values of ``keys`` (``None`` for a miss or an unreachable cache)."""
        if not keys:
            return []
        try:
            raw = self.client.mget(keys)
        except redis.RedisError:
            self.degraded = True
            return [None] * len(keys)
        self._ok()
        return [None if value is None else orjson.loads(value) for value in raw]

    def get(self, key: str) -> Any:
        return self.get_many([key])[0]

    def store(
        self,
        features: Iterable[tuple[str, Mapping[str, Any]]],
        predictions: Iterable[tuple[str, Mapping[str, Any]]] = (),
        answers: Iterable[tuple[str, Mapping[str, Any]]] = (),
    ) -> None:
        """Write feature, prediction and answer entries in one command, each with its
        TTL (an answer lives as long as its prediction)."""
        keys: list[str] = []
        values: list[bytes] = []
        ttls: list[int] = []
        for entries, ttl in (
            (features, self.feature_ttl_s),
            (predictions, self.prediction_ttl_s),
            (answers, self.prediction_ttl_s),
        ):
            for key, value in entries:
                keys.append(key)
                values.append(orjson.dumps(value))
                ttls.append(ttl)
        if not keys:
            return
        try:
            self._store(keys=keys, args=[*values, *ttls])
        except redis.RedisError:
            self.degraded = True
            return
        self._ok()

    def lookup(
        self, fixtures: Sequence[Mapping[str, Any]], data_version: str, model_version: str
    ) -> tuple[list[dict[str, Any] | None], bool]:
        """The served answer of each fixture under these versions (None where missing), and
        whether any missing one has a feature entry; one round trip.

        Feature entries are only tested for presence, not decoded: a worker asked for the
        missing ones need not look them up again when none has one.
        """
        if not fixtures:
            return [], False
        keys = [self.answer_key(model_version, data_version, f) for f in fixtures]
        keys += [self.features_key(data_version, f) for f in fixtures]
        try:
            raw = self.client.mget(keys)
        except redis.RedisError:
            self.degraded = True
            return [None] * len(fixtures), False
        self._ok()
        answers = [None if value is None else orjson.loads(value) for value in raw[: len(fixtures)]]
        featured = any(
            answer is None and entry is not None
            for answer, entry in zip(answers, raw[len(fixtures) :], strict=True)
        )
        return answers, featured

    def drop_predictions(self, keep_version: str) -> int:
        """Delete cached predictions and answers of every model version but
        ``keep_version``."""
        dropped = 0
        try:
            for kind in ("prediction", "answer"):
                keep = f"{self.prefix}{kind}:{keep_version}:".encode()
                batch: list[bytes] = []
                for key in self.client.scan_iter(match=f"{self.prefix}{kind}:*", count=DROP_BATCH):
                    if not key.startswith(keep):
                        batch.append(key)
                    if len(batch) >= DROP_BATCH:
                        dropped += int(self.client.unlink(*batch))
                        batch = []
                if batch:
                    dropped += int(self.client.unlink(*batch))
        except redis.RedisError:
            self.degraded = True
            return dropped
        self._ok()
        return dropped
