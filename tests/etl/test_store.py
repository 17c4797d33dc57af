"""Store reads and the per-season summary, over real imported files."""

import json
import shutil
from datetime import date

import pytest
from click.testing import CliRunner

from cli.main import main
from core.db import connect
from etl.history import import_history
from etl.migrate import migrate
from etl.store import store_stats
from etl.store.fixtures import upcoming_fixtures
from etl.store.reads import MATCH_COLUMNS, load_matches

pytestmark = pytest.mark.integration


def test_store_stats_counts_matches_stats_odds_teams_and_batches_per_season(
    pg_settings, shared_data
):
    base = (shared_data / "football-data").as_uri()
    with connect(pg_settings, autocommit=True) as conn:
        migrate(conn)
        import_history(conn, base, [("E0", "2324"), ("SP1", "0001"), ("E0", "9900")])
        stats = {(s.competition, s.season): s for s in store_stats(conn)}
    assert set(stats) == {("E0", "2324"), ("SP1", "0001")}
    e0, sp1 = stats["E0", "2324"], stats["SP1", "0001"]
    assert (e0.matches, e0.with_stats, e0.with_odds, e0.teams) == (380, 380, 380, 20)
    assert (sp1.matches, sp1.with_stats, sp1.with_odds, sp1.teams) == (380, 0, 379, 20)
    assert e0.batches == {"validated": 1}
    result = CliRunner().invoke(main, ["store", "stats", "--json"], env=pg_settings.as_env())
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert {"competition": "SP1", "season": "0001", "with_odds": 379}.items() <= printed[1].items()


def test_load_matches_has_the_documented_columns_and_fixtures_are_listed_apart(
    pg_settings, shared_data, tmp_path
):
    target = tmp_path / "mmz4281" / "2324" / "E0.csv"
    target.parent.mkdir(parents=True)
    shutil.copyfile(shared_data / "football-data" / "mmz4281" / "2324" / "E0.csv", target)
    target.write_bytes(
        target.read_bytes().replace(b",Burnley,Man City,0,3,A,0,2,A,", b",Burnley,Man City,,,,,,,")
    )
    with connect(pg_settings, autocommit=True) as conn:
        migrate(conn)
        summary = import_history(conn, tmp_path.as_uri(), [("E0", "2324")])
        matches = load_matches(conn)
        fixtures = upcoming_fixtures(
            conn, competition="E0", start=date(2023, 8, 1), end=date(2023, 8, 31), limit=10
        )
        elsewhere = upcoming_fixtures(
            conn, competition="SP1", start=date(2023, 8, 1), end=date(2023, 8, 31), limit=10
        )
    assert summary.files[0].status == "validated"
    assert list(matches.columns) == list(MATCH_COLUMNS) and len(matches) == 379
    assert matches.kickoff_date.is_monotonic_increasing
    assert [(f["home_team"], f["away_team"]) for f in fixtures] == [("Burnley", "Manchester City")]
    assert fixtures[0]["kickoff_at"].isoformat() == "2023-08-11T19:00:00+00:00"
    assert elsewhere == []
