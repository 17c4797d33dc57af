"""Competitions and seasons: one code per league (football-data's division), one per season.

Other sources name leagues differently (WhoScored, via soccerdata's naming, says
``ENG-Premier League``); :func:`competition_code` maps those names onto the one code.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from core.seasons import season_start_year
from etl.errors import EtlError, UnknownCompetition


@dataclass(frozen=True)
class Competition:
    code: str
    name: str
    country: str


#: football-data.co.uk division codes of the leagues footcast knows.
COMPETITIONS = {
    c.code: c
    for c in (
        Competition("E0", "Premier League", "England"),
        Competition("E1", "Championship", "England"),
        Competition("E2", "League One", "England"),
        Competition("E3", "League Two", "England"),
        Competition("SC0", "Scottish Premiership", "Scotland"),
        Competition("D1", "Bundesliga", "Germany"),
        Competition("D2", "2. Bundesliga", "Germany"),
        Competition("SP1", "La Liga", "Spain"),
        Competition("SP2", "Segunda Division", "Spain"),
        Competition("I1", "Serie A", "Italy"),
        Competition("I2", "Serie B", "Italy"),
        Competition("F1", "Ligue 1", "France"),
        Competition("F2", "Ligue 2", "France"),
        Competition("N1", "Eredivisie", "Netherlands"),
        Competition("B1", "Jupiler League", "Belgium"),
        Competition("P1", "Primeira Liga", "Portugal"),
        Competition("T1", "Super Lig", "Turkey"),
        Competition("G1", "Super League", "Greece"),
    )
}

#: Other sources' league names (soccerdata style, as the WhoScored scraper uses them).
COMPETITION_NAMES = {
    "ENG-Premier League": "E0",
    "ENG-Championship": "E1",
    "ESP-La Liga": "SP1",
    "GER-Bundesliga": "D1",
    "ITA-Serie A": "I1",
    "FRA-Ligue 1": "F1",
    "NED-Eredivisie": "N1",
    "POR-Primeira Liga": "P1",
}


def competition_code(name_or_code: str) -> str:
    """The football-data code for a code (``E0``) or another source's league name."""
    if name_or_code in COMPETITIONS:
        return name_or_code
    if name_or_code in COMPETITION_NAMES:
        return COMPETITION_NAMES[name_or_code]
    raise UnknownCompetition(
        f"unknown competition {name_or_code!r}; known: {', '.join(COMPETITIONS)}"
    )


def ensure_competition(conn: psycopg.Connection, name_or_code: str) -> int:
    """The competition's id, creating its row from :data:`COMPETITIONS` on first use."""
    competition = COMPETITIONS[competition_code(name_or_code)]
    return _get_or_insert(
        conn,
        "SELECT id FROM competitions WHERE code = %s",
        (competition.code,),
        "INSERT INTO competitions (code, name, country) VALUES (%s, %s, %s)"
        " ON CONFLICT (code) DO NOTHING RETURNING id",
        (competition.code, competition.name, competition.country),
    )


def ensure_season(conn: psycopg.Connection, competition_id: int, code: str) -> int:
    """The season's id, creating it on first use."""
    return _get_or_insert(
        conn,
        "SELECT id FROM seasons WHERE competition_id = %s AND code = %s",
        (competition_id, code),
        "INSERT INTO seasons (competition_id, code, start_year) VALUES (%s, %s, %s)"
        " ON CONFLICT (competition_id, code) DO NOTHING RETURNING id",
        (competition_id, code, season_start_year(code)),
    )


def _get_or_insert(
    conn: psycopg.Connection,
    select: str,
    key: tuple[object, ...],
    insert: str,
    values: tuple[object, ...],
) -> int:
    """Read first and insert only when missing, so concurrent batches never lock each other."""
    for statement, params in ((select, key), (insert, values), (select, key)):
        row = conn.execute(statement, params).fetchone()
        if row is not None:
            return int(row[0])
    raise EtlError(f"could not create or find the row for {key}")
