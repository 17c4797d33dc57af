"""Bulk upserts of matches, match stats and odds, keyed on natural keys.

Rows are COPYed into temporary tables and merged with one ``INSERT … ON CONFLICT`` per
table, which is what makes a full history import take seconds rather than minutes. A row
whose values did not change is not rewritten, so a re-import leaves ``updated_at`` alone.
The caller owns the transaction: one batch, one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import psycopg
from psycopg.types.json import Jsonb

from etl.errors import ParseError
from etl.records import PRICE_FIELDS, STAT_FIELDS, MatchRow

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
    itself = [
        f"{r.home} v {r.away} on {r.kickoff_date}"
        for r in rows
        if team_ids[r.home] == team_ids[r.away]
    ]
    if itself:
        raise ParseError(f"a team plays itself: {'; '.join(itself[:5])}")
    keys = [(team_ids[r.home], team_ids[r.away], r.kickoff_date) for r in rows]
    seen = Counter(keys)
    twice = [
        f"{r.home} v {r.away} on {r.kickoff_date}"
        for r, key in zip(rows, keys, strict=True)
        if seen[key] > 1
    ]
    if twice:
        raise ParseError(f"the same match appears twice: {'; '.join(dict.fromkeys(twice[:10]))}")
