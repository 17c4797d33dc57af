"""Helpers for tasks that publish: season codes, and one bus per task run.

Imported by DAG files at parse time, so it stays light: the bus (dramatiq, pika, redis) is
imported only when a task runs, and nothing here touches pandas, the models or ``etl``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.seasons import season_code

__all__ = ["competitions", "publish", "season_code", "season_codes", "split_list"]


def season_codes(first: str, last: str) -> list[str]:
    """Every season code from ``first`` to ``last`` inclusive (``1920``…``2324``)."""
    start, end = _start_year(first), _start_year(last)
    if end < start:
        raise ValueError(f"season {last} comes before {first}")
    return [f"{y % 100:02d}{(y + 1) % 100:02d}" for y in range(start, end + 1)]


def _start_year(code: str) -> int:
    if len(code) != 4 or not code.isdigit() or (int(code[:2]) + 1) % 100 != int(code[2:]):
        raise ValueError(f"season code must look like '2324' (2023-24), got {code!r}")
    first = int(code[:2])
    return 1900 + first if first >= 90 else 2000 + first


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
