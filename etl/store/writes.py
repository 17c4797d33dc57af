"""Bulk upserts of matches, match stats and odds, and of fixtures with their price snapshots,
keyed on natural keys.

Rows are COPYed into temporary tables and merged with one ``INSERT … ON CONFLICT`` per
table, which is what makes a full history import take seconds rather than minutes. A row
whose values did not change is not rewritten, so a re-import leaves ``updated_at`` alone.
The caller owns the transaction: one batch, one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.types.json import Jsonb

from etl.errors import ParseError
from etl.records import PRICE_FIELDS, STAT_FIELDS, FixtureRow, MatchRow

_MATCH_VALUES = (
    "kickoff_at", "status", "home_goals", "away_goals", "ht_home_goals", "ht_away_goals",
    "referee", "attendance",
)  # fmt: skip
_PRICES = ", ".join(PRICE_FIELDS)
_KEY_JOIN = (
    "m.competition_id = %(competition_id)s AND m.season_id = %(season_id)s"
    " AND m.home_team_id = s.home_team_id AND m.away_team_id = s.away_team_id"
    " AND m.kickoff_date = s.kickoff_date"
)


@dataclass(frozen=True)
class WriteCounts:
    matches_new: int = 0
    matches_updated: int = 0
    stats_written: int = 0
    odds_written: int = 0

    @property
    def changed(self) -> bool:
        """Whether the write changed any row at all."""
        return bool(
            self.matches_new or self.matches_updated or self.stats_written or self.odds_written
        )


def write_matches(
    conn: psycopg.Connection,
    *,
    batch_id: int,
    competition_id: int,
    season_id: int,
    rows: Sequence[MatchRow],
    team_ids: Mapping[str, int],
    stats_source: str,
) -> WriteCounts:
    """Upsert ``rows`` (names resolved through ``team_ids``) with their stats and odds.

    Results and status follow the latest import; kick-off time, referee and attendance are
    only filled in where missing, so two sources that spell a referee differently do not
    overwrite each other on every run. A match is re-stamped with ``batch_id`` when its
    values change or when its batch is an older version of the same file (so the new
    batch's gate covers every match of the file); a match last written by another source
    with the same values is left alone, which keeps re-running every importer a no-op.
    """
    _reject_unstorable(rows, team_ids)
    keys = {"batch_id": batch_id, "competition_id": competition_id, "season_id": season_id}
    conn.execute(
        "CREATE TEMP TABLE stage_matches ("
        " row_no int PRIMARY KEY, home_team_id int, away_team_id int, kickoff_date date,"
        " kickoff_at timestamptz, status text, home_goals smallint, away_goals smallint,"
        " ht_home_goals smallint, ht_away_goals smallint, referee text, attendance int"
        ") ON COMMIT DROP"
    )
    conn.execute(
        "CREATE TEMP TABLE stage_stats (row_no int, "
        + ", ".join(f"{name} smallint" for name in STAT_FIELDS)
        + ", extra jsonb) ON COMMIT DROP"
    )
    conn.execute(
        "CREATE TEMP TABLE stage_odds (row_no int, bookmaker text, market text, kind text,"
        " home float8, draw float8, away float8, over float8, under float8, line float8)"
        " ON COMMIT DROP"
    )
    with conn.cursor() as cur:
        with cur.copy(
            "COPY stage_matches (row_no, home_team_id, away_team_id, kickoff_date, "
            + ", ".join(_MATCH_VALUES)
            + ") FROM STDIN"
        ) as copy:
            for row_no, row in enumerate(rows):
                copy.write_row(
                    (
                        row_no,
                        team_ids[row.home],
                        team_ids[row.away],
                        row.kickoff_date,
                        *(getattr(row, name) for name in _MATCH_VALUES),
                    )
                )
        with cur.copy(
            "COPY stage_stats (row_no, " + ", ".join(STAT_FIELDS) + ", extra) FROM STDIN"
        ) as copy:
            for row_no, row in enumerate(rows):
                if row.stats is not None or row.extra:
                    stats = row.stats or (None,) * len(STAT_FIELDS)
                    extra = Jsonb(row.extra) if row.extra else None
                    copy.write_row((row_no, *stats, extra))
        with cur.copy(
            "COPY stage_odds (row_no, bookmaker, market, kind, " + _PRICES + ") FROM STDIN"
        ) as copy:
            for row_no, row in enumerate(rows):
                for q in row.odds:
                    copy.write_row(
                        (row_no, q.bookmaker, q.market, q.kind,
                         *(getattr(q, name) for name in PRICE_FIELDS))
                    )  # fmt: skip
    inserted = conn.execute(
        "INSERT INTO matches (competition_id, season_id, home_team_id, away_team_id,"
        " kickoff_date, kickoff_at, status, home_goals, away_goals, ht_home_goals,"
        " ht_away_goals, referee, attendance, batch_id)"
        " SELECT %(competition_id)s, %(season_id)s, home_team_id, away_team_id, kickoff_date,"
        " kickoff_at, status, home_goals, away_goals, ht_home_goals, ht_away_goals, referee,"
        " attendance, %(batch_id)s FROM stage_matches ORDER BY row_no"
        " ON CONFLICT (competition_id, season_id, home_team_id, away_team_id, kickoff_date)"
        " DO UPDATE SET kickoff_at = coalesce(matches.kickoff_at, excluded.kickoff_at),"
        " status = excluded.status, home_goals = excluded.home_goals,"
        " away_goals = excluded.away_goals, ht_home_goals = excluded.ht_home_goals,"
        " ht_away_goals = excluded.ht_away_goals,"
        " referee = coalesce(matches.referee, excluded.referee),"
        " attendance = coalesce(matches.attendance, excluded.attendance),"
        " batch_id = excluded.batch_id, updated_at = now()"
        " WHERE (matches.status, matches.home_goals, matches.away_goals,"
        " matches.ht_home_goals, matches.ht_away_goals) IS DISTINCT FROM"
        " (excluded.status, excluded.home_goals, excluded.away_goals, excluded.ht_home_goals,"
        " excluded.ht_away_goals)"
        " OR (matches.kickoff_at IS NULL AND excluded.kickoff_at IS NOT NULL)"
        " OR (matches.referee IS NULL AND excluded.referee IS NOT NULL)"
        " OR (matches.attendance IS NULL AND excluded.attendance IS NOT NULL)"
        " OR (matches.batch_id IS DISTINCT FROM excluded.batch_id AND EXISTS ("
        "   SELECT 1 FROM ingest_batches old JOIN ingest_batches new"
        "   ON new.source = old.source AND new.batch_key = old.batch_key"
        "   WHERE old.id = matches.batch_id AND new.id = excluded.batch_id))"
        " RETURNING (xmax = 0)",
        keys,
    ).fetchall()
    new = sum(1 for (is_new,) in inserted if is_new)
    stats_cur = conn.execute(
        "INSERT INTO match_stats (match_id, source, "
        + ", ".join(STAT_FIELDS)
        + ", extra) SELECT m.id, %(source)s, "
        + ", ".join(f"st.{name}" for name in STAT_FIELDS)
        + ", st.extra FROM stage_stats st JOIN stage_matches s USING (row_no)"
        f" JOIN matches m ON {_KEY_JOIN} ORDER BY m.id"
        " ON CONFLICT (match_id, source) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in (*STAT_FIELDS, "extra"))
        + " WHERE ("
        + ", ".join(f"match_stats.{name}" for name in (*STAT_FIELDS, "extra"))
        + ") IS DISTINCT FROM ("
        + ", ".join(f"excluded.{name}" for name in (*STAT_FIELDS, "extra"))
        + ")",
        {**keys, "source": stats_source},
    )
    odds_cur = conn.execute(
        "INSERT INTO odds (match_id, bookmaker, market, kind, " + _PRICES + ")"
        " SELECT m.id, o.bookmaker, o.market, o.kind, "
        + ", ".join(f"o.{name}" for name in PRICE_FIELDS)
        + " FROM stage_odds o JOIN stage_matches s USING (row_no)"
        f" JOIN matches m ON {_KEY_JOIN} ORDER BY m.id, o.bookmaker, o.market, o.kind"
        " ON CONFLICT (match_id, bookmaker, market, kind) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in PRICE_FIELDS)
        + " WHERE ("
        + ", ".join(f"odds.{name}" for name in PRICE_FIELDS)
        + ") IS DISTINCT FROM ("
        + ", ".join(f"excluded.{name}" for name in PRICE_FIELDS)
        + ")",
        keys,
    )
    for table in ("stage_odds", "stage_stats", "stage_matches"):
        conn.execute(f"DROP TABLE {table}")
    return WriteCounts(new, len(inserted) - new, stats_cur.rowcount, odds_cur.rowcount)


def _reject_unstorable(rows: Sequence[MatchRow], team_ids: Mapping[str, int]) -> None:
    """A broken file: a team playing itself, or two rows with one natural key (the same
    match twice, maybe spelt two ways), which would make the upsert fail or be ambiguous.

    Compared on resolved team ids, so ``Man City`` and ``Manchester City`` are one team.
    """
    _reject_duplicates(
        [f"{r.home} v {r.away} on {r.kickoff_date}" for r in rows],
        [(team_ids[r.home], team_ids[r.away], r.kickoff_date) for r in rows],
        [team_ids[r.home] == team_ids[r.away] for r in rows],
    )


def _reject_duplicates(
    names: Sequence[str], keys: Sequence[tuple[object, ...]], itself: Sequence[bool]
) -> None:
    """``ParseError`` naming the rows whose team plays itself or whose key is taken twice."""
    playing_itself = [name for name, same in zip(names, itself, strict=True) if same]
    if playing_itself:
        raise ParseError(f"a team plays itself: {'; '.join(playing_itself[:5])}")
    seen = Counter(keys)
    twice = [name for name, key in zip(names, keys, strict=True) if seen[key] > 1]
    if twice:
        raise ParseError(f"the same match appears twice: {'; '.join(dict.fromkeys(twice[:10]))}")


@dataclass(frozen=True)
class FixtureCounts:
    matches_new: int = 0
    #: scheduled matches whose kick-off time or referee changed
    matches_updated: int = 0
    #: matches of the file the store already has a result for: left alone
    already_played: int = 0
    snapshots_added: int = 0

    @property
    def changed(self) -> bool:
        """Whether the fixtures (not only their prices) changed."""
        return bool(self.matches_new or self.matches_updated)


def write_fixtures(
    conn: psycopg.Connection,
    *,
    batch_id: int,
    fixtures: Sequence[FixtureRow],
    season_ids: Mapping[tuple[str, str], tuple[int, int]],
    team_ids: Mapping[tuple[str, str], int],
    seen_at: datetime,
) -> FixtureCounts:
    """Upsert scheduled matches by the season importer's natural key, append price snapshots.

    ``season_ids`` maps (league, season) to (competition id, season id), ``team_ids``
    (league, name) to a team id. A match the store holds as played (or postponed) is never
    touched: a fixtures list cannot take a result away. Every scheduled match of the file
    is stamped with ``batch_id``, so the batch's gate covers the whole file. The opening
    prices become snapshots seen at ``seen_at``; the same (match, market, bookmaker,
    ``seen_at``) is written once, so replaying a file changes nothing. A scheduled match
    the file puts on another day is moved there, its snapshots with it (a league season
    has one match per home and away side).
    """
    keys = [
        (*season_ids[f.league, f.season], team_ids[f.league, f.match.home],
         team_ids[f.league, f.match.away], f.match.kickoff_date)
        for f in fixtures
    ]  # fmt: skip
    _reject_duplicates(
        [f"{f.match.home} v {f.match.away} on {f.match.kickoff_date}" for f in fixtures],
        keys,
        [key[2] == key[3] for key in keys],
    )
    conn.execute(
        "CREATE TEMP TABLE stage_fixtures (row_no int PRIMARY KEY, competition_id int,"
        " season_id int, home_team_id int, away_team_id int, kickoff_date date,"
        " kickoff_at timestamptz, referee text) ON COMMIT DROP"
    )
    conn.execute(
        "CREATE TEMP TABLE stage_quotes (row_no int, bookmaker text, market text, "
        + ", ".join(f"{name} float8" for name in PRICE_FIELDS)
        + ") ON COMMIT DROP"
    )
    with conn.cursor() as cur:
        with cur.copy(
            "COPY stage_fixtures (row_no, competition_id, season_id, home_team_id,"
            " away_team_id, kickoff_date, kickoff_at, referee) FROM STDIN"
        ) as copy:
            for row_no, (fixture, key) in enumerate(zip(fixtures, keys, strict=True)):
                copy.write_row((row_no, *key, fixture.match.kickoff_at, fixture.match.referee))
        with cur.copy(
            "COPY stage_quotes (row_no, bookmaker, market, " + _PRICES + ") FROM STDIN"
        ) as copy:
            for row_no, fixture in enumerate(fixtures):
                for q in fixture.match.odds:
                    if q.kind == "opening":
                        copy.write_row(
                            (row_no, q.bookmaker, q.market,
                             *(getattr(q, name) for name in PRICE_FIELDS))
                        )  # fmt: skip
    params = {"batch_id": batch_id, "seen_at": seen_at}
    join = (
        "m.competition_id = s.competition_id AND m.season_id = s.season_id"
        " AND m.home_team_id = s.home_team_id AND m.away_team_id = s.away_team_id"
        " AND m.kickoff_date = s.kickoff_date"
    )
    # a fixture moved to another day: the pair's only match of the season, still scheduled,
    # takes the new date (with its price snapshots) rather than leaving a stale row behind
    moved = conn.execute(
        "UPDATE matches m SET kickoff_date = s.kickoff_date, kickoff_at = s.kickoff_at,"
        " referee = coalesce(s.referee, m.referee),"
        " batch_id = %(batch_id)s, updated_at = now() FROM stage_fixtures s"
        " WHERE m.competition_id = s.competition_id AND m.season_id = s.season_id"
        " AND m.home_team_id = s.home_team_id AND m.away_team_id = s.away_team_id"
        " AND m.kickoff_date <> s.kickoff_date AND m.status = 'scheduled'"
        " AND (SELECT count(*) FROM matches o WHERE o.competition_id = s.competition_id"
        " AND o.season_id = s.season_id AND o.home_team_id = s.home_team_id"
        " AND o.away_team_id = s.away_team_id) = 1",
        params,
    ).rowcount
    updated = (
        moved
        + conn.execute(
            "UPDATE matches m SET kickoff_at = coalesce(s.kickoff_at, m.kickoff_at),"
            " referee = coalesce(s.referee, m.referee), batch_id = %(batch_id)s,"
            " updated_at = now() FROM stage_fixtures s"
            f" WHERE {join} AND m.status = 'scheduled'"
            " AND (m.kickoff_at, m.referee) IS DISTINCT FROM"
            " (coalesce(s.kickoff_at, m.kickoff_at), coalesce(s.referee, m.referee))",
            params,
        ).rowcount
    )
    new = conn.execute(
        "INSERT INTO matches (competition_id, season_id, home_team_id, away_team_id,"
        " kickoff_date, kickoff_at, referee, status, batch_id)"
        " SELECT competition_id, season_id, home_team_id, away_team_id, kickoff_date,"
        " kickoff_at, referee, 'scheduled', %(batch_id)s FROM stage_fixtures ORDER BY row_no"
        " ON CONFLICT (competition_id, season_id, home_team_id, away_team_id, kickoff_date)"
        " DO NOTHING",
        params,
    ).rowcount
    conn.execute(
        f"UPDATE matches m SET batch_id = %(batch_id)s FROM stage_fixtures s WHERE {join}"
        " AND m.status = 'scheduled' AND m.batch_id IS DISTINCT FROM %(batch_id)s",
        params,
    )
    played = conn.execute(
        f"SELECT count(*) FROM stage_fixtures s JOIN matches m ON {join}"
        " WHERE m.status <> 'scheduled'"
    ).fetchone()
    snapshots = conn.execute(
        "INSERT INTO price_snapshots (match_id, seen_at, bookmaker, market, "
        + _PRICES
        + ", batch_id) SELECT m.id, %(seen_at)s, q.bookmaker, q.market, "
        + ", ".join(f"q.{name}" for name in PRICE_FIELDS)
        + ", %(batch_id)s FROM stage_quotes q JOIN stage_fixtures s USING (row_no)"
        f" JOIN matches m ON {join} ORDER BY m.id, q.market, q.bookmaker"
        " ON CONFLICT (match_id, market, bookmaker, seen_at) DO NOTHING",
        params,
    ).rowcount
    for table in ("stage_quotes", "stage_fixtures"):
        conn.execute(f"DROP TABLE {table}")
    return FixtureCounts(new, updated, int(played[0]) if played else 0, snapshots)
