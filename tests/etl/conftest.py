import pytest

from core.db import connect
from etl.migrate import migrate
from etl.teams import seed_aliases


@pytest.fixture
def conn(pg_settings):
    """A connection to a fresh, migrated schema with the curated team aliases."""
    with connect(pg_settings, autocommit=True) as conn:
        migrate(conn)
        seed_aliases(conn)
        yield conn


@pytest.fixture
def base(shared_data):
    """The shared football-data mirror as a base URL."""
    return (shared_data / "football-data").as_uri()
