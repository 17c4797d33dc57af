"""History backfill: ask the workers to import football-data.co.uk seasons.

Triggered by hand (``airflow dags trigger footcast_history_backfill --conf '{...}'``) with
``leagues`` and a season range; one ``import_history`` message per league and season. The
import is idempotent, so a backfill over seasons already stored changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import Param, dag, task

from core.seasons import season_codes
from dags.publishing import publish, split_list


@dag(
    dag_id="footcast_history_backfill",
    schedule=None,
    start_date=datetime(2024, 7, 1),
    catchup=False,
    max_active_runs=1,
    params={
        "leagues": Param(["E0", "SP1", "D1", "I1", "F1"], type="array"),
        "first_season": Param("1920", type="string", pattern=r"^\d{4}$"),
        "last_season": Param("2324", type="string", pattern=r"^\d{4}$"),
    },
    tags=["footcast", "etl"],
    doc_md=__doc__,
)
def footcast_history_backfill() -> None:
    @task
    def publish_import_history(params: Any = None) -> list[str]:
        """One message per league and season of the run's parameters."""
        from actors import contracts

        seasons = season_codes(params["first_season"], params["last_season"])
        return publish(
            contracts.import_history(league, season)
            for league in split_list(params["leagues"])
            for season in seasons
        )

    publish_import_history()


footcast_history_backfill()
