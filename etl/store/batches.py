"""Ingest batches: one per fetched file or scrape, pending until its validation gate decides.

A batch is keyed by (source, batch key, content sha256): re-importing the same bytes finds
the same batch, a changed file makes a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

#: Values ``ingest_batches.status`` may hold.
BATCH_STATUSES = ("pending", "validated", "quarantined")


@dataclass(frozen=True)
class Batch:
    id: int
    source: str
    batch_key: str
    content_sha256: str
    status: str
    row_count: int
    competition_code: str | None
    season_code: str | None
    raw_page_id: int | None
    reason: str | None
    report: dict[str, Any] | None
    summary: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = ", ".join(Batch.__dataclass_fields__)


def open_batch(
    conn: psycopg.Connection,
    *,
    source: str,
    batch_key: str,
    content_sha256: str,
    competition_code: str | None = None,
    season_code: str | None = None,
    raw_page_id: int | None = None,
) -> Batch:
    """The batch for this content, created ``pending`` the first time it is seen."""
    conn.execute(
        "INSERT INTO ingest_batches"
        " (source, batch_key, content_sha256, competition_code, season_code, raw_page_id)"
        " VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (source, batch_key, content_sha256) DO NOTHING",
        (source, batch_key, content_sha256, competition_code, season_code, raw_page_id),
    )
    found = _select(
        conn,
        "source = %s AND batch_key = %s AND content_sha256 = %s",
        (source, batch_key, content_sha256),
    )
    assert found
    return found[0]


def set_status(
    conn: psycopg.Connection,
    batch_id: int,
    status: str,
    *,
    reason: str | None = None,
    report: dict[str, Any] | None = None,
    row_count: int | None = None,
    summary: dict[str, Any] | None = None,
) -> None:
    """Record a gate's decision; a no-op (``updated_at`` kept) when nothing changes."""
    if status not in BATCH_STATUSES:
        raise ValueError(f"unknown batch status {status!r}")
    conn.execute(
        "UPDATE ingest_batches SET status = %(status)s::text, reason = %(reason)s::text,"
        " report = %(report)s::jsonb, row_count = coalesce(%(rows)s::int, row_count),"
        " summary = coalesce(%(summary)s::jsonb, summary), updated_at = now()"
        " WHERE id = %(id)s AND (status, reason, report, row_count, summary)"
        " IS DISTINCT FROM (%(status)s::text, %(reason)s::text, %(report)s::jsonb,"
        " coalesce(%(rows)s::int, row_count), coalesce(%(summary)s::jsonb, summary))",
        {
            "id": batch_id,
            "status": status,
            "reason": reason,
            "report": None if report is None else Jsonb(report),
            "rows": row_count,
            "summary": None if summary is None else Jsonb(summary),
        },
    )


def get_batch(conn: psycopg.Connection, batch_id: int) -> Batch | None:
    found = _select(conn, "id = %s", (batch_id,))
    return found[0] if found else None


def list_batches(
    conn: psycopg.Connection,
    *,
    status: str | None = None,
    source: str | None = None,
    limit: int = 100,
) -> list[Batch]:
    """Most recent first."""
    return _select(
        conn,
        "(%s::text IS NULL OR status = %s) AND (%s::text IS NULL OR source = %s)"
        " ORDER BY id DESC LIMIT %s",
        (status, status, source, source, limit),
    )


def _select(conn: psycopg.Connection, where: str, params: tuple[Any, ...]) -> list[Batch]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT {_COLUMNS} FROM ingest_batches WHERE {where}", params)
        return [Batch(**row) for row in cur.fetchall()]
