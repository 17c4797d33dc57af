"""The image definition, checked structurally (no container engine runs the tests)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from core.logging import SECRET_KEY_PATTERN

from .conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _env_names(args: str) -> list[str]:
    if "=" not in args.split()[0]:
        return [args.split()[0]]  # legacy `ENV NAME value`
    return [word.partition("=")[0] for word in shlex.split(args)]


def test_image_is_multi_stage_on_python_311_slim():
    stages = _stages()
    assert len(stages) >= 2
    args = dict(a.partition("=")[::2] for i, a in _instructions() if i == "ARG" and "=" in a)
    for stage in stages:
        base = stage[0][1].split()[0]
        base = args.get(base.strip("${}"), base)
        assert base.startswith("python:3.11-slim"), base
    assert any("--from=build" in args for i, args in stages[-1] if i == "COPY")


def test_dependencies_install_from_the_lock_file_and_the_project_without_dependencies():
    runs = " ".join(args for i, args in _stages()[0] if i == "RUN")
    assert "uv pip sync requirements-runtime.lock" in runs
    assert re.search(r"uv pip install --no-deps \.", runs)
    plain_pip = re.findall(r"(?<!uv )pip install ([^&]*)", runs)
    assert all(args.split()[-1].strip('"').startswith("uv==") for args in plain_pip), plain_pip


def test_final_stage_runs_as_an_unprivileged_user():
    users = [args for i, args in _stages()[-1] if i == "USER"]
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_no_healthcheck_and_no_secret_in_the_image():
    instructions = _instructions()
    assert not [a for i, a in instructions if i == "HEALTHCHECK"]
    for instruction, args in instructions:
        if instruction in {"ENV", "ARG"}:
            for name in _env_names(args):
                assert not SECRET_KEY_PATTERN.search(name), f"{instruction} {name}"
        if instruction in {"COPY", "ADD"}:
            assert "secrets" not in args and ".agekey" not in args, args


def test_dockerignore_keeps_history_environments_data_and_secrets_out():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "var", "data", "mlruns", "secrets"} <= ignored


def _pins(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("==", 1) for line in lines if "==" in line and not line.startswith(" "))


def test_the_runtime_lock_pins_the_same_versions_as_the_full_lock_without_dev_tools():
    full, runtime = _pins(ROOT / "requirements.lock"), _pins(ROOT / "requirements-runtime.lock")
    assert {name: full.get(name) for name in runtime} == runtime
    assert not {"ruff", "mypy", "helm-python-sdk", "schemathesis"} & set(runtime)
