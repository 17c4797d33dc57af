"""Stage ``featurise``: pre-kickoff features of every snapshot match, then the features suite.

One row per match: the match, its features (``ml.features``, one walk in kickoff order),
opening-price features, the outcome and the season index the backtest uses.
"""

from __future__ import annotations

import sys
from typing import Any

import pandas as pd

from core.settings import Settings
from ml.backtest import prepare_frame
from ml.features import FeatureConfig
from ml.params import load_params
from ml.stages.events import stage_events
from ml.stages.paths import Paths, write_json
from ml.stages.validate import validate_features


def featurise(matches: pd.DataFrame, odds: pd.DataFrame, config: FeatureConfig) -> pd.DataFrame:
    return prepare_frame(matches, odds, config)


def run(params: dict[str, Any], paths: Paths) -> bool:
    """Write the features and their validation report; False if the suite failed."""
    frame = featurise(
        pd.read_parquet(paths.matches),
        pd.read_parquet(paths.odds),
        FeatureConfig.from_params(params),
    )
    report = validate_features(frame)
    write_json(paths.features_validation, report.as_dict())
    paths.features.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(paths.features, index=False)
    if not report.success:
        print("\n".join(report.failures), file=sys.stderr)
    return report.success


def main() -> None:
    with stage_events("featurise", Settings.from_env()):
        if not run(load_params(), Paths()):
            sys.exit("features failed validation")


if __name__ == "__main__":
    main()
