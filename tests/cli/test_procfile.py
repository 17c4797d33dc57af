"""Procfile, demo and tests run the same process commands."""

import shlex
from pathlib import Path

from cli.processes import api_command, worker_command
from core.settings import Settings

PROCFILE = Path(__file__).resolve().parents[2] / "Procfile"


def _procfile() -> dict[str, list[str]]:
    entries = {}
    for line in PROCFILE.read_text().splitlines():
        name, _, command = line.partition(":")
        entries[name] = shlex.split(command.replace("${FOOTCAST_API_PORT:-8000}", "8000"))
    return entries


def test_procfile_web_is_the_api_command():
    assert _procfile()["web"] == ["gunicorn", *api_command(8000)[3:]]


def test_procfile_worker_is_the_worker_command():
    assert _procfile()["worker"] == ["footcast", *worker_command()[3:]]


def test_each_procfile_worker_group_serves_its_metrics_on_a_port_of_its_own():
    ports = []
    for command in _procfile().values():
        if "worker" in command:
            given = [
                a.split("=", 1)[1] for a in command if a.startswith("FOOTCAST_WORKER_METRICS_PORT=")
            ]
            ports.append(given[0] if given else str(Settings().worker_metrics_port))
    assert len(ports) == 2 and len(set(ports)) == len(ports)
