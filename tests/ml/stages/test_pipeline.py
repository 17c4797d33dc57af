"""The whole ML pipeline on a real slice (Premier League 2016-17 to 2020-21) in a private
schema, vhost and MLflow store: stages in order, registration, promotion, rollback, events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pika
import pytest
from click.testing import CliRunner

from cli.main import main as footcast
from core.db import connect
from core.settings import Settings
from etl.history import import_history
from etl.migrate import migrate
from ml import registry
from ml.features import FeatureState
from ml.params import load_params
from ml.stages import evaluate, export, featurise, register, train, validate
from ml.stages.paths import Paths

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SEASONS = ("1617", "1718", "1819", "1920", "2021")


def slice_params() -> dict[str, Any]:
    """The repository's params, narrowed to the slice and made quick (monthly refits)."""
    params = load_params()
    params["export"] = {"competitions": ["E0"], "seasons": list(SEASONS)}
    params["evaluate"].update(test_seasons=["2021"], warmup_seasons=["1920"])
    params["train"]["dixon_coles"]["refit_days"] = 28
    return params


def promoted_messages(settings: Settings) -> list[dict[str, Any]]:
    """Take every message waiting in the ``ops`` queue of the test's vhost."""
    connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
    try:
        channel = connection.channel()
        bodies = []
        while True:
            method, _, body = channel.basic_get("ops", auto_ack=True)
            if method is None:
                return [m for m in bodies if m["actor_name"] == "model_promoted"]
            bodies.append(json.loads(body))
    finally:
        connection.close()


@pytest.fixture
def settings(stack_settings: Settings, shared_data: Path, tmp_path: Path) -> Settings:
    with connect(stack_settings, autocommit=True) as conn:
        migrate(conn)
        base = (shared_data / "football-data").as_uri()
        summary = import_history(conn, base, [("E0", s) for s in SEASONS])
    assert {f.status for f in summary.files} == {"validated"}
    return stack_settings.replace(
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        mlflow_artifact_root=str(tmp_path / "mlartifacts"),
        dvc_remote_url=str(tmp_path / "dvc-remote"),
    )


def run_stages(settings: Settings, params: dict[str, Any], paths: Paths) -> None:
    assert export.run(settings, params, paths) == {
        "matches": 1900,
        "odds": len(pd.read_parquet(paths.odds)),
    }
    assert validate.run(paths).success
    assert featurise.run(params, paths)
    evaluate.run(params, paths)
    train.run(params, paths)


def test_the_pipeline_registers_promotes_guards_and_rolls_back(settings: Settings, tmp_path: Path):
    params = slice_params()
    paths = Paths(tmp_path / "pipeline")
    run_stages(settings, params, paths)

    summary = json.loads(paths.metrics.read_text())
    assert summary["n"] == 380
    assert 0.15 < summary["scores"]["model"]["rps"] < 0.25
    assert set(summary["scores"]["market"]) >= {"rps", "log_loss", "brier", "accuracy", "ece"}
    assert pd.read_csv(paths.rps_by_season)["season"].astype(str).tolist() == ["2021"]

    first = register.run(settings, params, paths)
    assert (first.version, first.promoted, first.previous) == ("1", True, None)
    assert registry.champion_version(settings) == "1"
    assert registry.resolve_version(settings, registry.CHALLENGER) == "1"
    assert [m["args"][0] for m in promoted_messages(settings)] == [
        {"v": 1, "version": "1", "previous": None}
    ]

    info = registry.model_info(settings, registry.CHAMPION)
    assert info.metrics["rps"] == pytest.approx(summary["scores"]["model"]["rps"])
    assert "market_rps" in info.metrics and "rps_2021" in info.metrics
    # both paths are recorded, each on the same matches as both markets
    assert (summary["model"], summary["unpriced_model"]) == ("stacked_1x2", "ensemble")
    for who, prefix in (("unpriced", "unpriced_"), ("market_open", "opening_market_")):
        assert summary["scores"][who]["n"] == summary["n"]
        assert info.metrics[f"{prefix}rps"] == pytest.approx(summary["scores"][who]["rps"])
    assert info.metrics["unpriced_rps"] != info.metrics["rps"]
    assert info.tags["footcast.backtest_unpriced_model"] == "ensemble"
    assert info.promoted_at is not None
    assert info.tags["footcast.promotion.decision"] == "promote"
    assert len(info.tags["footcast.data_snapshot_sha256"]) == 64

    # a challenger whose backtest forecasts are worse (pulled towards a uniform guess)
    predictions = pd.read_parquet(paths.predictions)
    worse = predictions.copy()
    for o in ("home", "draw", "away"):
        worse[f"p_{o}"] = 0.5 * worse[f"p_{o}"] + 0.5 / 3.0
    forecaster = registry.load_model(settings)[1]
    example = register.input_example(pd.read_parquet(paths.features))
    second = register.register(
        settings,
        forecaster,
        summary,
        worse,
        params,
        {},
        {registry.PREDICTIONS_ARTIFACT: _parquet(worse, tmp_path)},
        example,
    )
    assert (second.version, second.promoted, second.champion) == ("2", False, "1")
    assert "rps does not improve enough" in second.reasons
    assert registry.champion_version(settings) == "1"
    assert registry.resolve_version(settings, registry.CHALLENGER) == "2"
    assert registry.model_info(settings, "2").tags["footcast.promotion.decision"] == "keep_champion"

    runner = CliRunner()
    env = settings.as_env()
    promoted = runner.invoke(footcast, ["model", "promote", "2"], env=env)
    assert promoted.exit_code == 0, promoted.output
    assert registry.champion_version(settings) == "2"
    rolled = runner.invoke(footcast, ["model", "rollback"], env=env)
    assert rolled.exit_code == 0, rolled.output
    assert json.loads(rolled.output)["version"] == "1"
    assert registry.champion_version(settings) == "1"
    assert [
        (m["args"][0]["version"], m["args"][0]["previous"]) for m in promoted_messages(settings)
    ] == [
        ("2", "1"),
        ("1", "2"),
    ]
    status = runner.invoke(footcast, ["model", "status", "--json"], env=env)
    assert status.exit_code == 0, status.output
    found = json.loads(status.output)
    assert (found["champion"]["version"], found["challenger"]["version"]) == ("1", "2")
    assert found["champion"]["tags"]["footcast.restored_from"] == "2"
    backtest = found["champion"]["backtest"]
    assert set(backtest) == {"n", "priced", "unpriced", "opening_market", "closing_market"}
    assert backtest["unpriced"]["rps"] == pytest.approx(summary["scores"]["unpriced"]["rps"])
    table = runner.invoke(footcast, ["model", "status"], env=env)
    assert "priced" in table.output and "unpriced" in table.output and "open mkt" in table.output

    for extra, seen in (([], True), (["--refit"], False)):
        args = ["evaluate", "--league", "E0", "--season", "2021", "--model", "champion", "--json"]
        evaluated = runner.invoke(footcast, args + extra, env=env)
        assert evaluated.exit_code == 0, evaluated.output
        season = json.loads(evaluated.output)
        assert (season["model"]["version"], season["n"], season["seen_in_training"]) == (
            "1",
            380,
            seen,
        )
        market_rps = season["metrics"]["rps"]["market"]
        assert market_rps == pytest.approx(summary["scores"]["market"]["rps"])
        opening_rps = season["metrics"]["rps"]["market_open"]
        assert opening_rps == pytest.approx(summary["scores"]["market_open"]["rps"])
        if seen:  # the registered model on its own backtest matches: the logged unpriced path
            assert season["metrics"]["rps"]["unpriced"] < 0.25
        assert season["metrics"]["rps"]["model"] < 0.25

    version, served = registry.load_model(settings, registry.CHAMPION)
    state = FeatureState(served.feature_config)
    matches = pd.read_parquet(paths.matches)
    for record in matches.to_dict("records"):
        state.update(record)
    forecast = served.forecast(
        state.fixture_features("Arsenal", "Chelsea", "E0", "2021-08-22"), "Arsenal", "Chelsea", "E0"
    )
    assert version == "1"
    assert forecast["p_home"] + forecast["p_draw"] + forecast["p_away"] == pytest.approx(1.0)
    assert forecast["xg_home"] > 0 and 0 < forecast["p_btts"] < 1

    import mlflow.pyfunc

    pyfunc = mlflow.pyfunc.load_model(f"models:/{registry.MODEL_NAME}@champion")
    out = pyfunc.predict(example)
    assert list(out.columns[:7]) == [
        "p_home",
        "p_draw",
        "p_away",
        "xg_home",
        "xg_away",
        "p_over_2_5",
        "p_btts",
    ]
    assert np.allclose(out[["p_home", "p_draw", "p_away"]].sum(axis=1), 1.0)

    # same data and params give byte-identical snapshots, features, weights and model
    again = Paths(tmp_path / "again")
    run_stages(settings, params, again)
    for name in ("matches", "odds", "features", "weights", "metrics", "model"):
        assert getattr(again, name).read_bytes() == getattr(paths, name).read_bytes(), name


def _parquet(frame: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "worse.parquet"
    frame.to_parquet(path, index=False)
    return path
