"""Football seasons by date: what the schedules (Airflow DAGs, the chart's CronJobs) ask for."""

from __future__ import annotations

from datetime import date

#: The month a football season starts in (July: pre-season friendlies belong to it).
SEASON_START_MONTH = 7


def season_code(day: date) -> str:
    """football-data's code of the season ``day`` falls in: 2021-01-12 → ``2021``."""
    start = day.year if day.month >= SEASON_START_MONTH else day.year - 1
    return f"{start % 100:02d}{(start + 1) % 100:02d}"
