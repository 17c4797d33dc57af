"""Import every football-data file of the shared mirror into a fresh schema; print JSON.

    .venv/bin/python benchmarks/ingest.py [--no-validate] [--keep]

The schema is created in ``FOOTCAST_DATABASE_URL``'s database and dropped afterwards
(``--keep`` leaves it for inspection). ``seconds`` covers fetch, archive, parse, team
resolution, the upserts and (unless ``--no-validate``) the validation gates; a second,
unchanged run is timed too (``rerun_seconds``) and must change nothing.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid

from core.db import connect
from core.settings import Settings
from etl.history import available_seasons, import_history
from etl.migrate import migrate
from etl.store.databases import create_schema, drop_schema
from etl.store.summary import row_counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    settings = Settings.from_env()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    bench = settings.replace(database_url=create_schema(settings.database_url, schema))
    files = available_seasons(settings.football_data_url)
    validate = not args.no_validate
    try:
        with connect(bench, autocommit=True) as conn:
            migrate(conn)
            if validate:
                import etl.validation  # noqa: F401  (its import time is not ingest time)
            started = time.perf_counter()
            summary = import_history(conn, settings.football_data_url, files, validate=validate)
            seconds = time.perf_counter() - started
            started = time.perf_counter()
            rerun = import_history(conn, settings.football_data_url, files, validate=validate)
            rerun_seconds = time.perf_counter() - started
            counts = row_counts(conn)
    finally:
        if not args.keep:
            drop_schema(settings.database_url, schema)
    print(
        json.dumps(
            {
                "files": len(summary.files),
                "matches": summary.matches,
                "seconds": round(seconds, 2),
                "matches_per_s": round(summary.matches / seconds, 1),
                "validated": validate,
                "batches": summary.as_dict()["batches"],
                "stored": counts,
                "rerun_seconds": round(rerun_seconds, 2),
                "rerun_matches_new": rerun.matches_new,
                "rerun_matches_updated": rerun.matches_updated,
                "schema": schema if args.keep else None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
