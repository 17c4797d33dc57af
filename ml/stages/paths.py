"""Where the pipeline's stages read and write, below a root (``var/pipeline`` under DVC)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: The root ``dvc.yaml`` uses, relative to the repository.
DEFAULT_ROOT = Path("var/pipeline")


@dataclass(frozen=True)
class Paths:
    """Every file a stage reads or writes; ``dvc.yaml`` names the same ones."""

    root: Path = DEFAULT_ROOT

    @property
    def matches(self) -> Path:
        return self.root / "snapshot" / "matches.parquet"

    @property
    def odds(self) -> Path:
        return self.root / "snapshot" / "odds.parquet"

    @property
    def validation(self) -> Path:
        return self.root / "reports" / "validation.json"

    @property
    def features(self) -> Path:
        return self.root / "features" / "features.parquet"

    @property
    def features_validation(self) -> Path:
        return self.root / "features" / "validation.json"

    @property
    def predictions(self) -> Path:
        return self.root / "backtest" / "predictions.parquet"

    @property
    def weights(self) -> Path:
        return self.root / "backtest" / "weights.json"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics" / "backtest.json"

    @property
    def reliability(self) -> Path:
        return self.root / "plots" / "reliability.csv"

    @property
    def rps_by_season(self) -> Path:
        return self.root / "plots" / "rps_by_season.csv"

    @property
    def model(self) -> Path:
        return self.root / "model" / "forecaster.pkl"

    @property
    def registration(self) -> Path:
        return self.root / "reports" / "registration.json"


def write_json(path: Path, data: object) -> None:
    """Stable JSON (sorted keys), so equal contents give equal files and DVC hashes."""
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
