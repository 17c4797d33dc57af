"""Stage ``register``: log the run to MLflow, register the model as ``challenger``, and let
the promotion policy decide whether it becomes ``champion`` (``promotion.mode: auto``), or
stop there for an operator to promote it (``manual``).

The run carries every parameter, the backtest metrics of both serving paths (priced and
unpriced, ``ml.backtest_paths``) beside the opening and closing markets, the plots, the
per-match backtest forecasts, the data snapshot's hash and the git commit. The challenger is
compared with the champion on the backtest matches both forecast (the champion's forecasts
are read back from its run). A promotion is announced on the bus by ``footcast model
publish-promoted``, run as a command: the ML side never imports the bus.
"""

from __future__ import annotations

import hashlib
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from core.settings import Settings
from ml import registry
from ml.backtest_paths import flat_metrics
from ml.errors import PublishFailed
from ml.features import FEATURE_NAMES
from ml.forecaster import Forecaster
from ml.params import load_params
from ml.promotion import Decision, PromotionPolicy, decide
from ml.snapshot_remote import digests, push_file
from ml.stages.evaluate import scores
from ml.stages.events import footcast, publish_event, stage_events
from ml.stages.paths import Paths, write_json

#: Rows of the features frame logged as the model's input example.
EXAMPLE_ROWS = 3
#: Backtest metrics ``challenger_registered`` carries.
HEADLINE_METRICS = ("n_matches", "rps", "log_loss", "ece", "market_rps")


@dataclass(frozen=True)
class Registration:
    version: str
    promoted: bool
    reasons: tuple[str, ...]
    champion: str | None  #: champion after the decision
    previous: str | None  #: champion before it

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def file_digest(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def git_commit(settings: Settings, cwd: Path | None = None) -> str:
    """The image's commit (``FOOTCAST_GIT_COMMIT``, set at build time), else HEAD's with
    ``+dirty`` if tracked files changed; ``unknown`` outside a git tree."""
    if settings.git_commit:
        return settings.git_commit
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def snapshot_tags(settings: Settings, paths: Paths) -> dict[str, str]:
    """Push the snapshot to the DVC remote; its files' MD5 (the remote's keys) and SHA-256."""
    tags = {"footcast.dvc_remote": settings.dvc_remote_url}
    for name, path in (("matches", paths.matches), ("odds", paths.odds)):
        md5, sha = digests(path)
        push_file(settings.dvc_remote_url, path)
        tags[f"footcast.snapshot.{name}.md5"] = md5
        tags[f"footcast.snapshot.{name}.sha256"] = sha
    return tags


def input_example(frame: pd.DataFrame, rows: int = EXAMPLE_ROWS) -> pd.DataFrame:
    """The last fixtures of ``featurise``'s frame in the pyfunc's input shape."""
    tail = frame.tail(rows).reset_index(drop=True)
    example = pd.DataFrame(
        {
            "competition": tail["competition"].astype(str),
            "home_team": tail["home_team"].astype(str),
            "away_team": tail["away_team"].astype(str),
            "kickoff": pd.to_datetime(tail["kickoff_date"]).dt.strftime("%Y-%m-%d"),
        }
    )
    for side, column in zip(("home", "draw", "away"), registry.OPENING_PRICE_COLUMNS, strict=True):
        example[column] = (1.0 / tail[f"open_p_{side}"]).round(2).fillna(3.0)
    for name in FEATURE_NAMES:
        example[name] = tail[name].astype(float)
    return example


def champion_scores(
    settings: Settings, champion: str, predictions: pd.DataFrame
) -> tuple[dict[str, float], dict[str, float]] | None:
    """Challenger and champion scores on the backtest matches both forecast, or None when
    the champion logged no backtest forecasts."""
    with tempfile.TemporaryDirectory() as tmp:
        path = registry.download_predictions(settings, champion, Path(tmp))
        if path is None:
            return None
        theirs = pd.read_parquet(path)
    joined = predictions.merge(
        theirs[["match_id", "p_home", "p_draw", "p_away"]], on="match_id", suffixes=("", "_c")
    )
    mine = scores(joined)["model"]
    renamed = joined.drop(columns=["p_home", "p_draw", "p_away"]).rename(
        columns={"p_home_c": "p_home", "p_draw_c": "p_draw", "p_away_c": "p_away"}
    )
    return mine, scores(renamed)["model"]


def register(
    settings: Settings,
    forecaster: Forecaster,
    summary: Mapping[str, Any],
    predictions: pd.DataFrame,
    params: Mapping[str, Any],
    tags: Mapping[str, str],
    artifacts: Mapping[str, Path],
    example: pd.DataFrame,
) -> Registration:
    """Register a challenger and apply the promotion policy; promote it if it wins."""
    policy = PromotionPolicy.from_params(params)
    previous = registry.champion_version(settings)
    version = registry.register_model(
        settings, forecaster, flat_metrics(summary), params, tags, artifacts, example
    )
    if previous is None:
        decision = decide(scores(predictions)["model"], None, policy)
    else:
        compared = champion_scores(settings, previous, predictions)
        if compared is None:
            decision = Decision(False, (f"champion {previous} logged no backtest forecasts",))
        else:
            decision = decide(compared[0], compared[1], policy)
    if decision.promote and policy.mode == "manual":
        decision = Decision(False, (*decision.reasons, "manual mode: an operator promotes"))
    registry.set_tags(settings, version, decision.tags())
    champion = previous
    if decision.promote:
        champion = registry.promote(settings, version, decision.tags()).version
    return Registration(version, decision.promote, decision.reasons, champion, previous)


def publish_promoted(settings: Settings, version: str, previous: str | None) -> None:
    """``footcast model publish-promoted``: the command puts model_promoted on the bus."""
    args = ["model", "publish-promoted", version]
    if previous:
        args += ["--previous", previous]
    try:
        footcast(settings, *args)
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        raise PublishFailed(
            f"version {version} is champion but model_promoted was not published"
            f" ({detail.strip()}); run: {' '.join(args)}"
        ) from exc


def run(settings: Settings, params: dict[str, Any], paths: Paths) -> Registration:
    import json

    forecaster = pickle.loads(paths.model.read_bytes())
    summary = json.loads(paths.metrics.read_text())
    predictions = pd.read_parquet(paths.predictions)
    tags = {
        "footcast.git_commit": git_commit(settings),
        "footcast.data_snapshot_sha256": file_digest(paths.matches, paths.odds),
        "footcast.model_sha256": file_digest(paths.model),
        "footcast.backtest_model": str(summary["model"]),
        "footcast.backtest_unpriced_model": str(summary.get("unpriced_model", "")),
        **snapshot_tags(settings, paths),
    }
    recorded = Path(tempfile.mkdtemp(prefix="footcast-register-"))
    (recorded / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    artifacts = {
        registry.PREDICTIONS_ARTIFACT: paths.predictions,
        "metrics/backtest.json": paths.metrics,
        "plots/reliability.csv": paths.reliability,
        "plots/rps_by_season.csv": paths.rps_by_season,
        "reports/validation.json": paths.validation,
        "reports/features_validation.json": paths.features_validation,
        registry.PARAMS_ARTIFACT: recorded / "params.yaml",
    }
    if Path("dvc.lock").is_file():  # the stages before this one, as dvc repro locked them
        artifacts[registry.LOCK_ARTIFACT] = Path("dvc.lock")
    example = input_example(pd.read_parquet(paths.features))
    try:
        registration = register(
            settings, forecaster, summary, predictions, params, tags, artifacts, example
        )
    finally:
        shutil.rmtree(recorded)
    headline = {k: v for k, v in flat_metrics(summary).items() if k in HEADLINE_METRICS}
    publish_event(settings, "challenger_registered", version=registration.version, metrics=headline)
    if registration.promoted:
        publish_promoted(settings, registration.version, registration.previous)
    write_json(paths.registration, registration.as_dict())
    return registration


def main() -> None:
    settings = Settings.from_env()
    with stage_events("register", settings):
        try:
            registration = run(settings, load_params(), Paths())
        except PublishFailed as exc:
            sys.exit(str(exc))
    verdict = "promoted to champion" if registration.promoted else "kept as challenger"
    print(f"version {registration.version} {verdict}: {'; '.join(registration.reasons)}")


if __name__ == "__main__":
    main()
