"""Heartbeats in the store: proof that the path producer → bus → worker → PostgreSQL works."""

from __future__ import annotations

from datetime import datetime

import psycopg


def record_heartbeat(
    conn: psycopg.Connection,
    source: str,
    beat_at: datetime,
    handled_by: str,
    request_id: str | None = None,
) -> bool:
    """Record one beat, keyed on ``(source, beat_at)``; True if this call stored it.

    A redelivered or replayed beat changes nothing: the first worker to record it stays.
    """
    with conn.transaction():
        cursor = conn.execute(
            "INSERT INTO heartbeats (source, beat_at, handled_by, request_id)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (source, beat_at) DO NOTHING",
            (source, beat_at, handled_by, request_id),
        )
        return cursor.rowcount == 1


def last_heartbeat(conn: psycopg.Connection, source: str) -> datetime | None:
    """When the newest recorded beat of ``source`` was sent, if any."""
    row = conn.execute(
        "SELECT max(beat_at) FROM heartbeats WHERE source = %s", (source,)
    ).fetchone()
    return row[0] if row else None
