"""Liveness and readiness for Kubernetes probes and operators."""

from __future__ import annotations

import falcon

from actors.bus import BusUnavailable
from actors.queue_status import queue_status
from core.probes import probe_all
from core.settings import Settings

#: Dependencies without which the API cannot serve; the cache only degrades it.
REQUIRED = frozenset({"postgres", "rabbitmq", "redis_results"})


class Liveness:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"status": "ok"}


class Readiness:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        results = probe_all(self.settings)
        checks = {
            r.name: {
                "status": "up" if r.ok else ("down" if r.name in REQUIRED else "degraded"),
                "latency_ms": round(r.latency_ms, 1),
                **({"detail": r.detail} if r.detail else {}),
            }
            for r in results
        }
        ready = all(r.ok for r in results if r.name in REQUIRED)
        resp.status = falcon.HTTP_200 if ready else falcon.HTTP_503
        resp.media = {
            "status": "ready" if ready else "unavailable",
            "checks": checks,
            "queues": self.queues(),
        }

    def queues(self) -> dict[str, dict[str, int]] | None:
        """Consumers, depth and dead letters per queue: informative only, since the API
        answers from the cache, or a fast ``no_worker`` 503, while a queue has no worker."""
        try:
            status = queue_status(self.settings, timeout_s=self.settings.health_timeout_ms / 1000)
        except BusUnavailable:
            return None
        return {
            q: {"consumers": s.consumers, "messages": s.messages, "dead_letters": s.dead_letters}
            for q, s in status.items()
        }
