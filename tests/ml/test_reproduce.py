"""A registered model rebuilt from its records and the DVC remote alone (a local remote):
same backtest probabilities, or a report naming what differs. Manual promotion mode stops
at challenger until an operator promotes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from cli.main import main as footcast
from core.db import connect
from core.settings import Settings
from etl.history import import_history
from etl.migrate import migrate
from ml import registry
from ml.params import load_params
from ml.reproduce import compare
from ml.stages import evaluate, export, featurise, register, train, validate
from ml.stages.paths import Paths

SEASONS = ("1920", "2021", "2122")


def quick_params() -> dict[str, Any]:
    params = load_params()
    params["export"] = {"competitions": ["E0"], "seasons": list(SEASONS)}
    params["evaluate"].update(test_seasons=["2122"], warmup_seasons=["2021"], burn_in_seasons=0)
    params["train"]["dixon_coles"]["refit_days"] = 91
    params["promotion"]["mode"] = "manual"
    return params


def test_compare_names_the_probability_that_differs_and_the_missing_matches():
    theirs = pd.DataFrame(
        {"match_id": [1, 2, 3], "season": "2122", "p_home": [0.5, 0.4, 0.3],
         "p_draw": [0.3, 0.3, 0.3], "p_away": [0.2, 0.3, 0.4]}
    )  # fmt: skip
    assert compare(theirs.copy(), theirs)[::2] == (3, [])
    mine = theirs.iloc[:2].copy()
    mine.loc[1, "p_home"] += 1e-6
    compared, worst, differences = compare(mine, theirs)
    assert (compared, worst) == (2, pytest.approx(1e-6))
    assert differences[0] == "1 registered backtest matches were not forecast"
    assert differences[1].startswith("p_home differs on 1 matches; largest 1e-06 (match 2")


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_registered_model_is_reproduced_from_the_remote_and_promoted_by_hand(
    stack_settings: Settings, shared_data: Path, tmp_path: Path
):
    with connect(stack_settings, autocommit=True) as conn:
        migrate(conn)
        import_history(conn, (shared_data / "football-data").as_uri(), [("E0", s) for s in SEASONS])
    remote = tmp_path / "remote"
    settings = stack_settings.replace(
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        mlflow_artifact_root=str(tmp_path / "mlartifacts"),
        dvc_remote_url=str(remote),
        git_commit="0123abc",
    )
    params, paths = quick_params(), Paths(tmp_path / "pipeline")
    export.run(settings, params, paths)
    assert validate.run(paths).success and featurise.run(params, paths)
    evaluate.run(params, paths)
    train.run(params, paths)
    registration = register.run(settings, params, paths)
    assert (registration.version, registration.promoted) == ("1", False)  # manual mode
    assert registry.champion_version(settings) is None
    tags = registry.model_info(settings, "1").tags
    assert tags["footcast.git_commit"] == "0123abc"
    assert tags["footcast.promotion.reasons"].endswith("manual mode: an operator promotes")
    shutil.rmtree(paths.root)  # only the remote and the registry remain

    env = {
        **settings.replace(dvc_remote_url="/nonexistent").as_env(),
        "FOOTCAST_LOG_LEVEL": "WARNING",
    }
    runner = CliRunner()
    rebuilt = runner.invoke(footcast, ["model", "reproduce", "1", "--remote", str(remote)], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    report = json.loads(rebuilt.output)
    assert report["identical"] is True and report["max_abs_diff"] <= 1e-9
    assert report["compared"] == 380 and report["git_commit"] == "0123abc"

    promoted = runner.invoke(footcast, ["model", "promote", "1"], env=env)
    assert promoted.exit_code == 0, promoted.output
    assert registry.champion_version(settings) == "1"

    (next(remote.rglob("files/md5/*/*"))).write_bytes(b"damaged")
    damaged = runner.invoke(footcast, ["model", "reproduce", "1", "--remote", str(remote)], env=env)
    assert damaged.exit_code == 1 and "does not match its hashes" in damaged.output
