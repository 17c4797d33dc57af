"""The pipeline's data snapshot in the DVC remote, addressed as DVC addresses it.

DVC 3 keeps a file under ``<remote>/files/md5/<2 hex>/<30 hex>`` of its content's MD5. The
register stage puts the snapshot there itself (``dvc push`` cannot run while ``dvc repro``
holds the repository), so a registered model's data can be fetched back by its hashes alone,
from a local directory or an ``s3://`` remote, without the repository that made it.
"""

from __future__ import annotations

import configparser
import hashlib
from pathlib import Path

import fsspec

from ml.errors import ReproduceError

#: Bytes read at a time when hashing.
CHUNK = 1 << 20


def digests(path: Path) -> tuple[str, str]:
    """(MD5 as DVC names the file, SHA-256) of a file's bytes."""
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            md5.update(chunk)
            sha.update(chunk)
    return md5.hexdigest(), sha.hexdigest()


def object_url(remote: str, md5: str) -> str:
    return f"{remote.rstrip('/')}/files/md5/{md5[:2]}/{md5[2:]}"


def push_file(remote: str, path: Path) -> str:
    """Copy one file into the remote under its MD5 (unless it is there); return the MD5."""
    md5, _ = digests(path)
    fs, target = fsspec.core.url_to_fs(object_url(remote, md5))
    if not fs.exists(target):
        fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        fs.put_file(str(path), target)
    return md5


def fetch_file(remote: str, md5: str, sha256: str, target: Path) -> None:
    """Fetch the object ``md5`` into ``target`` and check it is the file that was hashed."""
    fs, source = fsspec.core.url_to_fs(object_url(remote, md5))
    if not fs.exists(source):
        raise ReproduceError(f"the remote {remote} has no object {md5} ({target.name})")
    target.parent.mkdir(parents=True, exist_ok=True)
    fs.get_file(source, str(target))
    if digests(target) != (md5, sha256):
        raise ReproduceError(f"{target.name} fetched from {remote} does not match its hashes")


def resolve_remote(name_or_url: str, project: Path) -> str:
    """A DVC remote's URL from the project's ``.dvc/config`` (``local``, ``storage``), or
    the argument itself when it names no remote there (a path or an ``s3://`` URL)."""
    config = configparser.ConfigParser()
    config.read([project / ".dvc" / "config", project / ".dvc" / "config.local"])
    section = f'remote "{name_or_url}"'
    if not config.has_section(section):
        return name_or_url
    url = config.get(section, "url")
    if "://" in url or Path(url).is_absolute():
        return url
    return str((project / ".dvc" / url).resolve())
