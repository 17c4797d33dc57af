"""Daily drift check: ask an ``ml`` worker to compare the coming fixtures' features with
the year before the last result (population stability index per feature, ``ml.drift``).

Runs after the daily ingest has brought in the day's fixtures. The check is stored and
exported as ``footcast_feature_drift_psi``; ``FootcastFeatureDrift`` alerts on it. The
chart's ``drift-check`` CronJob publishes the same message (``footcast schedule
drift-check``) where Airflow is off.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import dag, task

from dags.publishing import publish


@dag(
    dag_id="footcast_drift_check",
    schedule="30 6 * * *",
    start_date=datetime(2024, 7, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=5)},
    tags=["footcast", "ml"],
    doc_md=__doc__,
)
def footcast_drift_check() -> None:
    @task
    def publish_check_drift(logical_date: Any = None) -> list[str]:
        """One check_drift for the fixtures from the run's day."""
        from actors import contracts

        return publish([contracts.check_drift(logical_date.date().isoformat())])

    publish_check_drift()


footcast_drift_check()
