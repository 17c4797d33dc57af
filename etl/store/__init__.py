"""The PostgreSQL store: ingest batches, bulk upserts, and the reads the ML side uses."""

from etl.store.batches import Batch, get_batch, list_batches, open_batch, set_status
from etl.store.reads import load_fixtures, load_matches, load_odds
from etl.store.summary import SeasonStats, store_stats
from etl.store.writes import WriteCounts, write_matches

__all__ = [
    "Batch",
    "SeasonStats",
    "WriteCounts",
    "get_batch",
    "list_batches",
    "load_fixtures",
    "load_matches",
    "load_odds",
    "open_batch",
    "set_status",
    "store_stats",
    "write_matches",
]
