"""An unreachable service ends any command with one line naming it, the setting that points
at it and what to run, and an exit status of its own; no traceback, no library log lines."""

import pytest
import redis
from click.testing import CliRunner

from cli.main import main
from cli.outages import CACHE_REDIS, POSTGRES, RABBITMQ, RESULTS_REDIS, outage_of
from cli.processes import free_port

pytestmark = [pytest.mark.integration]


def _run(settings, *args):
    result = CliRunner().invoke(main, list(args), env=settings.as_env())
    return result.exit_code, result.stdout, result.stderr


def _assert_one_line(stdout, stderr, service, port):
    assert stdout == ""
    assert len(stderr.splitlines()) == 1, stderr
    line = stderr.strip()
    assert line.startswith(f"footcast: {service.name} is unreachable at 127.0.0.1:{port}")
    assert service.setting in line and "make services" in line
    assert "Traceback" not in stderr and "pika" not in stderr


@pytest.mark.parametrize(
    "command",
    [("store", "stats"), ("ingest", "football-data", "--league", "E0", "--season", "2324")],
)
def test_a_command_that_needs_postgresql_names_it_and_exits_10(base_settings, command):
    port = free_port()
    settings = base_settings.replace(database_url=f"postgresql://postgres@127.0.0.1:{port}/x")
    code, stdout, stderr = _run(settings, *command)
    assert code == POSTGRES.exit_code == 10
    _assert_one_line(stdout, stderr, POSTGRES, port)


@pytest.mark.parametrize(
    "command", [("dlq", "list"), ("predict", "Arsenal", "Chelsea", "--competition", "E0")]
)
def test_a_command_that_needs_rabbitmq_names_it_and_exits_11(base_settings, command):
    port = free_port()
    settings = base_settings.replace(broker_url=f"amqp://guest:guest@127.0.0.1:{port}/%2F")
    code, stdout, stderr = _run(settings, *command)
    assert code == RABBITMQ.exit_code == 11
    _assert_one_line(stdout, stderr, RABBITMQ, port)


def test_a_command_that_waits_for_a_result_names_the_results_redis_and_exits_12(
    broker_settings,
):
    port = free_port()
    settings = broker_settings.replace(results_url=f"redis://127.0.0.1:{port}/0")
    code, stdout, stderr = _run(settings, "ping", "--queue", "ops")
    assert code == RESULTS_REDIS.exit_code == 12
    _assert_one_line(stdout, stderr, RESULTS_REDIS, port)


def test_a_redis_error_is_told_apart_by_the_address_it_names(base_settings):
    settings = base_settings.replace(
        results_url="redis://127.0.0.1:6390/0", cache_url="redis://127.0.0.1:6391/1"
    )
    cache_down = redis.ConnectionError("Error 111 connecting to 127.0.0.1:6391. Refused.")
    assert outage_of(cache_down, settings) is CACHE_REDIS
    assert outage_of(ValueError("not an outage"), settings) is None
