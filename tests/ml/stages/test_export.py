"""The export stage's snapshot depends on the data only, not on how the store was filled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import connect
from core.settings import Settings
from etl.history import import_history
from etl.migrate import migrate
from ml.stages import export
from ml.stages.paths import Paths
from tests.conftest import fresh_schema

pytestmark = pytest.mark.integration

FILES = [("E0", "2223"), ("SP1", "2324")]
PARAMS = {"export": {"competitions": None, "seasons": None}}


@pytest.fixture
def second_store(base_settings: Settings) -> Iterator[Settings]:
    with fresh_schema(base_settings) as settings:
        yield settings


def _snapshot(settings: Settings, files: list[tuple[str, str]], base: str, root: Path) -> Paths:
    with connect(settings, autocommit=True) as conn:
        migrate(conn)
        import_history(conn, base, files)  # the store's ids follow the files' order
    paths = Paths(root)
    export.run(settings, PARAMS, paths)
    return paths


def test_the_same_files_imported_in_two_orders_give_byte_identical_snapshots(
    pg_settings: Settings, second_store: Settings, shared_data: Path, tmp_path: Path
):
    base = (shared_data / "football-data").as_uri()
    first = _snapshot(pg_settings, FILES, base, tmp_path / "first")
    second = _snapshot(second_store, FILES[::-1], base, tmp_path / "second")
    with connect(pg_settings) as a, connect(second_store) as b:
        ids = "SELECT id FROM matches ORDER BY kickoff_date, home_team_id"
        assert a.execute(ids).fetchall() != b.execute(ids).fetchall()  # the stores differ

    assert first.matches.read_bytes() == second.matches.read_bytes()
    assert first.odds.read_bytes() == second.odds.read_bytes()
    assert len(first.matches.read_bytes()) > 10_000


def test_natural_ids_are_stable_and_tell_keys_apart():
    assert export.natural_id("E0", "2024-05-19", "Arsenal", "Everton") == export.natural_id(
        "E0", "2024-05-19", "Arsenal", "Everton"
    )
    assert export.natural_id("E0", "2024-05-19", "Arsenal", "Everton") != export.natural_id(
        "E0", "2024-05-19", "Everton", "Arsenal"
    )
    assert 0 < export.natural_id("x") < 2**63
