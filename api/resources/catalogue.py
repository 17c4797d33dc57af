"""What can be forecast: upcoming fixtures (with predictions), teams, the champion model."""

from __future__ import annotations

import datetime as dt

import falcon

from api.errors import coded_error, invalid_field
from api.forecast_client import BATCH, ForecastClient
from api.store import StoreReader
from api.validation import competition_param, date_param
from core.fixtures import NO_MODEL, today_utc
from ml.backtest_paths import by_path

#: Default and largest number of fixtures one page lists.
DEFAULT_FIXTURES, MAX_FIXTURES = 50, 100
#: Default span of ``/v1/fixtures`` from ``from`` when ``to`` is not given (days).
DEFAULT_SPAN_DAYS = 14


class Fixtures:
    """``GET /v1/fixtures``: scheduled matches in a date range, each with its prediction."""

    def __init__(self, store: StoreReader, forecasts: ForecastClient) -> None:
        self.store = store
        self.forecasts = forecasts

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        competition = competition_param(req)
        start = date_param(req, "from") or today_utc()
        end = date_param(req, "to") or start + dt.timedelta(days=DEFAULT_SPAN_DAYS)
        try:
            limit = req.get_param_as_int("limit", min_value=1, max_value=MAX_FIXTURES)
        except falcon.HTTPInvalidParam:
            raise invalid_field(
                "limit", f"limit must be an integer from 1 to {MAX_FIXTURES}"
            ) from None
        limit = limit or DEFAULT_FIXTURES
        fixtures = self.store.fixtures(competition, start, end, limit)
        asked = [
            {k: f[k] for k in ("home_team", "away_team", "competition", "kickoff")}
            for f in fixtures
        ]
        answers = self.forecasts.answer(asked, BATCH) if asked else []
        listed = []
        for fixture, answer in zip(fixtures, answers, strict=True):
            if "error" in answer:
                listed.append({**fixture, "prediction": None, "error": answer["error"]})
            else:
                listed.append({**fixture, "prediction": answer})
        resp.media = {
            "competition": competition,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "fixtures": listed,
        }


class Teams:
    """``GET /v1/teams``: canonical team names (and the other spellings that resolve to them)."""

    def __init__(self, store: StoreReader) -> None:
        self.store = store

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        competition = competition_param(req)
        resp.media = {"competition": competition, "teams": self.store.teams(competition)}


class Champion:
    """``GET /v1/models/champion``: the model the workers serve, with its backtest metrics:
    ``metrics`` as logged (flat MLflow names; the unprefixed ones are the priced path's) and
    ``backtest``, the same grouped per path (``priced``: answers given the fixture's prices,
    ``unpriced``: stats only) beside the opening and closing markets."""

    def __init__(self, forecasts: ForecastClient) -> None:
        self.forecasts = forecasts

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        record = self.forecasts.serving()
        if record is None:
            raise coded_error(NO_MODEL, "no worker has loaded a model yet")
        resp.media = {
            "name": record["model_name"],
            "version": record["model_version"],
            "promoted_at": record.get("promoted_at"),
            "loaded_at": record.get("loaded_at"),
            "data_version": record["data_version"],
            "metrics": record.get("metrics") or {},
            "backtest": by_path(record.get("metrics") or {}),
        }
