"""Airflow DAGs: calendar-driven producers that only publish messages."""
