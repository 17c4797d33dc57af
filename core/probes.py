"""Reachability probes for the services footcast depends on, bounded in time.

Each probe opens a fresh connection, so a probe says whether a *new* client could work now,
which is what readiness means; ``probe_all`` runs them concurrently under one deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import pika
import psycopg
import redis

from core.settings import Settings


@dataclass(frozen=True)
class ProbeResult:
    name: str
    ok: bool
    latency_ms: float
    detail: str = ""


def probe_postgres(settings: Settings) -> None:
    with psycopg.connect(settings.database_url, connect_timeout=2) as conn:
        conn.execute("SELECT 1")


def probe_rabbitmq(settings: Settings) -> None:
    params = pika.URLParameters(settings.broker_url)
    timeout_s = settings.health_timeout_ms / 1000
    params.socket_timeout = timeout_s
    params.blocked_connection_timeout = timeout_s
    params.connection_attempts = 1
    pika.BlockingConnection(params).close()


def _probe_redis(url: str, settings: Settings) -> None:
    timeout_s = settings.health_timeout_ms / 1000
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
    try:
        client.ping()
    finally:
        client.close()


PROBES: dict[str, Callable[[Settings], None]] = {
    "postgres": probe_postgres,
    "rabbitmq": probe_rabbitmq,
    "redis_results": lambda s: _probe_redis(s.results_url, s),
    "redis_cache": lambda s: _probe_redis(s.cache_url, s),
}


def _timed(name: str, probe: Callable[[Settings], None], settings: Settings) -> ProbeResult:
    started = time.perf_counter()
    try:
        probe(settings)
    except Exception as exc:
        elapsed = (time.perf_counter() - started) * 1000
        return ProbeResult(name, False, elapsed, f"{type(exc).__name__}: {exc}"[:200])
    return ProbeResult(name, True, (time.perf_counter() - started) * 1000)


def probe_all(settings: Settings, names: tuple[str, ...] = tuple(PROBES)) -> list[ProbeResult]:
    """Run the named probes at once; one still running at the deadline is reported as down."""
    deadline_s = settings.health_timeout_ms / 1000
    pool = ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="probe")
    futures = {name: pool.submit(_timed, name, PROBES[name], settings) for name in names}
    wait(futures.values(), timeout=deadline_s)
    pool.shutdown(wait=False, cancel_futures=True)
    return [
        future.result()
        if future.done()
        else ProbeResult(name, False, deadline_s * 1000, "timed out")
        for name, future in futures.items()
    ]
