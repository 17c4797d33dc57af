"""Time the match-centre parser on the saved 1.2 MB live page; print JSON.

    .venv/bin/python benchmarks/parse_whoscored.py [--runs 50] [--page PATH]

The page (``live/1650630.html.gz`` of the shared data) is decompressed once, outside the
timing; each run parses the bytes from scratch: decoding, finding
``require.config.params["args"]``, reading the JavaScript literal and building the record
(teams, scores, stat totals, officials). Target: p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
from pathlib import Path

from core.settings import PROJECT_ROOT
from etl.sources.whoscored import parse_match_centre

DEFAULT_PAGE = PROJECT_ROOT.parent / "shared" / "data" / "whoscored" / "live" / "1650630.html.gz"
TARGET_MS = 50.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--page", type=Path, default=DEFAULT_PAGE)
    args = parser.parse_args()
    raw = args.page.read_bytes()
    page = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    match = parse_match_centre(page)  # warm-up, and a check that it parses at all
    timings_ms = []
    for _ in range(args.runs):
        started = time.perf_counter()
        parse_match_centre(page)
        timings_ms.append((time.perf_counter() - started) * 1000)
    timings_ms.sort()
    p95 = timings_ms[min(len(timings_ms) - 1, round(0.95 * (len(timings_ms) - 1)))]
    print(
        json.dumps(
            {
                "benchmark": "parse_whoscored_match_centre",
                "page_bytes": len(page),
                "events": match.event_count,
                "runs": args.runs,
                "p50_ms": round(statistics.median(timings_ms), 2),
                "p95_ms": round(p95, 2),
                "min_ms": round(timings_ms[0], 2),
                "max_ms": round(timings_ms[-1], 2),
                "target_ms": TARGET_MS,
                "meets_target": p95 < TARGET_MS,
            }
        )
    )


if __name__ == "__main__":
    main()
