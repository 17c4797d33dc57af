"""``footcast predict`` prints the answer POST /v1/predict gives."""

import json

import pytest
from click.testing import CliRunner

from cli.main import main
from tests.serving_fixtures import serving_world

pytestmark = [pytest.mark.integration]
__all__ = ["serving_world"]


def _run(settings, *args):
    runner = CliRunner()
    return runner.invoke(main, list(args), env=settings.as_env(), catch_exceptions=False)


def test_an_inline_prediction_prints_the_forecast_with_its_model_version(serving_world):
    result = _run(
        serving_world, "predict", "Arsenal", "Man United", "--competition", "E0",
        "--kickoff", "2024-08-17", "--inline",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout[result.stdout.index("{\n") :])
    assert answer["fixture"]["away_team"] == "Manchester United"
    assert answer["model"]["name"] == "footcast-outcome" and answer["cached"] is False
    assert set(answer["forecast"]) >= {"p_home", "p_draw", "p_away", "xg_home", "top_scores"}


def test_an_unknown_team_fails_naming_the_closest_ones(serving_world):
    result = _run(serving_world, "predict", "Arsnal", "Chelsea", "--competition", "E0", "--inline")
    assert result.exit_code == 1
    assert "closest known teams in E0: Arsenal" in result.output


def test_prices_given_on_the_command_line_are_the_ones_the_forecast_reads(serving_world):
    result = _run(
        serving_world, "predict", "Arsenal", "Chelsea", "--competition", "E0",
        "--kickoff", "2024-08-17", "--prices", "1.5", "4.4", "6.5", "--inline",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout[result.stdout.index("{\n") :])
    assert answer["inputs"]["prices"] == "request"
    assert answer["inputs"]["odds"] == {"home": 1.5, "draw": 4.4, "away": 6.5}
    result = _run(
        serving_world, "predict", "Arsenal", "Chelsea", "--competition", "E0",
        "--prices", "1.01", "1.5", "1.5", "--inline",
    )  # fmt: skip
    assert result.exit_code == 2 and "prices" in result.output
