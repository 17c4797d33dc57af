"""``footcast scoreboard`` prints what ``GET /v1/scoreboard`` answers, or a table."""

import json

import pytest
from click.testing import CliRunner

from cli.main import main
from tests.etl.test_scoreboard import store

pytestmark = [pytest.mark.integration]
__all__ = ["store"]


def _run(settings, *args):
    return CliRunner().invoke(main, list(args), env=settings.as_env(), catch_exceptions=False)


def test_the_scoreboard_prints_json_filtered_by_competition_and_date(store):
    result = _run(store, "scoreboard", "--competition", "E0", "--since", "2024-04-21", "--json")
    assert result.exit_code == 0, result.output
    board = json.loads(result.stdout[result.stdout.index("{\n") :])
    assert board["competition"] == "E0" and board["since"] == "2024-04-21"
    assert board["overall"]["matches"] == 2
    assert [m["month"] for m in board["by_month"]] == ["2024-04", "2024-05"]


def test_the_scoreboard_table_shows_model_closing_and_opening_per_group(store):
    result = _run(store, "scoreboard")
    assert result.exit_code == 0, result.output
    assert "overall" in result.output and "month 2024-05" in result.output
    assert "closing:" in result.output and "opening:" in result.output
