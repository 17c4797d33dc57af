"""Fixtures for fault-injection tests; the helpers themselves are in ``faults.py``."""

from __future__ import annotations

import pytest

from actors.bus import Bus
from core.settings import Settings
from tests.ops.faults import PrivatePostgres, PrivateRabbitMQ, PrivateRedis


@pytest.fixture
def make_bus():
    """Producer-side buses, closed after the test."""
    buses: list[Bus] = []

    def make(settings: Settings) -> Bus:
        bus = Bus.from_settings(settings)
        buses.append(bus)
        return bus

    yield make
    for bus in buses:
        bus.close()


@pytest.fixture
def private_rabbitmq(tmp_path):
    """A started RabbitMQ node the test owns, stopped afterwards."""
    node = PrivateRabbitMQ(tmp_path / "rabbitmq")
    node.start()
    yield node
    node.stop()


@pytest.fixture
def private_postgres():
    """A started PostgreSQL cluster the test owns, removed afterwards."""
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def private_redis(tmp_path):
    """A started Redis server the test owns, stopped afterwards."""
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()
