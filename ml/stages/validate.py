"""Stage ``validate``: the Great Expectations gates on the snapshot, and the features suite.

The snapshot runs the store's own suites (``etl.validation``: raw matches, match stats,
odds), so what trains the model passed the same checks as what was ingested. The features
suite runs in stage ``featurise`` on its output (``validate_features``): finite features,
probabilities in [0, 1], ratings and counts in plausible ranges, one row per match.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import pandas as pd

from core.seasons import season_start_year
from core.settings import Settings
from etl.records import STAT_FIELDS
from etl.validation import GateReport, ephemeral_context, suite_report, validate_frames
from ml.features import FEATURE_NAMES
from ml.stages.events import stage_events
from ml.stages.paths import Paths, write_json

#: Feature columns that are probabilities.
PROBABILITY_FEATURES = (
    "elo_expected",
    "pois_p_home",
    "pois_p_draw",
    "pois_p_away",
    "league_draw_rate",
)
#: Plausible bounds of other features (Elo points, goals per match, days, meetings).
FEATURE_BOUNDS = {
    "elo_home": (-800.0, 800.0),
    "elo_away": (-800.0, 800.0),
    "pois_xg_home": (0.05, 8.0),
    "pois_xg_away": (0.05, 8.0),
    "home_rest_days": (0.0, 366.0),
    "away_rest_days": (0.0, 366.0),
    "h2h_matches": (0.0, 100.0),
    "league_home_goals": (0.3, 5.0),
    "league_away_goals": (0.3, 5.0),
}

_lock = threading.Lock()
_definitions: dict[str, Any] = {}


def validate_snapshot(matches: pd.DataFrame, odds: pd.DataFrame) -> GateReport:
    """The store's suites on the exported snapshot (``etl.store.load_matches`` columns)."""
    frame = matches.assign(
        status="finished",
        start_year=[season_start_year(str(s)) for s in matches["season"]],
    )
    return validate_frames(frame, matches[list(STAT_FIELDS)], odds)


def _features_definition() -> Any:
    """One ephemeral Great Expectations context per process holding the features suite."""
    with _lock:
        if "features" in _definitions:
            return _definitions["features"]
        import great_expectations as gx

        context = ephemeral_context()
        E = gx.expectations
        suite = context.suites.add(gx.ExpectationSuite(name="features"))
        suite.add_expectation(E.ExpectColumnValuesToBeUnique(column="match_id"))
        suite.add_expectation(E.ExpectColumnValuesToBeInSet(column="outcome", value_set=[0, 1, 2]))
        for name in FEATURE_NAMES:
            suite.add_expectation(E.ExpectColumnValuesToNotBeNull(column=name))
        for name in PROBABILITY_FEATURES:
            suite.add_expectation(
                E.ExpectColumnValuesToBeBetween(column=name, min_value=0.0, max_value=1.0)
            )
        for name, (low, high) in FEATURE_BOUNDS.items():
            suite.add_expectation(
                E.ExpectColumnValuesToBeBetween(column=name, min_value=low, max_value=high)
            )
        source = context.data_sources.add_pandas("pipeline")
        batch = source.add_dataframe_asset("features").add_batch_definition_whole_dataframe("all")
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name="features", data=batch, suite=suite)
        )
        _definitions["features"] = definition
        return definition


def validate_features(frame: pd.DataFrame) -> GateReport:
    """The features suite on ``featurise``'s output (features joined with their matches)."""
    columns = ["match_id", "outcome", *FEATURE_NAMES]
    result = _features_definition().run(batch_parameters={"dataframe": frame[columns]})
    suite = suite_report(result, len(frame))
    return GateReport(bool(result.success), {"features": suite})


def run(paths: Paths) -> GateReport:
    report = validate_snapshot(pd.read_parquet(paths.matches), pd.read_parquet(paths.odds))
    write_json(paths.validation, report.as_dict())
    return report


def main() -> None:
    with stage_events("validate", Settings.from_env()):
        report = run(Paths())
        if not report.success:
            sys.exit("snapshot failed validation:\n" + "\n".join(report.failures))


if __name__ == "__main__":
    main()
