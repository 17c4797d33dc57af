"""``GET /v1/models``: champion, challenger and the latest promotion decisions, from the
registry (the serving record says what workers serve; this says what the registry holds)."""

from __future__ import annotations

import importlib
import threading
from typing import Any

import falcon

from api.errors import RETRY_AFTER_S, ApiError
from core.settings import Settings

#: Promotion decisions listed, newest first.
DECISIONS_LISTED = 5


class Models:
    """The registry's view, read-only.

    The registry module (and MLflow, a few seconds of imports) is loaded on a background
    thread when the app is built, so the API starts answering at once and the first
    ``/v1/models`` does not wait for the whole import.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        threading.Thread(
            target=importlib.import_module,
            args=("ml.registry",),
            name="registry-import",
            daemon=True,
        ).start()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        from ml import registry
        from ml.errors import ModelNotFound, RegistryError

        def alias(name: str) -> dict[str, Any] | None:
            try:
                info = registry.model_info(self.settings, name).as_dict()
            except ModelNotFound:
                return None
            reasons = info["tags"].get(registry.TAG_REASONS)
            keep = {"version", "aliases", "created_at", "promoted_at", "metrics"}
            return {**{k: info[k] for k in keep}, "reasons": reasons}

        try:
            resp.media = {
                "name": registry.MODEL_NAME,
                "champion": alias(registry.CHAMPION),
                "challenger": alias(registry.CHALLENGER),
                "decisions": registry.promotion_decisions(self.settings, DECISIONS_LISTED),
            }
        except RegistryError as exc:
            raise ApiError(
                503,
                "registry_unavailable",
                "the model registry is unavailable; retry shortly",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            ) from exc
