"""PostgreSQL connections: one pool per long-lived process, single connections for commands."""

from __future__ import annotations

import psycopg
from psycopg_pool import ConnectionPool

from core.settings import Settings


def open_pool(settings: Settings, *, min_size: int = 1) -> ConnectionPool:
    """A pool sized by ``FOOTCAST_DB_POOL_MAX``; callers close it when the process ends.
    Its connections are in autocommit: the pools serve reads of single statements, which
    then cost no COMMIT round trip when a connection goes back; a write that must be whole
    opens its own transaction (``conn.transaction()``)."""
    return ConnectionPool(
        settings.database_url,
        min_size=min_size,
        max_size=max(settings.db_pool_max, min_size),
        kwargs={"connect_timeout": 5, "autocommit": True},
        open=True,
        name="footcast",
    )


def connect(settings: Settings, *, autocommit: bool = False) -> psycopg.Connection:
    """One connection for a command-line job or a test."""
    return psycopg.connect(settings.database_url, autocommit=autocommit, connect_timeout=5)
