"""``create_app``: wires resources, middleware and routes; nothing else."""

from __future__ import annotations

from typing import Any

import falcon
import falcon.media
import orjson

from actors.bus import Bus
from api.errors import install_error_handling
from api.middleware import AccessLog, BodyLimit, RequestId
from api.resources.health import Liveness, Readiness
from api.resources.ping import Ping
from core.settings import Settings


def create_app(settings: Settings, bus: Bus | None = None) -> falcon.App:
    bus = bus or Bus.from_settings(settings)
    middleware: list[Any] = [RequestId(), BodyLimit(), AccessLog()]
    app = falcon.App(middleware=middleware)
    json_handler = falcon.media.JSONHandler(dumps=orjson.dumps, loads=orjson.loads)
    app.req_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    install_error_handling(app)
    app.add_route("/health/live", Liveness())
    app.add_route("/health/ready", Readiness(settings))
    app.add_route("/v1/ping", Ping(bus, settings.predict_timeout_ms))
    return app
