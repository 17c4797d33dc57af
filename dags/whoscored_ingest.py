"""Daily ingest: ask the workers for the coming days' fixtures and the season's results.

One ``import_fixtures`` message: the workers read football-data.co.uk's ``fixtures.csv``
(every covered division's upcoming matches with their prices). One ``import_history``
message per league for the current season's results file (idempotent: an unchanged file
changes nothing). Where Airflow is off, the chart's ``daily-ingest`` CronJob publishes
these two (``footcast schedule daily-ingest``). One ``scrape_fixtures``
message per configured competition (``FOOTCAST_WHOSCORED_COMPETITIONS``); the
``scrape_fixtures`` actor upserts the fixtures and fans out ``scrape_match`` for the
finished matches not yet stored. The tasks only publish: the fetching, its rate limit and
its retries live in the workers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import dag, task

from core.seasons import season_of_day
from dags.publishing import competitions, publish


@dag(
    dag_id="footcast_whoscored_ingest",
    schedule="30 5 * * *",
    start_date=datetime(2024, 7, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["footcast", "etl"],
    doc_md=__doc__,
)
def footcast_whoscored_ingest() -> None:
    @task
    def publish_scrape_fixtures(logical_date: Any = None) -> list[str]:
        """One message per competition, for the season the run's logical date falls in."""
        from actors import contracts

        season = season_of_day(logical_date.date())
        return publish(contracts.scrape_fixtures(c, season) for c in competitions())

    @task
    def publish_import_fixtures() -> list[str]:
        """One message: import fixtures.csv from the configured football-data base URL."""
        from actors import contracts

        return publish([contracts.import_fixtures()])

    @task
    def publish_import_history(logical_date: Any = None) -> list[str]:
        """One message per league: the current season's results file."""
        from actors import contracts

        season = season_of_day(logical_date.date())
        return publish(contracts.season_results(competitions(), season))

    publish_import_fixtures()
    publish_import_history()
    publish_scrape_fixtures()


footcast_whoscored_ingest()
