import json

import pytest
from click.testing import CliRunner

from cli.main import main
from core.db import connect
from etl.history import expand, import_history
from etl.migrate import migrate

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _run(settings, *args):
    return CliRunner().invoke(main, ["evaluate", *args], obj=settings, catch_exceptions=False)


def test_evaluate_prints_every_model_against_the_market_from_the_store(pg_settings, shared_data):
    with connect(pg_settings) as conn:
        migrate(conn)
        base = (shared_data / "football-data").as_uri()
        import_history(conn, base, expand(["E0"], ["1516", "1617", "1718", "1819", "1920"]))
        conn.commit()
    result = _run(
        pg_settings, "--league", "E0", "--season", "1920", "--warmup-season", "1819", "--json"
    )
    assert result.exit_code == 0, result.output
    # log lines (one JSON object each) may share stdout with the indented report
    data = json.loads(result.stdout[result.stdout.index("{\n") :])
    assert data["n"] == 380
    assert data["competitions"] == ["E0"]
    market = data["scores"]["market"]
    assert 0.18 < market["rps"] < 0.21
    assert market["rps"] < data["scores"]["ensemble"]["rps"] < data["scores"]["uniform"]["rps"]
    assert data["scores"]["market_open"]["n"] == market["n"] == 380
    assert market["rps"] < data["scores"]["market_open"]["rps"] < 0.21  # closing knows more
    table = _run(pg_settings, "--league", "E0", "--season", "1920", "--warmup-season", "1819")
    assert "ensemble" in table.output and "market_open" in table.output


def test_evaluate_on_an_empty_store_says_there_is_nothing_to_evaluate(pg_settings):
    with connect(pg_settings) as conn:
        migrate(conn)
        conn.commit()
    result = CliRunner().invoke(main, ["evaluate", "--json"], obj=pg_settings)
    assert result.exit_code == 1
    assert "no validated finished matches" in result.output
