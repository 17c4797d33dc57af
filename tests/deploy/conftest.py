"""Render the Helm chart offline (helm-python-sdk embeds Helm) once per value set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "footcast"
PRODUCTION_VALUES = CHART / "values-production.example.yaml"
RELEASE = "footcast"
NAMESPACE = "footcast"


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every manifest the chart renders with ``values`` over its defaults (Airflow stays off)."""
    values = {**(values or {}), "airflow": {**(values or {}).get("airflow", {}), "enabled": False}}
    with helm_python.Chart.load(CHART) as chart:
        files = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    return [
        doc
        for name, text in sorted(files.items())
        if name.endswith((".yaml", ".yml"))
        for doc in yaml.safe_load_all(text)
        if doc
    ]


def production_values() -> dict[str, Any]:
    return yaml.safe_load(PRODUCTION_VALUES.read_text())


@pytest.fixture(scope="session", params=["default", "production"])
def manifests(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """The chart rendered with its defaults, then with the production example."""
    return render(production_values() if request.param == "production" else None)


def find(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def pod_spec(manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template of a workload, or None for other kinds."""
    spec = manifest.get("spec", {})
    if manifest["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    if "template" in spec and manifest["kind"] in {"Deployment", "StatefulSet", "Job"}:
        return spec["template"]["spec"]
    return None
