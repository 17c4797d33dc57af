"""Errors raised by the shared ground."""


class CoreError(Exception):
    """Root of every error raised by ``core``."""


class SettingsError(CoreError):
    """Raised when an environment variable is unknown or holds an unusable value."""


class InvalidSeason(CoreError, ValueError):
    """Raised when a season code or name cannot be read (``'2324'`` is the 2023-24 season)."""
