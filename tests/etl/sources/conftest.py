from collections.abc import Iterator

import pytest

from tests.etl.sources.whoscored_server import WhoScoredServer


@pytest.fixture
def whoscored_server(shared_data) -> Iterator[WhoScoredServer]:
    """The saved WhoScored pages served over real HTTP on loopback."""
    server = WhoScoredServer(shared_data / "whoscored")
    server.start()
    yield server
    server.stop()
