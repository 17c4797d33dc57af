"""``create_app``: wires resources, middleware and routes; nothing else."""

from __future__ import annotations

from typing import Any

import falcon
import falcon.media
import orjson

from actors.bus import Bus
from actors.queue_status import ConsumerWatch, queue_status
from api.errors import install_error_handling
from api.forecast_client import ForecastClient
from api.metrics import Metrics, MetricsResource, RequestMetrics, StateCollector
from api.middleware import AccessLog, BodyLimit, RequestId
from api.openapi import OpenApi
from api.resources.catalogue import Champion, Fixtures, Teams
from api.resources.health import Liveness, Readiness
from api.resources.models import Models
from api.resources.page import PAGE_DIR, Page, StaticCaching
from api.resources.ping import Ping
from api.resources.predictions import Predict, Predictions
from api.resources.scoreboard import Scoreboard
from api.store import StoreReader
from core.cache import Cache
from core.redis import results_client
from core.serving_record import serving_key
from core.settings import Settings


def create_app(settings: Settings, bus: Bus | None = None) -> falcon.App:
    bus = bus or Bus.from_settings(settings, ConsumerWatch(settings).consumers)
    metrics = Metrics()
    middleware: list[Any] = [
        RequestId(),
        BodyLimit(),
        AccessLog(),
        RequestMetrics(metrics),
        StaticCaching(),
    ]
    origins = settings.cors_origin_list
    if origins:
        allowed = "*" if "*" in origins else origins
        middleware.append(
            falcon.CORSMiddleware(allow_origins=allowed, expose_headers="Retry-After")
        )
    app = falcon.App(middleware=middleware)
    json_handler = falcon.media.JSONHandler(dumps=orjson.dumps, loads=orjson.loads)
    app.req_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    install_error_handling(app)
    forecasts = ForecastClient(
        bus,
        Cache.from_settings(settings),
        results_client(settings),
        serving_key(settings),
        metrics,
        settings.predict_timeout_ms,
        settings.result_ttl_ms,
    )
    store = StoreReader(settings)
    predictions = Predictions(forecasts)
    app.add_route("/health/live", Liveness())
    app.add_route("/health/ready", Readiness(settings))
    app.add_route("/v1/ping", Ping(bus, settings.predict_timeout_ms))
    app.add_route("/v1/predict", Predict(forecasts))
    app.add_route("/v1/predictions", predictions)
    app.add_route("/v1/predictions/batch", predictions, suffix="batch")
    app.add_route("/v1/predictions/{task_id}", predictions, suffix="item")
    app.add_route("/v1/fixtures", Fixtures(store, forecasts))
    app.add_route("/v1/teams", Teams(store))
    app.add_route("/v1/models", Models(settings))
    app.add_route("/v1/models/champion", Champion(forecasts))
    app.add_route("/v1/scoreboard", Scoreboard(store))
    app.add_route("/openapi.json", OpenApi())
    app.add_route("/", Page())
    app.add_static_route("/static", PAGE_DIR)
    state = StateCollector(
        forecasts.serving_or_none,
        lambda: queue_status(settings),
        store.newest_data,
        store.quality,
    )
    app.add_route("/metrics", MetricsResource(metrics, state))
    return app
