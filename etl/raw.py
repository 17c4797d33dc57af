"""The raw archive: every fetched page or file is kept, compressed, before it is parsed.

A parser bug or a layout change can then be diagnosed, and re-parsed, from what was fetched.
"""

from __future__ import annotations

import hashlib
import zlib

import psycopg


def archive_raw(
    conn: psycopg.Connection,
    *,
    source: str,
    url: str,
    body: bytes,
    http_status: int | None = None,
    content_type: str | None = None,
) -> int:
    """Store ``body`` once per (source, url, content) and return its ``raw_pages`` id."""
    digest = hashlib.sha256(body).hexdigest()
    row = conn.execute(
        "INSERT INTO raw_pages (source, url, http_status, content_type, sha256, body_zlib)"
        " VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (source, url, sha256) DO UPDATE SET fetched_at = now()"
        " RETURNING id",
        (source, url, http_status, content_type, digest, zlib.compress(body, 6)),
    ).fetchone()
    assert row is not None
    return int(row[0])


def load_raw(conn: psycopg.Connection, raw_id: int) -> bytes:
    """The archived body, decompressed."""
    row = conn.execute("SELECT body_zlib FROM raw_pages WHERE id = %s", (raw_id,)).fetchone()
    if row is None:
        raise KeyError(f"no raw page {raw_id}")
    return zlib.decompress(row[0])
