"""The worker's entry point: ``dramatiq actors.worker:boot``.

Settings, logging and the broker are set up before any actor module is imported, because
dramatiq binds actors to the global broker when they are declared.
"""

from __future__ import annotations

import importlib

from actors.broker import install_broker
from core.logging import configure_logging
from core.settings import Settings

#: Actor modules a worker serves, in import order.
ACTOR_MODULES = (
    "actors.health",
    "actors.heartbeat",
    "actors.scrape",
    "actors.ingest",
    "actors.validate",
    "actors.predict",
    "actors.model_events",
    "actors.pipeline_events",
    "actors.pipeline",
)


def boot() -> None:
    """Configure this worker process from the environment and declare every actor."""
    settings = Settings.from_env()
    configure_logging(settings)
    install_broker(settings)
    for module in ACTOR_MODULES:
        importlib.import_module(module)
