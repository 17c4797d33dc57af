"""A fault test whose server binaries are missing is skipped on a workstation, failed in CI."""

import pytest

from tests.ops.faults import missing_tool


def test_a_missing_server_fails_the_test_when_ci_is_set(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="rabbitmq-server is not installed"):
        missing_tool("rabbitmq-server")


def test_a_missing_server_skips_the_test_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="make services"):
        missing_tool("rabbitmq-server")
