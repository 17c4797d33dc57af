"""``POST /v1/ping``: a round trip through the bus, for operators and the demo."""

from __future__ import annotations

import time

import falcon

from actors import contracts
from actors.bus import Bus
from api.errors import invalid_field
from api.validation import json_object


class Ping:
    def __init__(self, bus: Bus, timeout_ms: int) -> None:
        self.bus = bus
        self.timeout_ms = timeout_ms

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = json_object(req)
        queue = body.get("queue", "ops")
        if queue not in contracts.QUEUES:
            raise invalid_field("queue", f"queue must be one of {', '.join(contracts.QUEUES)}")
        text = body.get("message", "ping")
        if not isinstance(text, str) or len(text) > 200:
            raise invalid_field("message", "message must be a string of at most 200 characters")
        started = time.perf_counter()
        message = self.bus.send(
            contracts.ping(queue, message=text).copy(options={"request_id": req.context.request_id})
        )
        result = self.bus.wait(message, self.timeout_ms)
        resp.media = {
            **result,
            "queue": queue,
            "roundtrip_ms": round((time.perf_counter() - started) * 1000, 2),
        }
