"""Season arithmetic: football-data's four-digit season codes and the dates they cover.

A season is named by football-data's code, the last two digits of both years it spans
(``'2324'`` is 2023-24). Standard library only, so Airflow's DAG files may import it at
parse time.
"""

from __future__ import annotations

import re
from datetime import date

from core.errors import InvalidSeason

#: The month a football season starts in (July: pre-season friendlies belong to it).
SEASON_START_MONTH = 7


def season_start_year(code: str) -> int:
    """``'2324'`` → 2023, ``'9900'`` → 1999 (two-digit years from 90 are the 1900s)."""
    if len(code) != 4 or not code.isdigit() or (int(code[:2]) + 1) % 100 != int(code[2:]):
        raise InvalidSeason(f"season code must look like '2324' (2023-24), got {code!r}")
    first = int(code[:2])
    return 1900 + first if first >= 90 else 2000 + first


def code_of_start_year(year: int) -> str:
    """2023 → ``'2324'``."""
    return f"{year % 100:02d}{(year + 1) % 100:02d}"


def season_of_day(day: date) -> str:
    """The code of the season ``day`` falls in: 2021-01-12 → ``'2021'``, 2024-08-17 → ``'2425'``."""
    return code_of_start_year(day.year if day.month >= SEASON_START_MONTH else day.year - 1)


def season_codes(first: str, last: str) -> list[str]:
    """Every season code from ``first`` to ``last`` inclusive (``'1920'`` … ``'2324'``)."""
    start, end = season_start_year(first), season_start_year(last)
    if end < start:
        raise InvalidSeason(f"season {last} comes before {first}")
    return [code_of_start_year(year) for year in range(start, end + 1)]


def parse_season(text: str) -> str:
    """A season as people write it (``2021``, ``2020-21``, ``2020/2021``) → its code ``'2021'``."""
    text = text.strip()
    match = re.fullmatch(r"(\d{2}|\d{4})\s*[-/]\s*(\d{2}|\d{4})", text)
    if match:
        text = match.group(1)[-2:] + match.group(2)[-2:]
    season_start_year(text)  # validates
    return text
