"""``footcast dlq`` against a private RabbitMQ vhost, dead letters made by RabbitMQ itself."""

import json
import time
from datetime import UTC, datetime

import click
import pika
import pytest
from click.testing import CliRunner

from actors import contracts
from actors.dead_letters import dead_letter_counts
from cli.dlq import parse_since
from cli.main import main


def test_since_takes_durations_and_iso_times():
    assert parse_since("90s", now=1000.0) == 910.0
    assert parse_since("2h", now=10_000.0) == 2800.0
    assert parse_since("1d", now=100_000.0) == 13_600.0
    assert parse_since("2026-01-01T00:00:00") == datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    with pytest.raises(click.BadParameter, match="duration like 15m"):
        parse_since("yesterday")


@pytest.fixture
def expired(broker_settings):
    """Publish pings that expire at once, so RabbitMQ dead-letters them with no worker."""
    connection = pika.BlockingConnection(pika.URLParameters(broker_settings.broker_url))
    channel = connection.channel()
    xq_args = {"x-dead-letter-exchange": ""}
    sent = []

    def publish(queue, **fields):
        channel.queue_declare(f"{queue}.XQ", durable=True, arguments={"x-message-ttl": 604800000})
        channel.queue_declare(
            queue, durable=True, arguments={**xq_args, "x-dead-letter-routing-key": f"{queue}.XQ"}
        )
        message = contracts.ping(queue, **fields)
        channel.basic_publish(
            "", queue, message.encode(), pika.BasicProperties(delivery_mode=2, expiration="1")
        )
        sent.append(message)
        return message

    yield publish
    connection.close()


def _run(settings, *args, **kwargs):
    return CliRunner().invoke(main, ["dlq", *args], obj=settings, **kwargs)


def _wait_for(settings, queue, count):
    deadline = time.monotonic() + 10
    while dead_letter_counts(settings)[queue] != count:
        assert time.monotonic() < deadline
        time.sleep(0.1)


@pytest.mark.integration
def test_list_show_and_counts_describe_the_dead_letters(broker_settings, expired):
    first = expired("etl", n=1)
    second = expired("etl", n=2)
    _wait_for(broker_settings, "etl", 2)

    table = _run(broker_settings, "list")
    assert table.exit_code == 0, table.output
    header, *rows = table.output.splitlines()
    assert header.split() == ["ID", "QUEUE", "ACTOR", "AGE", "RETRIES", "REPLAYS", "ERROR"]
    assert [row.split()[0] for row in rows] == [first.message_id, second.message_id]
    assert "expired in etl" in rows[0]

    lines = _run(broker_settings, "list", "--json", "--grep", '"n": 2').output.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [second.message_id]
    assert _run(broker_settings, "list", "--queue", "ml").output.strip() == "no dead letters"

    shown = _run(broker_settings, "show", first.message_id)
    assert shown.exit_code == 0
    assert json.loads(shown.output)["args"] == [{"v": 1, "n": 1}]
    missing = _run(broker_settings, "show", "no-such-id")
    assert missing.exit_code == 1 and "no dead letter with id 'no-such-id'" in missing.output

    counts = _run(broker_settings, "counts", "--json")
    assert json.loads(counts.output) == {"etl": 2, "validate": 0, "ml": 0, "ops": 0, "pipeline": 0}


@pytest.mark.integration
def test_replay_needs_ids_or_all_and_dry_run_changes_nothing(broker_settings, expired):
    message = expired("ops")
    _wait_for(broker_settings, "ops", 1)
    assert _run(broker_settings, "replay").exit_code == 2
    dry = _run(broker_settings, "replay", "--all", "--dry-run")
    assert f"would replay {message.message_id} → ops (ping)" in dry.output
    assert dead_letter_counts(broker_settings)["ops"] == 1
    done = _run(broker_settings, "replay", message.message_id)
    assert done.exit_code == 0 and "replayed 1, skipped 0" in done.output
    assert dead_letter_counts(broker_settings)["ops"] == 0
    unknown = _run(broker_settings, "replay", message.message_id)
    assert unknown.exit_code == 1 and "not dead-lettered" in unknown.output


@pytest.mark.integration
def test_purge_asks_first_and_removes_only_what_it_showed(broker_settings, expired):
    expired("validate", n=1)
    kept = expired("validate", n=2)
    _wait_for(broker_settings, "validate", 2)

    refused = _run(broker_settings, "purge", "--all", "--grep", '"n": 1', input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    assert dead_letter_counts(broker_settings)["validate"] == 2

    agreed = _run(broker_settings, "purge", "--all", "--grep", '"n": 1', input="y\n")
    assert agreed.exit_code == 0 and "purged 1" in agreed.output
    remaining = _run(broker_settings, "list", "--json").output.splitlines()
    assert [json.loads(line)["id"] for line in remaining] == [kept.message_id]

    assert "purged 1" in _run(broker_settings, "purge", "--all", "--yes").output
    assert dead_letter_counts(broker_settings)["validate"] == 0
