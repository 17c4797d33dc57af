"""Errors raised by the model side; one root so callers can tell them from data faults."""


class MlError(Exception):
    """Root of every error raised by ``ml``."""


class NotFitted(MlError):
    """Raised when a model is asked to predict before it has been fitted."""


class InsufficientData(MlError):
    """Raised when there are too few matches to fit a model or run a backtest."""


class ParamsError(MlError):
    """Raised when params.yaml lacks a section or holds an unusable value."""


class RegistryError(MlError):
    """Raised when the MLflow tracking store or registry cannot answer."""


class ModelNotFound(RegistryError):
    """Raised when no registered version matches the alias or version asked for."""


class PublishFailed(RegistryError):
    """Raised when champion moved but ``footcast model publish-promoted`` did not succeed."""


class ReproduceError(MlError):
    """Raised when a registered model cannot be rebuilt: its snapshot or records are missing."""
