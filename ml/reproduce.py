"""Rebuild a registered model from its records and the DVC remote alone, and compare.

A version's run records the MD5 and SHA-256 of its data snapshot (pushed to the DVC
remote by the register stage), its parameters and its backtest forecasts. Reproducing
fetches the snapshot into a fresh workspace, checks the hashes, runs the stages from
``validate`` to ``train`` with the recorded parameters, and compares the backtest
probabilities with the registered ones, match by match.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from core.settings import Settings
from ml import registry
from ml.errors import ReproduceError
from ml.snapshot_remote import digests, fetch_file
from ml.stages import evaluate, featurise, train, validate
from ml.stages.paths import Paths

#: Largest difference of a probability that still counts as the same forecast.
TOLERANCE = 1e-9
PROBABILITIES = ("p_home", "p_draw", "p_away")


@dataclass(frozen=True)
class Reproduction:
    version: str
    identical: bool  #: every backtest probability within ``TOLERANCE``
    compared: int  #: backtest matches both runs forecast
    max_abs_diff: float
    git_commit: str
    model_sha256_equal: bool  #: the pickled forecaster is byte-identical too
    differences: list[str] = field(default_factory=list)  #: what differs, in words

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(mine: pd.DataFrame, theirs: pd.DataFrame) -> tuple[int, float, list[str]]:
    """(matches compared, largest probability difference, differences in words)."""
    differences = []
    missing = sorted(set(theirs["match_id"]) - set(mine["match_id"]))
    extra = sorted(set(mine["match_id"]) - set(theirs["match_id"]))
    if missing:
        differences.append(f"{len(missing)} registered backtest matches were not forecast")
    if extra:
        differences.append(f"{len(extra)} backtest matches were not in the registered run")
    joined = mine.merge(theirs, on="match_id", suffixes=("", "_registered"))
    worst = 0.0
    for name in PROBABILITIES:
        diff = (joined[name] - joined[f"{name}_registered"]).abs()
        if len(diff) and float(diff.max()) > TOLERANCE:
            row = joined.loc[diff.idxmax()]
            differences.append(
                f"{name} differs on {int((diff > TOLERANCE).sum())} matches; largest"
                f" {float(diff.max()):.3g} (match {int(row['match_id'])}, {row['season']}:"
                f" {row[name]:.12f} vs {row[f'{name}_registered']:.12f})"
            )
        worst = max(worst, float(diff.max()) if len(diff) else 0.0)
    return len(joined), worst, differences


def reproduce(
    settings: Settings, version: str, remote: str, workspace: Path | None = None
) -> Reproduction:
    """Rebuild ``version`` in ``workspace`` (a fresh temporary one by default)."""
    info = registry.model_info(settings, version)
    tags = info.tags
    needed = [f"footcast.snapshot.{n}.{h}" for n in ("matches", "odds") for h in ("md5", "sha256")]
    missing = [t for t in needed if t not in tags]
    if missing:
        raise ReproduceError(f"version {version} did not record {', '.join(missing)}")
    with tempfile.TemporaryDirectory(prefix="footcast-reproduce-") as tmp:
        root = workspace or Path(tmp)
        paths = Paths(root / "pipeline")
        for name, target in (("matches", paths.matches), ("odds", paths.odds)):
            fetch_file(
                remote, tags[f"footcast.snapshot.{name}.md5"],
                tags[f"footcast.snapshot.{name}.sha256"], target,
            )  # fmt: skip
        records = root / "records"
        params_file = registry.download_artifact(
            settings, version, registry.PARAMS_ARTIFACT, records
        )
        registered = registry.download_predictions(settings, version, records)
        if params_file is None or registered is None:
            raise ReproduceError(f"version {version} logged no parameters or backtest forecasts")
        params = yaml.safe_load(params_file.read_text())
        if not validate.run(paths).success:
            raise ReproduceError("the fetched snapshot fails validation")
        if not featurise.run(params, paths):
            raise ReproduceError("the rebuilt features fail validation")
        evaluate.run(params, paths)
        train.run(params, paths)
        compared, worst, differences = compare(
            pd.read_parquet(paths.predictions), pd.read_parquet(registered)
        )
        model_equal = digests(paths.model)[1] == tags.get("footcast.model_sha256")
    return Reproduction(
        version=str(info.version),
        identical=not differences,
        compared=compared,
        max_abs_diff=worst,
        git_commit=tags.get("footcast.git_commit", "unknown"),
        model_sha256_equal=model_equal,
        differences=differences,
    )
