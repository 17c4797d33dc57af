"""Errors raised by the data side; one root so callers can tell data faults from outages."""


class EtlError(Exception):
    """Root of every error raised by ``etl``."""


class MigrationError(EtlError):
    """Raised when a schema migration cannot be applied."""


class SourceUnavailable(EtlError):
    """Raised when a source cannot be reached after the allowed retries (transient)."""


class MissingSource(EtlError):
    """Raised when a source has no such file or page (HTTP 404, a missing mirror file)."""


class UnknownCompetition(EtlError):
    """Raised when a league code or name is not one footcast knows."""


class BlockedError(EtlError):
    """Raised when a source answers with its bot-protection page instead of data."""


class RobotsDisallowed(BlockedError):
    """Raised when a site's robots.txt forbids footcast a URL; nothing is requested."""


class ParseError(EtlError):
    """Raised when a page or file lacks what its parser needs; the message names what."""


class UnknownMatch(EtlError):
    """Raised when a source's match id is not in the store yet (its fixtures never stored)."""


class ValidationFailed(EtlError):
    """Raised when a batch fails its validation gate and is quarantined."""


class UnknownTeam(EtlError):
    """Raised when a team name resolves to no known team or to several close candidates."""

    def __init__(self, name: str, candidates: list[str], message: str | None = None) -> None:
        self.name = name
        self.candidates = candidates
        super().__init__(message or f"unknown team {name!r}; closest: {', '.join(candidates)}")


class BackupError(EtlError):
    """Raised when a backup cannot be made, checked or restored (the message says which)."""
