"""``params.yaml``: the one place model, feature and evaluation parameters live."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from ml.errors import ParamsError

#: The repository's params.yaml (DVC stages read the same file).
PARAMS_PATH = Path(__file__).resolve().parent.parent / "params.yaml"


def load_params(path: Path | None = None) -> dict[str, Any]:
    """The whole params file as a dict."""
    path = PARAMS_PATH if path is None else path
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ParamsError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ParamsError(f"{path} must hold a mapping")
    return data


def section(params: dict[str, Any], *keys: str) -> dict[str, Any]:
    """A nested section (``section(p, "train", "dixon_coles")``); missing is an error."""
    node: Any = params
    for i, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            raise ParamsError(f"params.yaml has no section {'.'.join(keys[: i + 1])}")
        node = node[key]
    if not isinstance(node, dict):
        raise ParamsError(f"params.yaml section {'.'.join(keys)} must be a mapping")
    return node


def known_fields(cls: type, values: dict[str, Any], where: str) -> dict[str, Any]:
    """``values`` checked against the dataclass ``cls``: an unknown key (a typo that would
    silently fall back to a default) is an error naming the section."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ParamsError(f"params.yaml section {where} has unknown keys: {unknown}")
    return dict(values)
