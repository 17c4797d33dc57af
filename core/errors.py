"""Errors raised by the shared ground."""


class CoreError(Exception):
    """Root of every error raised by ``core``."""


class SettingsError(CoreError):
    """Raised when an environment variable is unknown or holds an unusable value."""
