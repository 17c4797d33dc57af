"""Ordered SQL migrations, applied once each and recorded in ``schema_migrations``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg

from etl.errors import MigrationError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: Arbitrary constant that serialises concurrent ``migrate`` runs on one database.
LOCK_KEY = 0x666F6F74


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str


def available_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Migrations on disk, ordered by their ``NNNN_`` prefix."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        version, _, name = path.stem.partition("_")
        if not version.isdigit() or not name:
            raise MigrationError(f"{path.name}: expected a name like 0001_description.sql")
        found.append(Migration(version, name, path.read_text()))
    return found


def migrate(conn: psycopg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every migration not yet recorded; return the versions applied (empty: a no-op)."""
    applied_now = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for migration in available_migrations(directory):
            if migration.version in done:
                continue
            try:
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name),
                    )
            except psycopg.Error as exc:
                raise MigrationError(
                    f"migration {migration.version}_{migration.name}: {exc}"
                ) from exc
            applied_now.append(migration.version)
    return applied_now
