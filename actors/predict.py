"""``featurise`` and ``predict``: the ``ml`` queue, served from the worker's in-memory model.

Each worker process loads its ``Serving`` (champion, features, cache) on the first message
and checks for a new champion before each message (rate-limited), so every worker process
switches within seconds of a promotion, whichever of them took ``model_promoted``.
"""

from __future__ import annotations

import time
from typing import Any

import dramatiq

from actors.contracts import ContractError, check_payload
from core.fixtures import InvalidFixture, normalise_fixture
from ml.serving import Holder, featurise_fixtures, predict_fixtures

#: Most fixtures one message may carry (a matchday and then some).
MAX_FIXTURES = 100

serving = Holder()


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
    current = serving.get()
    current.refresh()
    return {"predictions": predict_fixtures(current, fixtures), "queue_wait_ms": queue_wait_ms}
