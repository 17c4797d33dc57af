"""Fixtures for fault-injection tests; the helpers themselves are in ``faults.py``."""

from __future__ import annotations

import pytest

from actors.bus import Bus
from core.settings import Settings


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
