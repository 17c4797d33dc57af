"""Worker boot time: from ``footcast worker`` starting to its first answered message.

    .venv/bin/python benchmarks/worker_boot.py [--groups ops ingest ml]

Each group of the chart's values.yaml (its queues, processes and threads) is started alone
on a private RabbitMQ vhost with the settings of the environment (``FOOTCAST_*``: the
store and MLflow registry the ``ml`` group loads its champion from). It reports, per
group, the seconds until the first ``ping`` on its first queue was answered (an ``ml``
process consumes only once its serving state is loaded, so this includes the model load),
until every process wrote its ready file, and the group's RSS then; as JSON.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import yaml

from actors import contracts
from actors.bus import Bus
from cli.processes import spawn, stop, worker_command
from core.settings import PROJECT_ROOT, Settings

VALUES = PROJECT_ROOT / "helm" / "footcast" / "values.yaml"


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=30)


def boot(settings: Settings, name: str, group: dict, log_dir: Path) -> dict:
    state = log_dir / f"state-{name}"
    group_settings = settings.replace(worker_state_dir=str(state), worker_metrics_port=0)
    command = worker_command(group["queues"], processes=group["processes"],
                             threads=group["threads"])  # fmt: skip
    bus = Bus.from_settings(settings)
    started = time.monotonic()
    proc = spawn(command, group_settings, log_dir / f"{name}.log")
    try:
        bus.wait(bus.send(contracts.ping(group["queues"][0])), 600_000)
        first_s = time.monotonic() - started
        while len(list(state.glob("ready-*"))) < group["processes"]:
            time.sleep(0.05)
        ready_s = time.monotonic() - started
        tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        rss = sum(p.memory_info().rss for p in tree)
    finally:
        stop(proc, timeout_s=60)
        bus.close()
    return {"first_message_s": round(first_s, 2), "ready_s": round(ready_s, 2),
            "rss_mib": round(rss / 2**20)}  # fmt: skip


def main() -> None:
    groups = yaml.safe_load(VALUES.read_text())["workers"]["groups"]
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", nargs="+", default=list(groups))
    args = parser.parse_args()
    vhost = f"footcast_bench_{uuid.uuid4().hex[:8]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    settings = Settings.from_env().replace(broker_url=f"amqp://guest:guest@127.0.0.1:5672/{vhost}")
    try:
        with tempfile.TemporaryDirectory(prefix="footcast-boot-") as tmp:
            report = {name: boot(settings, name, groups[name], Path(tmp)) for name in args.groups}
    finally:
        _rabbitmqctl("delete_vhost", vhost)
    print(json.dumps({"load_average": psutil.getloadavg(), "groups": report}))


if __name__ == "__main__":
    main()
