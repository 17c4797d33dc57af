"""The full ML pipeline over every match in the store (``dvc repro --force``); print JSON.

    .venv/bin/python benchmarks/pipeline.py [--registry configured]

The store named by ``FOOTCAST_DATABASE_URL`` must hold the data (``footcast ingest
football-data --all``). By default the run registers into a temporary MLflow store, so the
configured registry's champion is left alone; ``--registry configured`` uses the configured
one. Prints the wall time of each stage (from DVC's own progress lines), the total, and the
backtest's headline numbers. Target: under 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE_LINE = re.compile(r"^Running stage '([\w-]+)'")


def repro(env: dict[str, str]) -> tuple[dict[str, float], float, list[str]]:
    """Run ``dvc repro --force``; seconds per stage, total seconds, and the output lines."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "dvc"), "repro", "--force"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    stages: dict[str, float] = {}
    current, since, lines = None, started, []
    for line in proc.stdout:
        lines.append(line.rstrip())
        found = STAGE_LINE.match(line)
        if found:
            now = time.perf_counter()
            if current:
                stages[current] = round(now - since, 1)
            current, since = found.group(1), now
    if proc.wait() != 0:
        sys.exit("dvc repro failed:\n" + "\n".join(lines[-40:]))
    total = time.perf_counter() - started
    if current:
        stages[current] = round(started + total - since, 1)
    return stages, round(total, 1), lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--registry", choices=("temporary", "configured"), default="temporary")
    args = parser.parse_args()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    with tempfile.TemporaryDirectory() as tmp:
        if args.registry == "temporary":
            env["FOOTCAST_MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp}/mlflow.db"
            env["FOOTCAST_MLFLOW_ARTIFACT_ROOT"] = f"{tmp}/mlartifacts"
        stages, total, _ = repro(env)
    pipeline = ROOT / "var" / "pipeline"
    metrics = json.loads((pipeline / "metrics" / "backtest.json").read_text())
    registration = json.loads((pipeline / "reports" / "registration.json").read_text())
    matches = len(__import__("pandas").read_parquet(pipeline / "snapshot" / "matches.parquet"))
    print(
        json.dumps(
            {
                "matches": matches,
                "stages_s": stages,
                "total_s": total,
                "cpus": os.cpu_count(),
                "backtest": {
                    "model": metrics["model"],
                    "n": metrics["n"],
                    "rps": metrics["scores"]["model"]["rps"],
                    "market_rps": metrics["scores"]["market"]["rps"],
                    "log_loss": metrics["scores"]["model"]["log_loss"],
                    "market_log_loss": metrics["scores"]["market"]["log_loss"],
                },
                "registration": registration,
                "registry": args.registry,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
