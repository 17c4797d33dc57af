"""Feature drift checks in the store: written by the ``check_drift`` actor, read by the
API's metrics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb


def record_drift(
    conn: psycopg.Connection,
    *,
    day: dt.date,
    model_version: str,
    fixtures: int,
    reference_matches: int,
    psi: Mapping[str, float],
) -> int:
    """Store one check; its id."""
    row = conn.execute(
        "INSERT INTO drift_checks (day, model_version, fixtures, reference_matches, psi)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (day, model_version, fixtures, reference_matches, Jsonb(dict(psi))),
    ).fetchone()
    assert row is not None
    return int(row[0])


def latest_drift(conn: psycopg.Connection) -> dict[str, Any] | None:
    """The newest check (``checked_at``, ``day``, ``model_version``, ``fixtures``,
    ``reference_matches``, ``psi``), or None before the first."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT checked_at, day, model_version, fixtures, reference_matches, psi"
            " FROM drift_checks ORDER BY checked_at DESC, id DESC LIMIT 1"
        )
        return cur.fetchone()
