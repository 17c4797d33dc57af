"""Answering fixtures: from the cache when it can, else through the bus and a worker.

The API never loads a model. It learns which model and data version the workers serve
from the serving record (re-read at most every ``SERVING_TTL_S``), looks the fixtures'
answers up in the cache (one read), and sends the misses to ``predict`` in one message.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import redis
from dramatiq import Message

from actors import contracts
from actors.bus import ActorFailed, Bus, BusUnavailable, ResultNotReady
from api.errors import STATUS_OF_CODE, ApiError
from api.metrics import Metrics
from core.cache import Cache
from core.serving_record import read_serving

#: How long the serving record read from Redis is trusted (s).
SERVING_TTL_S = 0.5
#: Key prefix of the prediction tasks the API handed out ids for, in the results Redis.
TASK_KEY_PREFIX = "footcast:prediction-task:"
#: Kinds of prediction task: one fixture, or a batch of them.
SINGLE, BATCH = "single", "batch"


def task_url(task_id: str) -> str:
    return f"/v1/predictions/{task_id}"


class PredictionTimeout(ApiError):
    """Raised when a worker did not answer within the sync timeout; the task goes on."""

    def __init__(self, task_id: str, timeout_ms: int) -> None:
        super().__init__(
            STATUS_OF_CODE["timeout"],
            "timeout",
            f"no answer within {timeout_ms} ms; the prediction goes on, poll its URL",
            headers={"Location": task_url(task_id)},
            extra={"id": task_id, "poll": task_url(task_id)},
        )


class ForecastClient:
    """Predictions for normalised fixtures, sync or as tasks to poll."""

    def __init__(
        self,
        bus: Bus,
        cache: Cache,
        results: redis.Redis,
        serving_key: str,
        metrics: Metrics,
        timeout_ms: int,
        task_ttl_ms: int,
    ) -> None:
        self.serving_key = serving_key
        self.bus = bus
        self.cache = cache
        self.results = results
        self.metrics = metrics
        self.timeout_ms = timeout_ms
        self.task_ttl_ms = task_ttl_ms
        self._serving: dict[str, Any] | None = None
        self._serving_read = -SERVING_TTL_S
        self._lock = threading.Lock()

    def serving(self) -> dict[str, Any] | None:
        """The serving record (model and data version), re-read at most every SERVING_TTL_S."""
        now = time.monotonic()
        if now - self._serving_read >= SERVING_TTL_S:
            try:
                record = read_serving(self.results, self.serving_key)
            except redis.RedisError as exc:
                raise BusUnavailable("results", str(exc)) from exc
            with self._lock:
                self._serving, self._serving_read = record, now
        return self._serving

    def serving_or_none(self) -> dict[str, Any] | None:
        """The serving record, or None if unknown or unreachable (for metrics)."""
        try:
            return self.serving()
        except BusUnavailable:
            return None

    def cached(
        self, fixtures: Sequence[dict[str, Any]]
    ) -> tuple[list[dict[str, Any] | None], str | None]:
        """Cached answers of the fixtures under the served versions (None where missing),
        and the data version under which none of the missing had a feature entry (None if
        some had, or no version is known): the worker need not look them up again."""
        record = self.serving()
        if record is None:
            self.metrics.labelled(self.metrics.cache, "miss").inc(len(fixtures))
            return [None] * len(fixtures), None
        data_version, model_version = record["data_version"], record["model_version"]
        answers, featured = self.cache.lookup(fixtures, data_version, record["model_key"])
        hits = sum(a is not None for a in answers)
        if hits:
            self.metrics.labelled(self.metrics.cache, "hit").inc(hits)
            self.metrics.labelled(self.metrics.predictions, "cache", model_version).inc(hits)
        if hits < len(answers):
            self.metrics.labelled(self.metrics.cache, "miss").inc(len(answers) - hits)
        return answers, None if featured else data_version

    def answer(
        self, fixtures: Sequence[dict[str, Any]], kind: str = SINGLE
    ) -> list[dict[str, Any]]:
        """An answer per fixture (a prediction or an error item), blocking on the workers
        for those the cache lacks; ``PredictionTimeout`` past the sync timeout."""
        answers, missed_at = self.cached(fixtures)
        missing = [i for i, a in enumerate(answers) if a is None]
        if missing:
            message = self.send([fixtures[i] for i in missing], missed_at)
            try:
                result = self.bus.wait(message, self.timeout_ms)
            except ResultNotReady:
                self.remember(message.message_id, kind)
                raise PredictionTimeout(message.message_id, self.timeout_ms) from None
            for i, item in zip(missing, self.received(result), strict=True):
                answers[i] = item
        return [a for a in answers if a is not None]

    def send(
        self, fixtures: Sequence[dict[str, Any]], missed_at: str | None = None
    ) -> Message[Any]:
        return self.bus.send(contracts.predict(list(fixtures), time.time(), missed_at))

    def received(self, result: dict[str, Any]) -> list[dict[str, Any]]:
        """A worker's answers, counted as they reach the client."""
        wait_ms = result.get("queue_wait_ms")
        if isinstance(wait_ms, int | float):
            self.metrics.queue_wait.observe(max(wait_ms, 0.0) / 1000)
        items: list[dict[str, Any]] = result["predictions"]
        counts = Counter(
            ("cache" if item.get("cached") else "model", item["model"]["version"])
            for item in items
            if "error" not in item
        )
        for labels, count in counts.items():  # a label lookup per item cost a batch 10 ms
            self.metrics.labelled(self.metrics.predictions, *labels).inc(count)
        return items

    # -- tasks --------------------------------------------------------------------------

    def submit(self, fixtures: Sequence[dict[str, Any]], kind: str) -> str:
        """Queue a prediction task; its id is what the client polls."""
        message = self.send(fixtures)
        self.remember(message.message_id, kind)
        return message.message_id

    def remember(self, task_id: str, kind: str) -> None:
        try:
            self.results.set(f"{TASK_KEY_PREFIX}{task_id}", kind, px=self.task_ttl_ms)
        except redis.RedisError as exc:
            raise BusUnavailable("results", str(exc)) from exc

    def status(self, task_id: str) -> dict[str, Any] | None:
        """``{"id", "status": queued|done|failed, "result"|"error"}``; None if unknown."""
        try:
            kind = self.results.get(f"{TASK_KEY_PREFIX}{task_id}")
        except redis.RedisError as exc:
            raise BusUnavailable("results", str(exc)) from exc
        if kind is None:
            return None
        message: Message[Any] = Message(
            queue_name="ml",
            actor_name="predict",
            args=(),
            kwargs={},
            options={},
            message_id=task_id,
        )
        try:
            result = self.bus.poll(message)
        except ResultNotReady:
            return {"id": task_id, "status": "queued"}
        except ActorFailed as exc:
            return {
                "id": task_id,
                "status": "failed",
                "error": {"code": "actor_failed", "message": str(exc)},
            }
        items: list[dict[str, Any]] = result["predictions"]
        if kind.decode() == BATCH:
            return {"id": task_id, "status": "done", "result": {"predictions": items}}
        if "error" in items[0]:
            return {"id": task_id, "status": "failed", "error": items[0]["error"]}
        return {"id": task_id, "status": "done", "result": items[0]}
