"""The serving record: which model and data version the workers serve now.

Workers write it (results Redis, next to the results it describes) whenever they load a
champion; the API reads it to look predictions up in the cache without loading a model, and
to answer ``GET /v1/models/champion``. It lives in the results Redis, which serving needs
anyway, so it does not vanish with the optional cache.
"""

from __future__ import annotations

from typing import Any

import orjson
import redis

from core.cache import namespace
from core.settings import Settings


def serving_key(settings: Settings) -> str:
    return f"{namespace(settings)}serving"


def publish_serving(client: redis.Redis, key: str, record: dict[str, Any], ttl_s: int) -> None:
    """Replace the serving record (model name and version, data version, promotion time,
    backtest metrics, load time). Workers renew it while they serve, so it expires soon
    after the last one stopped and never describes a model no worker holds any more."""
    client.set(key, orjson.dumps(record), ex=ttl_s)


def read_serving(client: redis.Redis, key: str) -> dict[str, Any] | None:
    """The serving record, or None before any worker loaded a model."""
    raw = client.get(key)
    return None if raw is None else dict(orjson.loads(raw))
