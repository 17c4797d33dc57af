"""Prometheus metrics of the API, and the ``GET /metrics`` resource.

Under gunicorn (``api.gunicorn_conf``) samples of every worker process are collected from
the multiprocess directory; without it (tests, a single process) each app has a registry of
its own. Values that are state rather than events — the model version served, dead letters
waiting — are read when scraped.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import falcon
import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from actors.bus import BusError
from actors.queue_status import QueueStatus
from core.errors import StoreUnavailable

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Latency buckets (s): sub-millisecond cache hits up to the sync timeout.
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0)
#: How long an API process reuses the quality metrics it read from the store (s).
QUALITY_TTL_S = 60.0

log = structlog.get_logger("footcast.metrics")


class Metrics:
    """The API's counters and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "footcast_http_requests",
            "HTTP requests answered",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "footcast_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["route", "method"],
            buckets=LATENCY_BUCKETS_S,
            registry=r,
        )
        self.predictions = Counter(
            "footcast_predictions", "Predictions answered", ["source", "model_version"], registry=r
        )
        self.cache = Counter(
            "footcast_cache_lookups", "Prediction cache lookups", ["result"], registry=r
        )
        self.queue_wait = Histogram(
            "footcast_queue_wait_seconds",
            "Time a predict message waited before a worker took it",
            buckets=LATENCY_BUCKETS_S,
            registry=r,
        )

        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    def labelled(self, metric: Counter | Histogram, *labels: str) -> Any:
        """``metric``'s child for ``labels``, looked up once: ``labels()`` checks and
        locks at every call, a tenth of a cached answer's time for its four lookups. The
        label sets are few (routes, statuses, model versions)."""
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def observe_request(self, route: str, method: str, status: int, elapsed_s: float) -> None:
        self.labelled(self.requests, route, method, str(status)).inc()
        self.labelled(self.latency, route, method).observe(elapsed_s)


class RequestMetrics:
    """Middleware counting every request by route template, method and status."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        started = getattr(req.context, "started", None)
        elapsed_s = time.perf_counter() - started if started is not None else 0.0
        route = req.uri_template or "unmatched"
        self.metrics.observe_request(route, req.method, resp.status_code, elapsed_s)


class StateCollector(Collector):
    """Model version served; messages, consumers and dead letters per queue; the newest data
    per competition: all read at scrape time."""

    def __init__(
        self,
        serving: Callable[[], dict[str, Any] | None],
        queues: Callable[[], dict[str, QueueStatus]],
        newest_data: Callable[[], list[tuple[str, str, float]]],
        quality: Callable[[], dict[str, Any]],
    ) -> None:
        self.serving = serving
        self.queues = queues
        self.newest_data = newest_data
        self.quality = quality
        self._quality_read: tuple[float, dict[str, Any]] | None = None

    def collect(self) -> Iterator[Metric]:
        model = GaugeMetricFamily(
            "footcast_model_info", "Model version the workers serve", labels=["name", "version"]
        )
        record = self.serving()
        if record:
            model.add_metric([record["model_name"], record["model_version"]], 1.0)
        yield model
        families = {
            "messages": GaugeMetricFamily(
                "footcast_queue_messages", "Messages ready in each queue", labels=["queue"]
            ),
            "consumers": GaugeMetricFamily(
                "footcast_queue_consumers",
                "Worker processes consuming each queue",
                labels=["queue"],
            ),
            "dead_letters": GaugeMetricFamily(
                "footcast_dead_letters",
                "Messages waiting in each dead-letter queue",
                labels=["queue"],
            ),
        }
        try:
            for queue, status in self.queues().items():
                for field, family in families.items():
                    family.add_metric([queue], float(getattr(status, field)))
        except BusError as exc:
            log.warning("queue status unavailable", error=str(exc))
        yield from families.values()
        newest = GaugeMetricFamily(
            "footcast_data_newest_timestamp_seconds",
            "When the newest result kicked off and a fixture was last written, per competition",
            labels=["competition", "kind"],
        )
        try:
            for competition, kind, at in self.newest_data():
                newest.add_metric([competition, kind], at)
        except StoreUnavailable as exc:
            log.warning("data freshness unavailable", error=str(exc))
        yield newest
        yield from self._quality()

    def _quality(self) -> Iterator[Metric]:
        """The live scoreboard (served forecasts against the closing market, the last 30
        days, per competition and ``all``), the prediction log's last day and the latest
        feature drift check."""
        matches = GaugeMetricFamily(
            "footcast_live_matches",
            "Finished matches of the last 30 days scored on a forecast served before kickoff",
            labels=["competition"],
        )
        rps = GaugeMetricFamily(
            "footcast_live_rps",
            "Mean RPS on those matches of the served forecasts and the de-margined closing market",
            labels=["competition", "forecaster"],
        )
        logged = GaugeMetricFamily(
            "footcast_predictions_logged",
            "Forecasts first served in the last 24 hours (rows added to the prediction log)",
            labels=["competition"],
        )
        drift = GaugeMetricFamily(
            "footcast_feature_drift_psi",
            "Population stability index of each feature, coming fixtures against the year"
            " before the last result (the latest drift check)",
            labels=["feature"],
        )
        drift_fixtures = GaugeMetricFamily(
            "footcast_feature_drift_fixtures", "Fixtures the latest drift check compared"
        )
        live = self._live()
        if live["drift"] is not None:
            for feature, value in live["drift"]["psi"].items():
                drift.add_metric([feature], float(value))
            drift_fixtures.add_metric([], float(live["drift"]["fixtures"]))
        for row in live["scored"]:
            matches.add_metric([row["competition"]], float(row["matches"]))
            for forecaster, source in (("served", "model"), ("closing", "closing")):
                if row[source]["rps"] is not None:
                    rps.add_metric([row["competition"], forecaster], row[source]["rps"])
        for competition, count in live["logged"].items():
            logged.add_metric([competition], float(count))
        yield from (matches, rps, logged, drift, drift_fixtures)

    def _live(self) -> dict[str, Any]:
        """``quality()``, read again at most every ``QUALITY_TTL_S``: the scoreboard moves
        when matches finish, and rebuilding it at every scrape of every API process would
        cost a 30-day walk of the prediction log each time."""
        now = time.monotonic()
        if self._quality_read is not None and now - self._quality_read[0] < QUALITY_TTL_S:
            return self._quality_read[1]
        try:
            live = self.quality()
        except StoreUnavailable as exc:
            log.warning("quality metrics unavailable", error=str(exc))
            return {"scored": [], "logged": {}, "drift": None}
        self._quality_read = (now, live)
        return live


class MetricsResource:
    """``GET /metrics`` in the Prometheus text format."""

    def __init__(self, metrics: Metrics, state: Collector) -> None:
        self.metrics = metrics
        self.state = state

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        directory = os.environ.get(MULTIPROC_ENV)
        registry = CollectorRegistry(auto_describe=True)
        if directory:
            MultiProcessCollector(registry, path=directory)
        else:
            registry.register(_Forward(self.metrics.registry))
        registry.register(self.state)
        resp.content_type = CONTENT_TYPE_LATEST
        resp.data = generate_latest(registry)


class _Forward(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        return iter(self.registry.collect())
