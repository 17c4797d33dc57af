"""Pipeline runs in the store, and the lock that lets only one run at a time.

The lock is a PostgreSQL advisory lock held by the running worker's connection: it goes
away with the connection if the worker dies, so a crash never leaves the pipeline locked.
Advisory locks belong to the whole database, so the key includes the store's schema:
stores in other schemas of one database run their pipelines independently.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import psycopg

#: Arbitrary constant naming the pipeline's advisory lock.
LOCK_KEY = 0x70697065  #: with the schema's hash as the second key


@dataclass(frozen=True)
class PipelineRun:
    id: int
    reason: str
    status: str
    requested_at: datetime | None
    started_at: datetime
    finished_at: datetime | None
    model_version: str | None
    promoted: bool | None
    error: str | None
    handled_by: str

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for name in ("requested_at", "started_at", "finished_at"):
            out[name] = out[name].isoformat() if out[name] else None
        return out


COLUMNS = (
    "id, reason, status, requested_at, started_at, finished_at, model_version, promoted,"
    " error, handled_by"
)


def try_lock(conn: psycopg.Connection) -> bool:
    """Take the pipeline lock for this session if nobody holds it; never waits."""
    row = conn.execute(
        "SELECT pg_try_advisory_lock(%s, hashtext(current_schema()))", (LOCK_KEY,)
    ).fetchone()
    return bool(row and row[0])


def unlock(conn: psycopg.Connection) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s, hashtext(current_schema()))", (LOCK_KEY,))


def start_run(
    conn: psycopg.Connection, reason: str, requested_at: datetime | None, handled_by: str
) -> int:
    """Record a run as running (call with the lock held); runs left running by a worker
    that died are marked abandoned first."""
    with conn.transaction():
        conn.execute(
            "UPDATE pipeline_runs SET status = 'abandoned', finished_at = now()"
            " WHERE status = 'running'"
        )
        row = conn.execute(
            "INSERT INTO pipeline_runs (reason, status, requested_at, handled_by)"
            " VALUES (%s, 'running', %s, %s) RETURNING id",
            (reason, requested_at, handled_by),
        ).fetchone()
    assert row is not None
    return int(row[0])


def record_skipped(
    conn: psycopg.Connection, reason: str, requested_at: datetime | None, handled_by: str
) -> int:
    """Record a request that arrived while another run held the pipeline."""
    row = conn.execute(
        "INSERT INTO pipeline_runs (reason, status, requested_at, finished_at, error, handled_by)"
        " VALUES (%s, 'skipped', %s, now(), 'another run was in progress', %s) RETURNING id",
        (reason, requested_at, handled_by),
    ).fetchone()
    assert row is not None
    return int(row[0])


def finish_run(
    conn: psycopg.Connection,
    run_id: int,
    *,
    status: str,
    dvc_lock: str | None,
    model_version: str | None,
    promoted: bool | None,
    error: str | None,
) -> None:
    conn.execute(
        "UPDATE pipeline_runs SET status = %s, finished_at = now(), dvc_lock = %s,"
        " model_version = %s, promoted = %s, error = %s WHERE id = %s",
        (status, dvc_lock, model_version, promoted, error, run_id),
    )


def recent_runs(conn: psycopg.Connection, limit: int = 20) -> list[PipelineRun]:
    """The newest runs first."""
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM pipeline_runs ORDER BY id DESC LIMIT %s", (limit,)
    ).fetchall()
    return [PipelineRun(*row) for row in rows]


def run_lock(conn: psycopg.Connection, run_id: int) -> str | None:
    """The ``dvc.lock`` a run left."""
    row = conn.execute("SELECT dvc_lock FROM pipeline_runs WHERE id = %s", (run_id,)).fetchone()
    return row[0] if row else None
