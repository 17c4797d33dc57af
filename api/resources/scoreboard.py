"""``GET /v1/scoreboard``: the served forecasts of finished matches, scored."""

from __future__ import annotations

import falcon

from api.store import StoreReader
from api.validation import competition_param, date_param


class Scoreboard:
    """RPS, log-loss and Brier of what was served beside the closing and opening market."""

    def __init__(self, store: StoreReader) -> None:
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.store.scoreboard(competition_param(req), date_param(req, "since"))
