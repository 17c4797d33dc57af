"""The scrape actors against the loopback WhoScored, a real store and a real RabbitMQ."""

import json

import pika
import pytest

from actors import contracts
from actors.broker import install_broker
from actors.bus import ActorFailed, Bus
from actors.middleware import reason_key
from core.db import connect
from etl.migrate import migrate
from etl.sources.whoscored_scrape import scrape_fixtures
from tests.etl.sources.whoscored_server import WhoScoredServer

pytestmark = [pytest.mark.integration]


@pytest.fixture
def whoscored_server(shared_data):
    server = WhoScoredServer(shared_data / "whoscored")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(stack_settings, whoscored_server):
    with connect(stack_settings) as conn:
        migrate(conn)
        conn.commit()
    return stack_settings.replace(
        whoscored_url=whoscored_server.base_url,
        whoscored_min_interval_s=0.0,
        whoscored_backoff_s=0.01,
        whoscored_timeout_s=2.0,
    )


def _queued(settings, queue):
    connection = pika.BlockingConnection(pika.URLParameters(settings.broker_url))
    channel = connection.channel()
    bodies = []
    while True:
        method, _, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            break
        bodies.append(json.loads(body))
    connection.close()
    return bodies


def test_scrape_fixtures_publishes_scrape_match_for_each_finished_match_not_yet_stored(
    settings, monkeypatch
):
    for key, value in settings.as_env().items():
        monkeypatch.setenv(key, value)
    broker = install_broker(settings)
    try:
        from actors import scrape

        result = scrape.scrape_fixtures.fn(
            contracts.payload(competition="ENG-Premier League", season="2021")
        )
        queued = _queued(settings, "etl")
    finally:
        broker.close()
    assert result == {"fixtures": 380, "new": 380, "to_scrape": 380}
    assert {body["actor_name"] for body in queued} == {"scrape_match"}
    match_ids = [body["args"][0]["match_id"] for body in queued]
    assert len(match_ids) == len(set(match_ids)) == 380 and 1485184 in match_ids
    gates = _queued(settings, "validate")
    assert {body["actor_name"] for body in gates} == {"validate_batch"} and len(gates) == 9


@pytest.mark.e2e
def test_a_worker_scrapes_a_match_and_dead_letters_an_unknown_one_without_retries(
    settings, start_worker, results_redis
):
    scrape_fixtures(settings, "E0", "2021")
    start_worker(settings, queues=("etl",), threads=2)
    bus = Bus.from_settings(settings)
    try:
        result = bus.wait(bus.send(contracts.scrape_match(1485184)), 30_000)
        unknown = bus.send(contracts.scrape_match(999))
        with pytest.raises(ActorFailed, match="not in the store"):
            bus.wait(unknown, 30_000)
    finally:
        bus.close()
    assert result["changed"] is True
    reason = json.loads(results_redis.get(reason_key(unknown.message_id)))
    assert reason["error_type"] == "UnknownMatch" and reason["retries"] == 0
    with connect(settings) as conn:
        assert conn.execute(
            "SELECT home_shots, away_shots FROM match_stats m JOIN matches x ON x.id = m.match_id"
            " WHERE x.whoscored_id = 1485184"
        ).fetchone() == (11, 13)
