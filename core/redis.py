"""Redis clients: the results backend and the cache live on separate databases."""

from __future__ import annotations

import redis

from core.settings import Settings


def results_client(settings: Settings) -> redis.Redis:
    """Client for dramatiq's results backend (blocking reads need no socket timeout)."""
    return redis.Redis.from_url(settings.results_url, socket_connect_timeout=1)


def cache_client(settings: Settings) -> redis.Redis:
    """Client for the feature and prediction cache: short timeouts, it is only an optimisation."""
    return redis.Redis.from_url(settings.cache_url, socket_connect_timeout=0.2, socket_timeout=0.2)
