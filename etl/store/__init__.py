"""The PostgreSQL store: ingest batches, bulk upserts and summaries.

The pandas reads the ML side uses are in ``etl.store.reads``, imported only where needed.
"""

from etl.store.batches import Batch, get_batch, list_batches, open_batch, set_status
from etl.store.summary import SeasonStats, store_stats
from etl.store.writes import WriteCounts, write_matches

__all__ = [
    "Batch",
    "SeasonStats",
    "WriteCounts",
    "get_batch",
    "list_batches",
    "open_batch",
    "set_status",
    "store_stats",
    "write_matches",
]
