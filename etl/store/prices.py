"""Pre-kickoff prices as plain rows: serving reads them per request and must stay cheap."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
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


def latest_prices(
    conn: psycopg.Connection,
    match_ids: Iterable[int],
    *,
    before: dt.datetime | None = None,
) -> dict[int, Prices]:
    """The newest 1X2 snapshot of each match, seen before ``before`` (default: any time).

    Among the snapshots of the newest reading, ``PRICE_PREFERENCE`` picks the bookmaker;
    a match with no complete price of a preferred bookmaker is left out, and so are the
    snapshots of a quarantined batch.
    """
    rows = conn.execute(
        "SELECT DISTINCT ON (p.match_id) p.match_id, p.home, p.draw, p.away, p.bookmaker,"
        " p.seen_at FROM price_snapshots p"
        " WHERE p.match_id = ANY(%(ids)s) AND p.market = '1x2'"
        " AND p.bookmaker = ANY(%(books)s)"
        " AND p.home > 1 AND p.draw > 1 AND p.away > 1"
        " AND (%(before)s::timestamptz IS NULL OR p.seen_at < %(before)s)"
        " AND NOT EXISTS (SELECT 1 FROM ingest_batches b"
        "   WHERE b.id = p.batch_id AND b.status = 'quarantined')"
        " ORDER BY p.match_id, p.seen_at DESC, array_position(%(books)s, p.bookmaker)",
        {"ids": [int(i) for i in match_ids], "books": list(PRICE_PREFERENCE), "before": before},
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
