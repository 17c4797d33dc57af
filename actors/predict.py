"""``featurise``, ``predict`` and ``log_served``: the ``ml`` queue, served from the worker's
in-memory model.

Each worker process loads its ``Serving`` (champion, features, cache) when it boots, is
told of promotions and new data at once (``actors.serving_events``), and also checks for a
new champion every few seconds in a thread of its own, so it switches even if it missed an
event and the API answers everything from the cache meanwhile. A message never waits for
that check (a registry call).

``predict`` writes its prediction log rows, and a batch's cache entries that an immediate
repeat does not read, once its answer is stored (``actors.after_result``): the commit
and the writes no longer delay the answer. Rows the store refuses then go on in a
``log_served`` message, retried with backoff and dead-lettered when retries run out, so no
served forecast goes unlogged.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import dramatiq
import structlog

from actors import contracts, runtime
from actors.after_result import after_result
from actors.contracts import ContractError, check_payload
from actors.readiness import prepare
from core.fixtures import NO_MODEL, InvalidFixture, normalise_fixture
from etl.store.prediction_log import LogNotWritten, ServedForecast
from ml.errors import ModelNotFound
from ml.serving import Holder, Serving, featurise_fixtures, predict_fixtures

#: Most fixtures one message may carry (a matchday and then some).
MAX_FIXTURES = 100

serving = Holder(runtime.settings)
log = structlog.get_logger("footcast.actors.predict")


def _load_serving() -> None:
    """Load the serving state before the process consumes, so no prediction waits behind the
    load and the serving record is current at once. Without a champion (or a store) there is
    nothing to wait for: the process consumes, answers ``no_model``, and loads at the first
    message after a champion appears."""
    try:
        serving.get()
    except ModelNotFound as exc:
        log.warning("no champion to serve yet", error=str(exc))
    except Exception:
        log.exception("serving state not loaded; trying again at the next message")


prepare(_load_serving)


def _fixtures(data: Any) -> list[dict[str, Any]]:
    fixtures = check_payload(data, ("fixtures",))["fixtures"]
    if not isinstance(fixtures, list) or not 0 < len(fixtures) <= MAX_FIXTURES:
        raise ContractError(f"fixtures must be a list of 1 to {MAX_FIXTURES} fixtures")
    try:
        return [normalise_fixture(f, f"fixtures[{i}].") for i, f in enumerate(fixtures)]
    except InvalidFixture as exc:
        raise ContractError(str(exc)) from exc


@dramatiq.actor(
    actor_name="featurise",
    queue_name="ml",
    max_retries=3,
    min_backoff=200,
    time_limit=120_000,
    store_results=True,
    throws=(ContractError,),
)
def featurise(data: Any) -> dict[str, Any]:
    """Features of fixtures, from the store as training computes them (and cached)."""
    fixtures = _fixtures(data)
    return {"features": featurise_fixtures(serving.get(), fixtures)}


@dramatiq.actor(
    actor_name="predict",
    queue_name="ml",
    max_retries=3,
    min_backoff=200,
    time_limit=120_000,
    store_results=True,
    throws=(ContractError,),
)
def predict(data: Any) -> dict[str, Any]:
    """Forecasts of fixtures by the current champion; unknown names are answered as errors."""
    fixtures = _fixtures(data)
    sent_at = data.get("sent_at")
    queue_wait_ms = (time.time() - sent_at) * 1000 if isinstance(sent_at, int | float) else None
    try:
        current = serving.get()
    except ModelNotFound as exc:
        no_model = {"error": {"code": NO_MODEL, "message": str(exc)}}
        return {"predictions": [no_model] * len(fixtures), "queue_wait_ms": queue_wait_ms}
    missed_at = data.get("missed_at")
    if not isinstance(missed_at, str | None):
        raise ContractError("missed_at must be a data version (a string)")
    predictions = predict_fixtures(
        current, fixtures, missed_at, later=after_result, log=partial(_log, current)
    )
    return {"predictions": predictions, "queue_wait_ms": queue_wait_ms}


def _log(current: Serving, served: list[ServedForecast]) -> None:
    try:
        current.log.write(served)
    except LogNotWritten as exc:
        log.warning("prediction log not written; its rows go on in a message", error=str(exc))
        rows = [row.to_message() for row in served]
        dramatiq.get_broker().enqueue(contracts.log_served(rows))


@dramatiq.actor(
    actor_name="log_served",
    queue_name="ml",
    max_retries=10,
    min_backoff=1_000,
    max_backoff=60_000,
    time_limit=60_000,
    throws=(ContractError,),
)
def log_served(data: Any) -> None:
    """Served forecasts a worker could not log at once (``contracts.log_served``)."""
    rows = check_payload(data, ("rows",))["rows"]
    if not isinstance(rows, list):
        raise ContractError("rows must be a list of served forecasts")
    try:
        served = [ServedForecast.from_message(row) for row in rows]
    except (TypeError, KeyError, ValueError) as exc:
        raise ContractError(f"rows: {exc}") from exc
    serving.get().log.write(served)
