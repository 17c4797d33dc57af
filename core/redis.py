"""Redis clients: the results backend and the cache live on separate databases."""

from __future__ import annotations

import redis

from core.settings import Settings

#: Slack between the longest blocking read of a result and the socket's read timeout (s).
RESULT_READ_SLACK_S = 5


def results_client(settings: Settings) -> redis.Redis:
    """Client for dramatiq's results backend.

    A blocking read of a result lasts up to ``FOOTCAST_PREDICT_TIMEOUT_MS``, so the socket
    read timeout (5 s by default in redis-py) sits just above it: long enough for the wait,
    short enough that a server that stops answering cannot hang a caller for good.
    """
    return redis.Redis.from_url(
        settings.results_url,
        socket_connect_timeout=1,
        socket_timeout=settings.predict_timeout_ms / 1000 + RESULT_READ_SLACK_S,
    )


def cache_client(settings: Settings) -> redis.Redis:
    """Client for the feature and prediction cache: short timeouts, it is only an optimisation."""
    return redis.Redis.from_url(settings.cache_url, socket_connect_timeout=0.2, socket_timeout=0.2)
