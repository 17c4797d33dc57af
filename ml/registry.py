"""The MLflow registry of ``footcast-outcome``: register, promote, roll back, load.

The only module (with the DVC stages' ``main()``) that talks to MLflow. Versions carry
aliases ``champion`` (what workers serve) and ``challenger`` (the newest registered), and
tags that record every promotion decision, so ``footcast model status`` can say who is
champion, since when and why. The tracking store and the artifact root come from
``Settings`` (a local SQLite file and directory by default).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import mlflow
import pandas as pd
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.protos.databricks_pb2 import (
    INVALID_PARAMETER_VALUE,
    RESOURCE_DOES_NOT_EXIST,
    ErrorCode,
)
from mlflow.pyfunc import PythonModel
from mlflow.tracking import MlflowClient

from core.settings import Settings
from ml.errors import ModelNotFound, RegistryError
from ml.features import FeatureState

if TYPE_CHECKING:
    from ml.forecaster import Forecaster

MODEL_NAME = "footcast-outcome"
#: Columns of a pyfunc input row that name the fixture; every other column is a feature.
FIXTURE_COLUMNS = ("competition", "home_team", "away_team", "kickoff")
OPENING_PRICE_COLUMNS = ("opening_home", "opening_draw", "opening_away")
EXPERIMENT = "footcast"
CHAMPION = "champion"
CHALLENGER = "challenger"
#: Artifact path of the model inside its run, and of the backtest's per-match forecasts.
MODEL_PATH = "model"
PREDICTIONS_ARTIFACT = "backtest/predictions.parquet"
#: What a run records to be rebuilt (``footcast model reproduce``).
PARAMS_ARTIFACT = "pipeline/params.yaml"
LOCK_ARTIFACT = "pipeline/dvc.lock"
#: Packages a serving environment needs besides footcast itself.
REQUIREMENTS = ("mlflow", "numpy", "pandas", "scikit-learn", "scipy", "statsmodels")

TAG_PROMOTED_AT = "footcast.promoted_at"
TAG_PREVIOUS = "footcast.previous_champion"
TAG_DEMOTED_AT = "footcast.demoted_at"
TAG_ROLLED_BACK_TO = "footcast.rolled_back_to"
TAG_RESTORED_FROM = "footcast.restored_from"
#: Set by the promotion policy (``ml.promotion.Decision.tags``) or an operator.
TAG_DECISION = "footcast.promotion.decision"
TAG_REASONS = "footcast.promotion.reasons"


class ForecastModel(PythonModel):
    """The pyfunc face of a ``Forecaster``: fixture rows (``FIXTURE_COLUMNS``, optional
    opening prices, the features) in, one forecast row out: 1X2 probabilities, expected
    goals, over 2.5 and both-teams-to-score, and the likeliest scores as a JSON list."""

    def __init__(self, forecaster: Forecaster) -> None:
        self.forecaster = forecaster

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        return forecast_frame(self.forecaster, model_input)


def forecast_frame(forecaster: Forecaster, frame: pd.DataFrame) -> pd.DataFrame:
    """Forecast every row of ``frame``: ``FIXTURE_COLUMNS``, optional decimal opening prices
    ``OPENING_PRICE_COLUMNS`` (empty when unknown) and the features."""
    rows = []
    for record in frame.to_dict("records"):
        prices = [record.get(k) for k in OPENING_PRICE_COLUMNS]
        known = all(p is not None and pd.notna(p) for p in prices)
        features = {
            k: float(v)
            for k, v in record.items()
            if k not in FIXTURE_COLUMNS and k not in OPENING_PRICE_COLUMNS
        }
        forecast = forecaster.forecast(
            features,
            str(record["home_team"]),
            str(record["away_team"]),
            str(record["competition"]),
            [float(p) for p in prices] if known else None,
        )
        rows.append(
            {
                k: v if isinstance(v, int | float | str) else json.dumps(v)
                for k, v in forecast.items()
            }
        )
    return pd.DataFrame.from_records(rows, index=frame.index)


@dataclass(frozen=True)
class PromotionRecord:
    """A change of champion: ``version`` is champion now, ``previous`` was before."""

    version: str
    previous: str | None
    at: str  #: ISO 8601, UTC
    action: str  #: promote | rollback

    @property
    def changed(self) -> bool:
        return self.version != self.previous

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "previous": self.previous,
            "at": self.at,
            "action": self.action,
        }


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows of one version: aliases, promotion tags, backtest metrics."""

    version: str
    aliases: tuple[str, ...]
    created_at: str
    promoted_at: str | None
    run_id: str | None
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "aliases": list(self.aliases),
            "created_at": self.created_at,
            "promoted_at": self.promoted_at,
            "run_id": self.run_id,
            "metrics": self.metrics,
            "tags": self.tags,
        }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _prepare_store(settings: Settings) -> None:
    """Create the local directories a SQLite store and a file artifact root live in.

    ``sqlite:///<path>``: the path after the third slash, absolute when it starts with one.
    """
    uri = settings.mlflow_tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    root = urlsplit(settings.mlflow_artifact_root)
    if root.scheme in ("", "file"):
        Path(root.path).mkdir(parents=True, exist_ok=True)


def _artifact_location(settings: Settings) -> str:
    root = settings.mlflow_artifact_root
    if "://" in root:
        return f"{root.rstrip('/')}/{EXPERIMENT}"
    return (Path(root) / EXPERIMENT).resolve().as_uri()


def client(settings: Settings) -> MlflowClient:
    """A client of the configured tracking store and registry."""
    _prepare_store(settings)
    uri = settings.mlflow_tracking_uri
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _use(settings: Settings) -> MlflowClient:
    """Point MLflow's fluent API (``log_model`` needs it) at the configured store."""
    mlflow_client = client(settings)
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    mlflow.set_registry_uri(settings.mlflow_tracking_uri)
    return mlflow_client


def experiment_id(settings: Settings, mlflow_client: MlflowClient | None = None) -> str:
    """The ``footcast`` experiment, created with its artifact location on first use."""
    mlflow_client = mlflow_client or client(settings)
    experiment = mlflow_client.get_experiment_by_name(EXPERIMENT)
    if experiment is not None:
        return str(experiment.experiment_id)
    return str(
        mlflow_client.create_experiment(EXPERIMENT, artifact_location=_artifact_location(settings))
    )


def _missing(exc: MlflowException) -> bool:
    """No such model or version; an unknown alias is reported as an invalid parameter."""
    codes = {ErrorCode.Name(RESOURCE_DOES_NOT_EXIST), ErrorCode.Name(INVALID_PARAMETER_VALUE)}
    return exc.error_code in codes


def _version_by_alias(mlflow_client: MlflowClient, alias: str) -> ModelVersion | None:
    try:
        return mlflow_client.get_model_version_by_alias(MODEL_NAME, alias)
    except MlflowException as exc:
        if _missing(exc):
            return None
        raise RegistryError(f"registry lookup of {MODEL_NAME}@{alias} failed: {exc}") from exc


def _version(mlflow_client: MlflowClient, alias_or_version: str) -> ModelVersion:
    if alias_or_version.isdigit():
        try:
            return mlflow_client.get_model_version(MODEL_NAME, alias_or_version)
        except MlflowException as exc:
            if _missing(exc):
                raise ModelNotFound(f"{MODEL_NAME} has no version {alias_or_version}") from exc
            raise RegistryError(f"registry lookup failed: {exc}") from exc
    found = _version_by_alias(mlflow_client, alias_or_version)
    if found is None:
        raise ModelNotFound(f"{MODEL_NAME} has no version with alias {alias_or_version!r}")
    return found


def _requirements() -> list[str]:
    return [f"{name}=={importlib.metadata.version(name)}" for name in REQUIREMENTS]


def _flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested params as ``a.b.c`` keys; lists as JSON (MLflow params are strings)."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = json.dumps(value) if isinstance(value, list | tuple) else str(value)
    return flat


def register_model(
    settings: Settings,
    forecaster: Forecaster,
    metrics: Mapping[str, float],
    params: Mapping[str, Any],
    tags: Mapping[str, str],
    artifacts: Mapping[str, Path] | None = None,
    input_example: pd.DataFrame | None = None,
) -> str:
    """Log a training run and register its model as a new version with alias ``challenger``.

    ``params`` may be nested (``params.yaml``); ``artifacts`` maps artifact paths inside the
    run (``plots/reliability.csv``, ``backtest/predictions.parquet``) to local files.
    ``input_example`` is a few fixture rows with their features; the signature is inferred
    from it and the model's own output. Returns the new version number.
    """
    mlflow_client = _use(settings)
    exp_id = experiment_id(settings, mlflow_client)
    example = input_example if input_example is not None else _example(forecaster)
    signature = infer_signature(example, forecast_frame(forecaster, example))
    with mlflow.start_run(experiment_id=exp_id) as run:
        mlflow.log_params(_flatten(params))
        mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
        mlflow.set_tags(dict(tags))
        for path, local in (artifacts or {}).items():
            _log_artifact_as(run.info.run_id, local, path)
        info = mlflow.pyfunc.log_model(
            name=MODEL_PATH,
            python_model=ForecastModel(forecaster),
            signature=signature,
            input_example=example,
            pip_requirements=_requirements(),
            registered_model_name=MODEL_NAME,
            tags=dict(tags),
        )
    version = str(info.registered_model_version)
    for key, value in tags.items():
        mlflow_client.set_model_version_tag(MODEL_NAME, version, key, value)
    mlflow_client.set_model_version_tag(MODEL_NAME, version, "footcast.run_id", run.info.run_id)
    mlflow_client.set_registered_model_alias(MODEL_NAME, CHALLENGER, version)
    return version


def _example(forecaster: Forecaster) -> pd.DataFrame:
    """One fixture of the forecaster's first competition between two teams it has never
    seen, with the features a fresh state gives them."""
    competition = sorted(forecaster.leagues)[0]
    kickoff = "2024-08-17"
    state = FeatureState(getattr(forecaster, "feature_config", None))
    features = state.fixture_features("Home", "Away", competition, kickoff)
    fixture = {"competition": competition, "home_team": "Home", "away_team": "Away"}
    return pd.DataFrame([{**fixture, "kickoff": kickoff, **features}])


def _log_artifact_as(run_id: str, local: Path, artifact_path: str) -> None:
    """Log ``local`` under ``artifact_path`` (directory and file name both chosen here)."""
    folder, _, name = artifact_path.rpartition("/")
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / name
        staged.write_bytes(Path(local).read_bytes())
        mlflow.log_artifact(str(staged), artifact_path=folder or None, run_id=run_id)


def champion_version(settings: Settings) -> str | None:
    """The champion's version number, or None; one registry call, no artifact download."""
    found = _version_by_alias(client(settings), CHAMPION)
    return None if found is None else str(found.version)


def resolve_version(settings: Settings, alias_or_version: str) -> str:
    """The version number an alias (or a version number) names."""
    return str(_version(client(settings), alias_or_version).version)


def load_model(settings: Settings, alias_or_version: str = CHAMPION) -> tuple[str, Forecaster]:
    """The version an alias names and its forecaster, unwrapped from the pyfunc model.

    The alias is resolved first and the model loaded by number, so a promotion landing
    in between cannot hand back one version's number with another's model.
    """
    mlflow_client = _use(settings)
    version = str(_version(mlflow_client, alias_or_version).version)
    model = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}/{version}")
    wrapper = model.unwrap_python_model()
    if not isinstance(wrapper, ForecastModel):
        raise RegistryError(f"{MODEL_NAME} version {version} is not a footcast forecaster")
    return version, wrapper.forecaster


def set_tags(settings: Settings, version: str, tags: Mapping[str, str]) -> None:
    mlflow_client = client(settings)
    for key, value in tags.items():
        mlflow_client.set_model_version_tag(MODEL_NAME, version, key, value)


def promote(
    settings: Settings, version: str, tags: Mapping[str, str] | None = None
) -> PromotionRecord:
    """Make ``version`` the champion; the one it replaces is recorded on it for rollback.

    Promoting the current champion again changes nothing (``record.changed`` is False).
    """
    mlflow_client = client(settings)
    target = str(_version(mlflow_client, version).version)
    current = _version_by_alias(mlflow_client, CHAMPION)
    previous = None if current is None else str(current.version)
    at = _now()
    if previous == target:
        return PromotionRecord(target, previous, at, "promote")
    mlflow_client.set_registered_model_alias(MODEL_NAME, CHAMPION, target)
    own = {TAG_PROMOTED_AT: at, TAG_PREVIOUS: previous or "", **(tags or {})}
    for key, value in own.items():
        mlflow_client.set_model_version_tag(MODEL_NAME, target, key, value)
    _clear_tag(mlflow_client, target, TAG_DEMOTED_AT)
    if previous is not None:
        mlflow_client.set_model_version_tag(MODEL_NAME, previous, TAG_DEMOTED_AT, at)
    return PromotionRecord(target, previous, at, "promote")


def _clear_tag(mlflow_client: MlflowClient, version: str, key: str) -> None:
    try:
        mlflow_client.delete_model_version_tag(MODEL_NAME, version, key)
    except MlflowException as exc:
        if not _missing(exc):
            raise RegistryError(f"cannot clear tag {key} of version {version}: {exc}") from exc


def rollback(settings: Settings) -> PromotionRecord:
    """Give ``champion`` back to the version it replaced (read from the champion's tags).

    Repeated rollbacks walk further back: each restored version keeps the record of the one
    it had replaced in turn.
    """
    mlflow_client = client(settings)
    current = _version_by_alias(mlflow_client, CHAMPION)
    if current is None:
        raise ModelNotFound(f"{MODEL_NAME} has no champion to roll back")
    previous = (current.tags or {}).get(TAG_PREVIOUS) or ""
    if not previous:
        raise ModelNotFound(
            f"champion version {current.version} replaced no earlier champion;"
            " nothing to roll back to"
        )
    restored = str(_version(mlflow_client, previous).version)
    at = _now()
    mlflow_client.set_registered_model_alias(MODEL_NAME, CHAMPION, restored)
    mlflow_client.set_model_version_tag(MODEL_NAME, str(current.version), TAG_DEMOTED_AT, at)
    mlflow_client.set_model_version_tag(
        MODEL_NAME, str(current.version), TAG_ROLLED_BACK_TO, restored
    )
    mlflow_client.set_model_version_tag(MODEL_NAME, restored, TAG_PROMOTED_AT, at)
    _clear_tag(mlflow_client, restored, TAG_DEMOTED_AT)
    mlflow_client.set_model_version_tag(
        MODEL_NAME, restored, TAG_RESTORED_FROM, str(current.version)
    )
    return PromotionRecord(restored, str(current.version), at, "rollback")


def model_info(settings: Settings, alias: str = CHAMPION) -> ModelInfo:
    """Version, aliases, promotion time and tags, and the backtest metrics of its run."""
    mlflow_client = client(settings)
    found = _version(mlflow_client, alias)
    metrics: dict[str, float] = {}
    if found.run_id:
        metrics = dict(mlflow_client.get_run(found.run_id).data.metrics)
    created = dt.datetime.fromtimestamp(found.creation_timestamp / 1000, dt.UTC)
    tags = dict(found.tags or {})
    return ModelInfo(
        version=str(found.version),
        aliases=tuple(sorted(found.aliases or ())),
        created_at=created.isoformat(timespec="seconds"),
        promoted_at=tags.get(TAG_PROMOTED_AT) or None,
        run_id=found.run_id,
        metrics=metrics,
        tags=tags,
    )


def download_artifact(
    settings: Settings, version: str, artifact: str, directory: Path
) -> Path | None:
    """One artifact of ``version``'s run in ``directory``, or None if the run has none."""
    mlflow_client = client(settings)
    found = _version(mlflow_client, version)
    if not found.run_id:
        return None
    try:
        local = mlflow_client.download_artifacts(found.run_id, artifact, str(directory))
    except (MlflowException, OSError):
        return None
    return Path(local)


def promotion_decisions(settings: Settings, limit: int = 5) -> list[dict[str, Any]]:
    """The newest versions' promotion decisions (promote or keep the champion), newest first:
    version, decision, when it was registered or promoted, and the policy's reasons.

    Versions registered without a decision (by hand) are listed as ``registered``.
    """
    try:
        found = client(settings).search_model_versions(f"name = '{MODEL_NAME}'")
    except MlflowException as exc:
        raise RegistryError(f"listing versions of {MODEL_NAME} failed: {exc}") from exc
    newest = sorted(found, key=lambda v: int(v.version), reverse=True)[:limit]
    decisions = []
    for version in newest:
        tags = dict(version.tags or {})
        created = dt.datetime.fromtimestamp(version.creation_timestamp / 1000, dt.UTC)
        decisions.append(
            {
                "version": str(version.version),
                "decision": tags.get(TAG_DECISION) or "registered",
                "at": tags.get(TAG_PROMOTED_AT) or created.isoformat(timespec="seconds"),
                "reasons": tags.get(TAG_REASONS) or None,
            }
        )
    return decisions


def download_predictions(settings: Settings, version: str, directory: Path) -> Path | None:
    """The backtest forecasts logged with ``version``'s run, or None if it logged none."""
    return download_artifact(settings, version, PREDICTIONS_ARTIFACT, directory)
