"""Backups of footcast's PostgreSQL databases: the store and, when it is PostgreSQL, MLflow's.

Each backup is a directory ``<to>/<UTC time>/`` (a local directory or ``s3://bucket/prefix``,
MinIO in the chart) holding one ``pg_dump`` custom-format file per database and
``manifest.json`` with their sizes and SHA-256. Restoring checks the hash first and
refuses a database that already holds tables unless asked to replace them.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import fsspec
import psycopg

from etl.errors import BackupError

MANIFEST = "manifest.json"
#: Seconds one ``pg_dump`` or ``pg_restore`` may take.
TOOL_TIMEOUT_S = 3600
#: Bytes read at a time when hashing a dump.
CHUNK = 1 << 20


@dataclass(frozen=True)
class DumpFile:
    name: str  #: ``store.dump``, ``mlflow.dump``
    database: str  #: the database's URL without its password
    size: int  #: bytes
    sha256: str
    server_version: str


@dataclass(frozen=True)
class Manifest:
    id: str  #: the backup's directory name, its UTC creation time to the millisecond
    created_at: str
    location: str
    files: list[DumpFile] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        files = [DumpFile(**f) for f in data["files"]]
        return cls(data["id"], data["created_at"], data["location"], files)


def libpq_url(url: str) -> str:
    """A SQLAlchemy-style URL (``postgresql+psycopg2://``) as libpq reads it."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql")) if "+" in parts.scheme else url


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _major(version: str) -> int:
    found = re.search(r"(\d+)(?:\.\d+)?", version)
    if not found:
        raise BackupError(f"cannot read a PostgreSQL version from {version!r}")
    return int(found.group(1))


def _tool(name: str, *args: str) -> str:
    try:
        done = subprocess.run([name, *args], capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    except FileNotFoundError:
        raise BackupError(f"{name} is not installed (the PostgreSQL client tools)") from None
    except subprocess.TimeoutExpired:
        raise BackupError(f"{name} took longer than {TOOL_TIMEOUT_S} s") from None
    if done.returncode:
        raise BackupError(f"{name} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def server_version(url: str) -> str:
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    assert row is not None
    return str(row[0])


def check_tool_version(tool: str, url: str) -> str:
    """The server's version, once ``tool`` is known to be recent enough for it."""
    server = server_version(url)
    client = _tool(tool, "--version").strip()
    if _major(client.rsplit(" ", 1)[-1]) < _major(server):
        raise BackupError(f"{client} is older than the server ({server}); install a newer client")
    return server


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def create_backup(databases: dict[str, str], to: str, now: datetime | None = None) -> Manifest:
    """Dump each named database (``{"store": url, ...}``) and upload dumps and manifest."""
    now = now or datetime.now(UTC)
    backup_id = now.strftime("%Y%m%dT%H%M%S") + f".{now.microsecond // 1000:03d}Z"
    location = f"{to.rstrip('/')}/{backup_id}"
    files = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, url in databases.items():
            url = libpq_url(url)
            version = check_tool_version("pg_dump", url)
            local = Path(tmp) / f"{name}.dump"
            _tool("pg_dump", "--format=custom", "--no-owner", "--file", str(local), url)
            files.append(DumpFile(local.name, redacted(url), local.stat().st_size,
                                  sha256(local), version))  # fmt: skip
            _upload(local, f"{location}/{local.name}")
        manifest = Manifest(backup_id, now.isoformat(), location, files)
        (Path(tmp) / MANIFEST).write_text(json.dumps(manifest.as_dict(), indent=2) + "\n")
        _upload(Path(tmp) / MANIFEST, f"{location}/{MANIFEST}")
    return manifest


def _upload(local: Path, url: str) -> None:
    fs, path = fsspec.core.url_to_fs(url)
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    fs.put_file(str(local), path)


def list_backups(to: str) -> list[Manifest]:
    """Every backup under ``to``, oldest first."""
    fs, root = fsspec.core.url_to_fs(to)
    if not fs.exists(root):
        return []
    found = []
    for path in sorted(fs.glob(f"{root.rstrip('/')}/*/{MANIFEST}")):
        found.append(Manifest.from_dict(json.loads(fs.cat_file(path))))
    return found


def prune(to: str, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` backups; return the ids deleted."""
    backups = list_backups(to)
    old = backups[: max(len(backups) - keep, 0)]
    for manifest in old:
        fs, path = fsspec.core.url_to_fs(manifest.location)
        fs.rm(path, recursive=True)
    return [m.id for m in old]


def _fetch(dump: str, directory: Path) -> tuple[Path, DumpFile | None]:
    """The dump as a local file, and its manifest entry when a manifest sits beside it."""
    fs, path = fsspec.core.url_to_fs(dump)
    if not fs.exists(path):
        raise BackupError(f"no backup file at {dump}")
    local = directory / Path(path).name
    fs.get_file(path, str(local))
    manifest_path = f"{path.rsplit('/', 1)[0]}/{MANIFEST}"
    if not fs.exists(manifest_path):
        return local, None
    manifest = Manifest.from_dict(json.loads(fs.cat_file(manifest_path)))
    entry = next((f for f in manifest.files if f.name == local.name), None)
    return local, entry


def table_count(url: str) -> int:
    """Tables in the database's own schemas (not PostgreSQL's)."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN"
            " ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg_toast%%'"
        ).fetchone()
    return int(row[0]) if row else 0


def restore_backup(dump: str, database_url: str, *, force: bool = False) -> dict[str, Any]:
    """Restore one dump into ``database_url`` after checking its hash; an occupied database
    is refused unless ``force`` (its objects are then dropped and replaced)."""
    url = libpq_url(database_url)
    check_tool_version("pg_restore", url)
    tables = table_count(url)
    if tables and not force:
        raise BackupError(
            f"{redacted(url)} already holds {tables} tables; restore into an empty database"
            " or pass --force to replace them"
        )
    with tempfile.TemporaryDirectory() as tmp:
        local, entry = _fetch(dump, Path(tmp))
        if entry is not None and sha256(local) != entry.sha256:
            raise BackupError(f"{dump} does not match its manifest's SHA-256; it is damaged")
        args = ["--no-owner", "--no-privileges", "--exit-on-error", "--dbname", url]
        if tables:
            args = ["--clean", "--if-exists", *args]
        _tool("pg_restore", *args, str(local))
    return {"restored": dump, "into": redacted(url), "checked": entry is not None,
            "tables": table_count(url)}  # fmt: skip
