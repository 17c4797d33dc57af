"""Helpers for tasks that publish: lists from parameters, and one bus per task run.

Imported by DAG files at parse time, so it stays light: the bus (dramatiq, pika, redis) is
imported only when a task runs, and nothing here touches pandas, the models or ``etl``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def split_list(value: str | Iterable[str]) -> list[str]:
    """``"E0, SP1"`` or ``["E0", "SP1"]`` → ``["E0", "SP1"]``."""
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()]


def publish(messages: Iterable[Any]) -> list[str]:
    """Send the messages with publisher confirms; return their ids (logged by Airflow)."""
    from actors.bus import Bus
    from core.settings import Settings

    bus = Bus.from_settings(Settings.from_env())
    try:
        return [bus.send(message).message_id for message in messages]
    finally:
        bus.close()


def competitions() -> list[str]:
    """The competitions the daily ingest scrapes (``FOOTCAST_WHOSCORED_COMPETITIONS``)."""
    from core.settings import Settings

    return split_list(Settings.from_env().whoscored_competitions)
