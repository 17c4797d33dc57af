"""The worker process's settings, read from its environment once.

Every actor of a process, its middleware and its boot use the same object, rather than
parsing the environment again for each message.
"""

from __future__ import annotations

from functools import cache

from core.settings import Settings


@cache
def settings() -> Settings:
    """This process's settings (``FOOTCAST_*``)."""
    return Settings.from_env()
