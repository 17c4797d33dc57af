"""dvc.yaml names entry points, deps, params and outs that exist and agree with the stages."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from ml.stages.evaluate import reliability_table, rps_table
from ml.stages.paths import DEFAULT_ROOT, Paths

ROOT = Path(__file__).resolve().parents[3]
PIPELINE = yaml.safe_load((ROOT / "dvc.yaml").read_text())
PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text())
STAGES: dict[str, dict[str, Any]] = PIPELINE["stages"]
ORDER = ["export", "validate", "featurise", "evaluate", "train", "register"]


def _paths(entries: list[Any]) -> list[str]:
    return [next(iter(e)) if isinstance(e, dict) else e for e in entries]


def _outs(stage: dict[str, Any]) -> list[str]:
    return [p for key in ("outs", "metrics", "plots") for p in _paths(stage.get(key, []))]


def test_the_pipeline_has_the_six_stages():
    assert set(STAGES) == set(ORDER)


@pytest.mark.parametrize("name", ORDER)
def test_each_stage_runs_its_own_module_main(name: str):
    stage = STAGES[name]
    assert stage["cmd"] == f"python -m ml.stages.{name}"
    source = ROOT / "ml" / "stages" / f"{name}.py"
    tree = ast.parse(source.read_text())
    functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert {"main", "run"} <= functions
    assert f"ml/stages/{name}.py" in stage["deps"]


@pytest.mark.parametrize("name", ORDER)
def test_each_code_dependency_exists(name: str):
    for dep in STAGES[name]["deps"]:
        if not dep.startswith(str(DEFAULT_ROOT)):
            assert (ROOT / dep).exists(), f"{name} depends on missing {dep}"


@pytest.mark.parametrize("name", ORDER)
def test_each_params_key_exists_in_params_yaml(name: str):
    for key in STAGES[name].get("params", []):
        node: Any = PARAMS
        for part in key.split("."):
            assert isinstance(node, dict) and part in node, f"{name}: params.yaml lacks {key}"
            node = node[part]


@pytest.mark.parametrize("name", ORDER)
def test_each_data_dependency_is_an_earlier_stage_output(name: str):
    earlier = {p for other in ORDER[: ORDER.index(name)] for p in _outs(STAGES[other])}
    for dep in STAGES[name]["deps"]:
        if dep.startswith(str(DEFAULT_ROOT)):
            assert dep in earlier, f"{name} reads {dep}, which no earlier stage writes"


def test_outputs_are_the_files_the_stages_write_and_nothing_else():
    declared = {p for stage in STAGES.values() for p in _outs(stage)}
    paths = Paths()
    written = {
        str(getattr(paths, name))
        for name in dir(Paths)
        if isinstance(getattr(Paths, name), property)
    }
    assert declared == written


def test_top_level_plots_name_stage_outputs_and_their_columns_exist():

    rows = pd.DataFrame(
        {
            "season": ["2324"] * 3,
            "outcome": [0, 1, 2],
            **{f"p_{o}": [1 / 3] * 3 for o in ("home", "draw", "away")},
            **{
                f"{who}_{o}": [1 / 3] * 3
                for who in ("unpriced", "market_open", "market")
                for o in ("home", "draw", "away")
            },
        }
    )
    tables = {
        str(Paths().reliability): reliability_table(rows, 10),
        str(Paths().rps_by_season): rps_table(rows),
    }
    for plot in PIPELINE["plots"]:
        (definition,) = plot.values()
        for path, columns in definition["y"].items():
            assert set(columns) | {definition["x"]} <= set(tables[path].columns)
