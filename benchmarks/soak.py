"""Soak: a fixed request rate across the sync, async and batch endpoints for minutes, with a
worker restart in the middle.

    .venv/bin/python benchmarks/soak.py [--duration-s 300] [--rate 50] [--batch-size 10]
                                        [--warmup-s 60] [--max-in-flight 1024]

Loopback only, bounded (the run, then at most ``--drain-s`` to collect answers) and it stops
by itself. The stack is ``benchmarks/serve.py``'s: the store of ``FOOTCAST_DATABASE_URL`` as
it is, a champion trained on its last three seasons into a private registry, a private
RabbitMQ vhost, gunicorn and one dramatiq worker process. Requests start at a fixed rate
(open loop: a slow answer does not slow the schedule), mixed 5:3:2 over

- ``sync``: ``POST /v1/predict``;
- ``async``: ``POST /v1/predictions``, then ``GET /v1/predictions/{id}`` (``poll``, counted
  apart) every ``--poll-interval-s`` until ``done`` or ``failed``;
- ``batch``: ``POST /v1/predictions/batch`` with ``--batch-size`` fixtures;

each fixture one never asked before (a cache miss). Half-way, the worker is sent SIGTERM
and a new one started at once. Prints one JSON object: requests and statuses per endpoint,
error rates, latency percentiles, whether every async id (and every sync 504's id) reached
``done`` (``lost`` counts those that did not), and the RSS growth of the API's and each
worker's process tree (read from ``/proc``) from the end of the warm-up to the end of its
life. Exits 1 when a check fails: a lost request, a 5xx, memory growth of 10% or more.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from serve import Stack, bench_stack, bodies, first_kickoff, fixtures

from cli.processes import stop
from core.settings import PROJECT_ROOT

#: Share of each endpoint among the scheduled requests.
MIX = {"sync": 5, "async": 3, "batch": 2}
#: Largest accepted RSS growth of a process tree after warm-up.
MAX_GROWTH = 0.10
#: How long a worker sent SIGTERM may take to finish its messages before it is killed (s).
WORKER_GRACE_S = 60.0
#: An answer slower than this (ms) waited on the worker restart.
STALLED_MS = 1000.0
#: Seconds between two RSS samples (shorter for short runs, so each window has enough).
SAMPLE_INTERVAL_S = (1.0, 5.0)


class Client:
    """One fresh loopback connection per request, so no idle keep-alive connection the
    server closed is ever mistaken for a failure."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        """(status, JSON body or None, latency ms); status 0 when the connection failed."""
        started = time.perf_counter()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=90)
        try:
            data = None if body is None else json.dumps(body)
            headers = {"Content-Type": "application/json"} if data is not None else {}
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            return 0, None, (time.perf_counter() - started) * 1000
        finally:
            conn.close()
        elapsed_ms = (time.perf_counter() - started) * 1000
        try:
            return status, json.loads(payload), elapsed_ms
        except ValueError:
            return status, None, elapsed_ms


class Record:
    """Statuses and latencies per endpoint, and the async ids still to reach a result."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: dict[str, Counter[str]] = defaultdict(Counter)
        #: (monotonic time sent, latency ms) of each 2xx answer, per endpoint.
        self.latencies_ms: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.pending: dict[str, float] = {}
        self.outcomes: Counter[str] = Counter()
        self.followed_timeouts = 0
        self.batch_items: Counter[str] = Counter()
        self.shed = 0

    def answer(self, endpoint: str, status: int, latency_ms: float) -> None:
        sent_at = time.monotonic() - latency_ms / 1000
        with self.lock:
            self.statuses[endpoint][str(status)] += 1
            if 200 <= status < 300:
                self.latencies_ms[endpoint].append((sent_at, latency_ms))

    def follow(self, task_id: str, since: float) -> None:
        with self.lock:
            self.pending[task_id] = since

    def settle(self, task_id: str, outcome: str) -> None:
        with self.lock:
            since = self.pending.pop(task_id)
            self.outcomes[outcome] += 1
            if outcome == "done":
                done_ms = (time.monotonic() - since) * 1000
                self.latencies_ms["async_done"].append((since, done_ms))


class FixtureFeed:
    """Fixtures never asked before, one at a time, to any thread."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = iter(lines)
        self.lock = threading.Lock()

    def next(self) -> dict[str, Any]:
        with self.lock:
            line = next(self.lines)
        return dict(json.loads(line))


def send(kind: str, client: Client, record: Record, feed: FixtureFeed, batch_size: int) -> None:
    if kind == "batch":
        batch = [feed.next() for _ in range(batch_size)]
        status, body, ms = client.call("POST", "/v1/predictions/batch", {"fixtures": batch})
        record.answer("batch", status, ms)
        if status == 200:
            with record.lock:
                for item in body["predictions"]:
                    record.batch_items["error" if "error" in item else "prediction"] += 1
        return
    fixture = feed.next()
    since = time.monotonic()
    path = "/v1/predict" if kind == "sync" else "/v1/predictions"
    status, body, ms = client.call("POST", path, fixture)
    record.answer(kind, status, ms)
    if kind == "async" and status == 202:
        record.follow(body["id"], since)
    elif kind == "sync" and status == 504:
        record.follow(body["error"]["id"], since)
        with record.lock:
            record.followed_timeouts += 1


def poll(client: Client, record: Record, interval_s: float, stop_at: threading.Event) -> None:
    """Polls every pending id each sweep until ``stop_at`` is set."""
    while not stop_at.is_set():
        with record.lock:
            ids = list(record.pending)
        for task_id in ids:
            status, body, ms = client.call("GET", f"/v1/predictions/{task_id}")
            record.answer("poll", status, ms)
            if status == 200 and body["status"] in ("done", "failed"):
                record.settle(task_id, body["status"])
            elif status == 404:
                record.settle(task_id, "unknown")
        stop_at.wait(interval_s)


def tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants (kB), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def sample_memory(
    stack: Stack,
    samples: list[dict[str, Any]],
    started: float,
    interval_s: float,
    stop_at: threading.Event,
) -> None:
    while not stop_at.is_set():
        worker = stack.worker_proc
        samples.append(
            {
                "t_s": round(time.monotonic() - started, 1),
                "api_kb": tree_rss_kb(stack.api_proc.pid),
                "worker_pid": worker.pid,
                "worker_kb": tree_rss_kb(worker.pid),
            }
        )
        stop_at.wait(interval_s)


def growth(samples: list[dict[str, Any]], key: str, from_s: float, to_s: float) -> dict[str, Any]:
    """RSS at the end of the warm-up (median of the first three samples from ``from_s``)
    against the end of the window (median of its last three samples)."""
    window = [s[key] for s in samples if from_s <= s["t_s"] <= to_s]
    if len(window) < 6:
        return {"samples": len(window), "growth": None}
    baseline, end = statistics.median(window[:3]), statistics.median(window[-3:])
    return {
        "from_s": round(from_s, 1),
        "to_s": round(to_s, 1),
        "baseline_mb": round(baseline / 1024, 1),
        "end_mb": round(end / 1024, 1),
        "peak_mb": round(max(window) / 1024, 1),
        "growth": round((end - baseline) / baseline, 4),
    }


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    count = len(ordered)

    def at(q: float) -> float:
        return round(ordered[min(count - 1, int(q * count))], 2)

    return {
        "count": count,
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ordered[-1], 2),
    }


def recovery_s(record: Record, restart_at: float) -> float:
    """Seconds from the SIGTERM until the last request that waited on the restart (sent
    after it, answered in over ``STALLED_MS``) was answered."""
    ends = [
        at + ms / 1000
        for endpoint in ("sync", "batch", "async_done")
        for at, ms in record.latencies_ms[endpoint]
        if at >= restart_at and ms > STALLED_MS
    ]
    return round(max(ends, default=restart_at) - restart_at, 1)


def restart_worker(stack: Stack, started: float) -> dict[str, Any]:
    """SIGTERM the worker and start a new one at once.

    The signal goes to the dramatiq main process only, as Kubernetes sends it: that process
    passes it on to its worker processes, which finish the messages they run and exit 0. (A
    second SIGTERM, which signalling the whole process group would deliver, makes them exit
    at once.)"""
    old = stack.worker_proc
    at_s = time.monotonic() - started
    outcome: dict[str, Any] = {"at_s": round(at_s, 1), "old_pid": old.pid}

    def stop_old() -> None:
        old.send_signal(signal.SIGTERM)
        try:
            code = old.wait(WORKER_GRACE_S)
        except subprocess.TimeoutExpired:
            code = stop(old)
        outcome["old_exit_s"] = round(time.monotonic() - started - at_s, 1)
        outcome["old_returncode"] = code

    stopper = threading.Thread(target=stop_old, name="soak-stop-worker")
    stopper.start()
    outcome["new_pid"] = stack.start_worker().pid
    outcome["stopper"] = stopper
    return outcome


def soak(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    client = Client(stack.api)
    record = Record()
    kinds = [kind for kind, weight in MIX.items() for _ in range(weight)]
    random.Random(7).shuffle(kinds)
    total = int(args.rate * args.duration_s)
    per_request = {"sync": 1, "async": 1, "batch": args.batch_size}
    needed = sum(per_request[kinds[i % len(kinds)]] for i in range(total))
    first = first_kickoff(stack.settings)
    feed = FixtureFeed(bodies(fixtures(stack.settings), first, needed + 3 * args.batch_size))
    for kind in MIX:  # the worker's model is loaded and every path answered once
        send(kind, client, Record(), feed, args.batch_size)

    samples: list[dict[str, Any]] = []
    started = time.monotonic()
    stop_sampling, stop_polling = threading.Event(), threading.Event()
    interval_s = max(SAMPLE_INTERVAL_S[0], min(SAMPLE_INTERVAL_S[1], args.duration_s / 60))
    threads = [
        threading.Thread(
            target=sample_memory, args=(stack, samples, started, interval_s, stop_sampling)
        ),
        threading.Thread(target=poll, args=(client, record, args.poll_interval_s, stop_polling)),
    ]
    for thread in threads:
        thread.start()
    slots = threading.BoundedSemaphore(args.max_in_flight)
    restart: dict[str, Any] = {}
    load_start = os.getloadavg()

    def run(kind: str) -> None:
        try:
            send(kind, client, record, feed, args.batch_size)
        finally:
            slots.release()

    with ThreadPoolExecutor(max_workers=args.max_in_flight) as pool:
        for i in range(total):
            due = started + i / args.rate
            if not restart and due - started >= args.duration_s / 2:
                restart = restart_worker(stack, started)
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if slots.acquire(blocking=False):
                pool.submit(run, kinds[i % len(kinds)])
            else:
                record.shed += 1
    load_end = os.getloadavg()
    ran_s = time.monotonic() - started
    restart.pop("stopper").join()
    drain_deadline = time.monotonic() + args.drain_s
    while record.pending and time.monotonic() < drain_deadline:
        time.sleep(0.2)
    stop_polling.set()
    stop_sampling.set()
    for thread in threads:
        thread.join()
    lost = len(record.pending) + record.outcomes["unknown"]

    warmup_s = min(args.warmup_s, args.duration_s / 5)
    restart_s = restart["at_s"]
    restart["recovered_after_s"] = recovered_s = recovery_s(record, started + restart_s)
    memory = {
        "api": growth(samples, "api_kb", warmup_s, ran_s),
        "worker_before_restart": growth(samples, "worker_kb", warmup_s, restart_s),
        "worker_after_restart": growth(
            [s for s in samples if s["worker_pid"] == restart["new_pid"]],
            "worker_kb",
            restart_s + recovered_s + warmup_s,
            ran_s,
        ),
    }
    stalled = (started + restart_s, started + restart_s + recovered_s)
    endpoints = ("sync", "async", "batch", "poll")
    statuses = {e: dict(sorted(record.statuses[e].items())) for e in endpoints}
    requests = {e: sum(record.statuses[e].values()) for e in endpoints}
    server_errors = sum(n for e in endpoints for s, n in statuses[e].items() if s[0] == "5")
    growths = [m["growth"] for m in memory.values() if m["growth"] is not None]
    return {
        "requests": {**requests, "shed": record.shed},
        "achieved_rate_per_s": round(sum(requests[e] for e in MIX) / ran_s, 1),
        "statuses": statuses,
        "error_rate": {
            e: round(1 - sum(n for s, n in statuses[e].items() if s[0] == "2") / requests[e], 5)
            if requests[e]
            else None
            for e in endpoints
        },
        "latency_ms": {
            e: percentiles([ms for _, ms in record.latencies_ms[e]])
            for e in ("sync", "async", "async_done", "batch", "poll")
        },
        "latency_ms_outside_restart": {
            e: percentiles(
                [ms for at, ms in record.latencies_ms[e] if not stalled[0] <= at <= stalled[1]]
            )
            for e in ("sync", "async", "async_done", "batch", "poll")
        },
        "async": {
            "followed": record.outcomes.total() + len(record.pending),
            "sync_504s_followed": record.followed_timeouts,
            "done": record.outcomes["done"],
            "failed": record.outcomes["failed"],
            "lost": lost,
        },
        "batch_items": dict(record.batch_items),
        "worker_restart": restart,
        "memory": memory,
        "checks": {
            "zero_lost": lost == 0,
            "no_5xx": server_errors == 0,
            "memory_growth_under_10pct": bool(growths) and all(g < MAX_GROWTH for g in growths),
        },
        "setup": {
            "duration_s": args.duration_s,
            "rate_per_s": args.rate,
            "mix": MIX,
            "batch_size": args.batch_size,
            "warmup_s": warmup_s,
            "api": f"gunicorn gthread {args.api_workers} workers x {args.api_threads} threads",
            "worker": f"dramatiq 1 process x {args.worker_threads} threads",
            "cpus": os.cpu_count(),
            "loadavg_1m_start_end": [round(load_start[0], 2), round(load_end[0], 2)],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration-s", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0, help="requests started per second")
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--warmup-s", type=float, default=60.0)
    parser.add_argument("--poll-interval-s", type=float, default=0.5)
    parser.add_argument("--drain-s", type=float, default=120.0)
    parser.add_argument("--max-in-flight", type=int, default=1024)
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--api-threads", type=int, default=8)
    parser.add_argument("--worker-threads", type=int, default=8)
    args = parser.parse_args()
    with bench_stack(args.api_workers, args.api_threads, args.worker_threads) as stack:
        result = soak(stack, args)
    print(json.dumps(result, indent=2))
    if not all(result["checks"].values()):
        sys.exit(1)


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT_ROOT))
    main()
