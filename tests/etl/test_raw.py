import pytest

from core.db import connect
from etl.migrate import migrate
from etl.raw import archive_raw, load_raw

pytestmark = pytest.mark.integration


def test_archived_bodies_come_back_byte_for_byte_and_are_stored_once(pg_settings):
    body = b"Div,Date,HomeTeam\n" * 1000
    with connect(pg_settings) as conn:
        migrate(conn)
        first = archive_raw(conn, source="football-data", url="file:///E0.csv", body=body)
        again = archive_raw(conn, source="football-data", url="file:///E0.csv", body=body)
        assert first == again
        assert load_raw(conn, first) == body
        stored = conn.execute("SELECT octet_length(body_zlib) FROM raw_pages").fetchall()
    assert len(stored) == 1 and stored[0][0] < len(body) / 10
