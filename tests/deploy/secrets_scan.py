"""Find plaintext secrets in files: the check behind tests/deploy/test_secrets.py."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

#: Patterns of credentials that must never be committed (written so they do not match
#: themselves). The committed development age key is the one allowed exception.
SECRET_PATTERNS = {
    "age private key": re.compile(r"AGE-SECRET-KEY-1[0-9A-Z]{58}"),
    "private key block": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
}
DEV_KEY = "secrets/dev-only.agekey"
ENCRYPTED = re.compile(r"^ENC\[AES256_GCM,data:.+,iv:.+,tag:.+,type:\w+\]$")
MAX_BYTES = 2_000_000


def repository_files(root: Path) -> list[str]:
    """Tracked files plus new files git does not ignore: what a commit could contain."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root, capture_output=True, check=True,
    )  # fmt: skip
    return sorted({p for p in out.stdout.decode().split("\0") if p and (root / p).is_file()})


def find_plaintext_secrets(
    root: Path, paths: Iterable[str], known_values: Iterable[str] = ()
) -> list[str]:
    """``path: what`` for every secret-looking string or known secret value in ``paths``."""
    values = [v for v in known_values if len(v) >= 8]
    findings = []
    for path in paths:
        file = root / path
        if file.stat().st_size > MAX_BYTES:
            continue
        text = file.read_bytes().decode("utf-8", errors="ignore")
        for name, pattern in SECRET_PATTERNS.items():
            if pattern.search(text) and not (name == "age private key" and path == DEV_KEY):
                findings.append(f"{path}: {name}")
        findings.extend(f"{path}: a known secret value" for v in values if v in text)
    return findings


def unencrypted_values(document: dict[str, Any]) -> list[str]:
    """Keys of a SOPS file whose values are not SOPS ciphertext (its metadata excepted)."""
    return [
        key
        for key, value in _leaves({k: v for k, v in document.items() if k != "sops"})
        if not (isinstance(value, str) and ENCRYPTED.match(value))
    ]


def _leaves(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in _leaves(v, f"{prefix}{k}.")]
    if isinstance(node, list):
        return [leaf for i, v in enumerate(node) for leaf in _leaves(v, f"{prefix}{i}.")]
    return [(prefix.rstrip("."), node)]


def sops_recipients(path: Path) -> set[str]:
    """The age recipients a SOPS file is encrypted to."""
    document = yaml.safe_load(path.read_text())
    return {entry["recipient"] for entry in document["sops"].get("age") or []}
