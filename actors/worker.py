"""The worker's entry point: ``dramatiq actors.worker:boot`` (run by ``footcast worker``).

Settings, logging and the broker are set up before any actor module is imported, because
dramatiq binds actors to the global broker when they are declared. A process imports only
the actor modules of the queues it serves (``FOOTCAST_WORKER_QUEUES``), so a group that
serves no predictions boots in a second or two and never loads pandas, MLflow or a model.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from actors import runtime
from actors.broker import install_broker
from actors.contracts import QUEUES
from actors.readiness import ReadyFile
from core.logging import configure_logging
from core.settings import Settings

#: ``ping`` answers on every queue, so its module is always imported.
COMMON_MODULES = ("actors.health",)
#: Actor modules by the queue their actors consume, in import order.
QUEUE_MODULES: dict[str, tuple[str, ...]] = {
    "etl": ("actors.scrape", "actors.ingest"),
    "validate": ("actors.validate",),
    "ml": ("actors.predict", "actors.serving_events", "actors.drift"),
    "ops": (
        "actors.heartbeat",
        "actors.model_events",
        "actors.pipeline_events",
        "actors.data_events",
    ),
    "pipeline": ("actors.pipeline",),
}

#: Queues whose actors need their process's preparations (``actors.readiness``) to serve.
PREPARED_QUEUES = {"ml"}


def served_queues(settings: Settings) -> tuple[str, ...]:
    """The queues named by ``FOOTCAST_WORKER_QUEUES``, or all of them."""
    named = tuple(q.strip() for q in settings.worker_queues.split(",") if q.strip())
    return named or QUEUES


def actor_modules(queues: Iterable[str]) -> tuple[str, ...]:
    """Every actor module a worker of ``queues`` needs, each once."""
    modules = list(COMMON_MODULES)
    for queue in queues:
        modules += [m for m in QUEUE_MODULES[queue] if m not in modules]
    return tuple(modules)


def boot() -> None:
    """Configure this worker process from the environment and declare its queues' actors."""
    settings = runtime.settings()
    configure_logging(settings)
    broker = install_broker(settings)
    queues = served_queues(settings)
    for module in actor_modules(queues):
        importlib.import_module(module)
    prepared_first = set(queues) <= PREPARED_QUEUES
    broker.add_middleware(ReadyFile(settings.worker_state_dir, before_consuming=prepared_first))
    # messages, durations, errors, retries and dead letters per actor and queue, served by
    # the group's main process (``footcast worker`` picks the port and the samples' dir)
    from dramatiq.middleware.prometheus import Prometheus

    broker.add_middleware(Prometheus())
