"""Pre-kickoff prices as plain rows (no pandas): what serving holds in memory."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import psycopg

#: Which bookmaker's 1X2 snapshot a forecast reads, best first (the same order as the
#: opening prices the priced model is trained on).
PRICE_PREFERENCE: tuple[str, ...] = ("PS", "Avg", "BbAv", "B365")


@dataclass(frozen=True)
class Prices:
    """A fixture's decimal 1X2 prices as one bookmaker showed them at ``seen_at``."""

    home: float
    draw: float
    away: float
    bookmaker: str
    seen_at: dt.datetime


def pre_kickoff_prices(conn: psycopg.Connection) -> dict[int, Prices]:
    """The newest 1X2 snapshot of each match seen before its kickoff: its time when known,
    else the start of its day, UTC.

    Among the snapshots of the newest reading, ``PRICE_PREFERENCE`` picks the bookmaker;
    a match with no complete price of a preferred bookmaker is left out, and so are the
    snapshots of a quarantined batch. One query for every match: serving holds the answer
    in memory and reads it again only when the prices' version moves.
    """
    rows = conn.execute(
        "SELECT DISTINCT ON (p.match_id) p.match_id, p.home, p.draw, p.away, p.bookmaker,"
        " p.seen_at FROM price_snapshots p JOIN matches m ON m.id = p.match_id"
        " WHERE p.market = '1x2' AND p.bookmaker = ANY(%(books)s)"
        " AND p.home > 1 AND p.draw > 1 AND p.away > 1"
        " AND p.seen_at < coalesce(m.kickoff_at, m.kickoff_date::timestamp AT TIME ZONE 'UTC')"
        " AND NOT EXISTS (SELECT 1 FROM ingest_batches b"
        "   WHERE b.id = p.batch_id AND b.status = 'quarantined')"
        " ORDER BY p.match_id, p.seen_at DESC, array_position(%(books)s, p.bookmaker)",
        {"books": list(PRICE_PREFERENCE)},
    ).fetchall()
    return {
        int(match_id): Prices(float(home), float(draw), float(away), bookmaker, seen_at)
        for match_id, home, draw, away, bookmaker, seen_at in rows
    }


def results_version(conn: psycopg.Connection) -> str:
    """A short digest of the validated finished matches: it changes when any is added or
    edited, so the serving state folds them in."""
    row = conn.execute(
        "SELECT count(*), coalesce(max(m.updated_at)::text, ''), coalesce(sum(m.id), 0)"
        " FROM matches m WHERE m.status = 'finished' AND EXISTS (SELECT 1 FROM ingest_batches b"
        " WHERE b.id = m.batch_id AND b.status = 'validated')"
    ).fetchone()
    return hashlib.sha1(repr(row).encode()).hexdigest()[:12]


def prices_version(conn: psycopg.Connection) -> str:
    """A short digest of the price snapshots and scheduled matches: it changes when a
    fixtures download adds prices or fixtures, so forecasts keyed by it move with them."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM price_snapshots),"
        " (SELECT coalesce(max(seen_at)::text, '') FROM price_snapshots),"
        " (SELECT count(*) FROM matches WHERE status = 'scheduled'),"
        " (SELECT coalesce(max(updated_at)::text, '') FROM matches WHERE status = 'scheduled')"
    ).fetchone()
    return hashlib.sha1(repr(row).encode()).hexdigest()[:8]
