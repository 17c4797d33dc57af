"""Weekly retrain: ask the pipeline worker for one ``dvc repro`` run.

The ``run_pipeline`` message carries the reason (this DAG and its logical date), kept with
the run's record (``footcast pipeline runs``). A run already in progress makes the worker
record this request as skipped. The chart's ``weekly-retrain`` CronJob publishes the same
message (``footcast schedule weekly-retrain``) where Airflow is off.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from airflow.sdk import dag, task

from dags.publishing import publish


@dag(
    dag_id="footcast_weekly_retrain",
    schedule="30 3 * * 1",
    start_date=datetime(2024, 7, 1),
    catchup=False,
    max_active_runs=1,
    tags=["footcast", "ml"],
    doc_md=__doc__,
)
def footcast_weekly_retrain() -> None:
    @task
    def publish_run_pipeline(logical_date: Any = None) -> list[str]:
        """One run_pipeline naming this schedule and its date."""
        from actors import contracts

        reason = f"weekly retrain ({logical_date.date().isoformat()})"
        return publish(contracts.weekly_retrain(reason))

    publish_run_pipeline()


footcast_weekly_retrain()
