"""Daily ingest: ask the workers for the current season's results of every league.

One ``import_history`` message per league (``FOOTCAST_WHOSCORED_COMPETITIONS``, the same
five) for the season the run's logical date falls in; the import is idempotent, so a file
that did not change changes nothing, and a changed one is validated and stored. Fixtures
and WhoScored come from ``footcast_whoscored_ingest``. Where Airflow is off, the chart's
``daily-ingest`` CronJob publishes these and ``import_fixtures``
(``footcast schedule daily-ingest``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import dag, task

from core.seasons import season_of_day
from dags.publishing import competitions, publish


@dag(
    dag_id="footcast_daily_ingest",
    schedule="0 5 * * *",
    start_date=datetime(2024, 7, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["footcast", "etl"],
    doc_md=__doc__,
)
def footcast_daily_ingest() -> None:
    @task
    def publish_daily_ingest(logical_date: Any = None) -> list[str]:
        """One import_history per league for the run's season."""
        from actors import contracts

        season = season_of_day(logical_date.date())
        return publish(contracts.season_results(competitions(), season))

    publish_daily_ingest()


footcast_daily_ingest()
