"""``featurise`` and ``predict``: the ``ml`` queue, served from the worker's in-memory model.

Each worker process loads its ``Serving`` (champion, features, cache) when it boots, and
checks for a new champion every few seconds and before each message (rate-limited), so
every worker process switches within seconds of a promotion, whichever of them took
``model_promoted``, and even if the API answers everything from the cache meanwhile.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import dramatiq
import structlog
from dramatiq import Broker, Middleware

from actors.contracts import ContractError, check_payload
from core.fixtures import InvalidFixture, normalise_fixture
from ml.errors import ModelNotFound
from ml.serving import Holder, featurise_fixtures, predict_fixtures

#: Most fixtures one message may carry (a matchday and then some).
MAX_FIXTURES = 100

serving = Holder()
log = structlog.get_logger("footcast.actors.predict")


class LoadServing(Middleware):
    """Loads the predictor as soon as a worker process boots (in the background), so the
    first prediction does not wait for it and the serving record is current at once."""

    def after_worker_boot(self, broker: Broker, worker: Any) -> None:
        threading.Thread(target=_preload, name="footcast-serving-load", daemon=True).start()


def _preload() -> None:
    try:
        serving.get()
    except ModelNotFound as exc:
        log.warning("no champion to serve yet", error=str(exc))


dramatiq.get_broker().add_middleware(LoadServing())


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
    current = serving.get()
    current.refresh()
    return {"features": featurise_fixtures(current, fixtures)}


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
        no_model = {"error": {"code": "no_model", "message": str(exc)}}
        return {"predictions": [no_model] * len(fixtures), "queue_wait_ms": queue_wait_ms}
    current.refresh()
    return {"predictions": predict_fixtures(current, fixtures), "queue_wait_ms": queue_wait_ms}
