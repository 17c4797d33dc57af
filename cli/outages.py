"""An unreachable service becomes one line on the terminal and an exit status of its own.

Whatever a command was doing, an outage of PostgreSQL, RabbitMQ or a Redis reaches the
operator as the service's name, where the settings point at it, the setting to change and what
to run; scripts tell the kinds apart by the exit status. The libraries' own connection logs
(pika writes several error lines and a traceback per failed attempt) stay off the terminal
unless ``FOOTCAST_LOG_LEVEL=DEBUG``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pika.exceptions
import psycopg
import psycopg_pool
import redis
from dramatiq.errors import BrokerConnectionError

from actors.bus import BusUnavailable
from core.settings import Settings

#: Loggers of connection libraries that retell, at length, what the one line says.
CONNECTION_LOGGERS = ("pika", "psycopg.pool")


@dataclass(frozen=True)
class Service:
    """A service a command may need, the setting that points at it and its exit status."""

    name: str
    setting: str
    exit_code: int

    def message(self, settings: Settings) -> str:
        url = getattr(settings, self.setting.removeprefix("FOOTCAST_").lower())
        where = urlsplit(url).netloc.rsplit("@", 1)[-1] or url
        return (
            f"footcast: {self.name} is unreachable at {where} ({self.setting}); "
            f"start it with `make services`, or point {self.setting} at a running server"
        )


POSTGRES = Service("PostgreSQL", "FOOTCAST_DATABASE_URL", 10)
RABBITMQ = Service("RabbitMQ", "FOOTCAST_BROKER_URL", 11)
RESULTS_REDIS = Service("Redis (results)", "FOOTCAST_RESULTS_URL", 12)
CACHE_REDIS = Service("Redis (cache)", "FOOTCAST_CACHE_URL", 13)

_BY_COMPONENT = {"broker": RABBITMQ, "results": RESULTS_REDIS, "store": POSTGRES}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _redis_service(exc: redis.RedisError, settings: Settings) -> Service:
    """Which Redis failed: the one whose host and port the error names (results if both)."""
    for service in (RESULTS_REDIS, CACHE_REDIS):
        address = urlsplit(getattr(settings, service.setting[len("FOOTCAST_") :].lower()))
        if f"{address.hostname}:{address.port or 6379}" in str(exc):
            return service
    return RESULTS_REDIS


def outage_of(exc: BaseException, settings: Settings) -> Service | None:
    """The service whose outage ``exc`` (or an error it was raised from) reports, if any."""
    for error in _chain(exc):
        if isinstance(error, BusUnavailable) and error.component in _BY_COMPONENT:
            service = _BY_COMPONENT[error.component]
            if service is RESULTS_REDIS and isinstance(error.__cause__, redis.RedisError):
                return _redis_service(error.__cause__, settings)
            return service
        if isinstance(error, psycopg_pool.PoolTimeout):
            return POSTGRES
        if isinstance(error, psycopg.OperationalError) and "connection" in str(error):
            return POSTGRES
        if isinstance(error, pika.exceptions.AMQPConnectionError | BrokerConnectionError):
            return RABBITMQ
        if isinstance(error, redis.ConnectionError | redis.TimeoutError):
            return _redis_service(error, settings)
    return None


def quiet_connection_logs(settings: Settings) -> None:
    """Keep the connection libraries' retries and tracebacks off the operator's terminal."""
    if settings.log_level.upper() != "DEBUG":
        for name in CONNECTION_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)
