"""Predictions: sync (``/v1/predict``), as tasks (``/v1/predictions``) and by matchday."""

from __future__ import annotations

from typing import Any

import falcon

from api.errors import coded_error, invalid_field, item_error
from api.forecast_client import BATCH, SINGLE, ForecastClient, task_url
from api.validation import json_object
from core.fixtures import SameTeam, normalise_fixture

#: Most fixtures one batch request may hold.
MAX_BATCH = 100


def _answered(item: dict[str, Any]) -> dict[str, Any]:
    if "error" in item:
        raise item_error(item["error"])
    return item


class Predict:
    """``POST /v1/predict``: a fixture in, its prediction out, blocking up to the timeout."""

    def __init__(self, forecasts: ForecastClient) -> None:
        self.forecasts = forecasts

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        fixture = normalise_fixture(json_object(req))
        [item] = self.forecasts.answer([fixture], SINGLE)
        resp.media = _answered(item)


class Predictions:
    """``/v1/predictions``: tasks to poll, and batches answered together."""

    def __init__(self, forecasts: ForecastClient) -> None:
        self.forecasts = forecasts

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        fixture = normalise_fixture(json_object(req))
        task_id = self.forecasts.submit([fixture], SINGLE)
        resp.status = falcon.HTTP_202
        resp.location = task_url(task_id)
        resp.media = {"id": task_id, "status": "queued", "poll": task_url(task_id)}

    def on_get_item(self, req: falcon.Request, resp: falcon.Response, task_id: str) -> None:
        status = self.forecasts.status(task_id)
        if status is None:
            raise coded_error("unknown_prediction", f"no prediction task {task_id!r}")
        resp.media = status

    def on_post_batch(self, req: falcon.Request, resp: falcon.Response) -> None:
        fixtures = json_object(req).get("fixtures")
        if not isinstance(fixtures, list) or not 0 < len(fixtures) <= MAX_BATCH:
            raise invalid_field("fixtures", f"fixtures must be a list of 1 to {MAX_BATCH} fixtures")
        items: list[dict[str, Any]] = []
        for i, fixture in enumerate(fixtures):
            try:
                items.append(normalise_fixture(fixture, f"fixtures[{i}]."))
            except SameTeam as exc:  # a well-formed fixture of no match: an error item
                items.append(exc.item())
        asked = [item for item in items if "error" not in item]
        answers = iter(self.forecasts.answer(asked, BATCH) if asked else [])
        resp.media = {"predictions": [i if "error" in i else next(answers) for i in items]}
