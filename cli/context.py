"""Settings and logging for a command, built once per invocation."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from cli.outages import quiet_connection_logs
from core.errors import SettingsError
from core.logging import configure_logging
from core.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def load_settings() -> Settings:
    ctx = click.get_current_context()
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        try:
            root.obj = Settings.from_env()
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from exc
        configure_logging(root.obj)
        quiet_connection_logs(root.obj)
    return root.obj


def pass_settings(func: F) -> F:
    """Give a command the process settings as its first argument."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(load_settings(), *args, **kwargs)

    return wrapper  # type: ignore[return-value]
