import psycopg
import pytest

from core.db import connect
from etl.errors import MigrationError
from etl.migrate import available_migrations, migrate

pytestmark = pytest.mark.integration


def test_migrations_apply_on_an_empty_database_and_record_themselves(pg_settings):
    with connect(pg_settings) as conn:
        applied = migrate(conn)
        recorded = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        }
    assert applied == [m.version for m in available_migrations()]
    assert recorded == applied
    assert {"matches", "teams", "team_aliases", "odds", "raw_pages", "ingest_batches"} <= tables


def test_a_second_migrate_is_a_no_op(pg_settings):
    with connect(pg_settings) as conn:
        migrate(conn)
        assert migrate(conn) == []


def test_a_broken_migration_is_reported_by_name_and_applies_nothing(pg_settings, tmp_path):
    (tmp_path / "0001_good.sql").write_text("CREATE TABLE good (id int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE bad (id nonsense_type);")
    with connect(pg_settings) as conn:
        with pytest.raises(MigrationError, match="0002_bad"):
            migrate(conn, tmp_path)
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("SELECT * FROM good")
