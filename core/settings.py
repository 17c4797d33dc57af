"""Process settings, read once from ``FOOTCAST_*`` environment variables in an entry point."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from core.errors import SettingsError

#: The repository root; local defaults (shared data mirror, MLflow store) hang off it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "FOOTCAST_"
#: The ``run_pipeline`` actor's own time limit (s); the setting may only be shorter.
MAX_PIPELINE_TIME_LIMIT_S = 4 * 3600.0


def _default_source(subdir: str, live_url: str) -> str:
    mirror = PROJECT_ROOT.parent / "shared" / "data" / subdir
    return mirror.as_uri() if mirror.is_dir() else live_url


@dataclass(frozen=True)
class Settings:
    """Everything a footcast process may be configured with; immutable once built.

    Every field carries a ``#:`` comment: it is the meaning column of the generated
    configuration reference (``docs/configuration.md``, ``scripts/settings_reference.py``).
    """

    #: ``development``, ``test`` or ``production``
    env: str = "development"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/footcast"  #: the store (PostgreSQL)
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"  #: RabbitMQ
    results_url: str = "redis://127.0.0.1:6379/0"  #: Dramatiq results backend (Redis)
    cache_url: str = "redis://127.0.0.1:6379/1"  #: feature and prediction cache (Redis)
    #: MLflow tracking and registry
    mlflow_tracking_uri: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'mlflow.db'}"
    mlflow_artifact_root: str = str(PROJECT_ROOT / "var" / "mlartifacts")  #: MLflow artifacts
    #: football-data.co.uk base URL; by default ``file://<repo>/../shared/data/football-data``
    #: when that mirror exists, else ``https://www.football-data.co.uk``
    football_data_url: str = field(
        default_factory=lambda: _default_source("football-data", "https://www.football-data.co.uk")
    )
    whoscored_url: str = "https://www.whoscored.com"  #: WhoScored base URL
    whoscored_min_interval_s: float = 3.0  #: seconds between two requests to one host
    whoscored_concurrency: int = 2  #: requests in flight at once, all hosts together
    whoscored_timeout_s: float = 30.0  #: one request, connect to last byte
    whoscored_max_retries: int = 4  #: retries of a timeout, 429 or 5xx before giving up
    #: first retry delay; doubles each retry, with jitter (``Retry-After`` wins when longer)
    whoscored_backoff_s: float = 2.0
    whoscored_block_cooldown_s: float = 1800.0  #: no requests for this long after a block
    scraper_contact: str = ""  #: e-mail or URL put in the scraper's User-Agent
    #: competitions (codes or names) the daily ingest DAG scrapes
    whoscored_competitions: str = "E0,SP1,D1,I1,F1"
    log_format: str = "auto"  #: json | console | auto (console on a terminal, else json)
    log_level: str = "INFO"  #: the lowest level logged
    health_timeout_ms: int = 500  #: deadline of the readiness probes
    predict_timeout_ms: int = 30_000  #: how long the sync path blocks on a result
    feature_cache_ttl_s: int = 6 * 3600  #: feature cache TTL
    prediction_cache_ttl_s: int = 24 * 3600  #: prediction cache TTL
    #: how often each worker process asks the registry which version is champion
    model_check_interval_s: float = 2.0
    #: how often each worker process checks the store for new or changed matches
    data_check_interval_s: float = 60.0
    result_ttl_ms: int = 10 * 60 * 1000  #: how long results stay in the results backend
    max_deliveries: int = 3  #: starts of one message whose worker died, before dead-lettering
    db_pool_max: int = 8  #: PostgreSQL pool size per process
    api_port: int = 8000  #: port of the API started by ``make run`` and ``make demo``
    worker_queues: str = ""  #: queues a worker process serves (comma-separated; empty: all)
    worker_state_dir: str = ""  #: where worker processes mark themselves ready (empty: nowhere)
    worker_metrics_port: int = 9191  #: a worker group's Prometheus port (0: any free port)
    #: origins whose pages may call the API from a browser (CORS), comma-separated
    #: (``https://x.example``), or ``*``; empty: none
    cors_origins: str = ""
    pipeline_time_limit_s: float = 3 * 3600.0  #: one ``dvc repro``; at most 4 hours
    #: where the pipeline worker copies the tree and keeps DVC's cache
    pipeline_workspace: str = str(PROJECT_ROOT / "var" / "pipeline-workspace")
    pipeline_source: str = str(PROJECT_ROOT)  #: the tree (dvc.yaml, params.yaml, code) it runs
    dvc_remote_url: str = str(PROJECT_ROOT / "var" / "dvc-remote")  #: directory or s3://bucket
    git_commit: str = ""  #: the image's commit (build argument); empty: ask git
    backup_to: str = str(PROJECT_ROOT / "var" / "backups")  #: directory or s3://bucket/prefix
    backup_keep: int = 14  #: newest backups ``footcast backup create`` keeps
    mlflow_database_url: str = ""  #: MLflow's PostgreSQL, to back up; empty: the tracking URI's

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``FOOTCAST_<FIELD>`` variables; unknown ones are an error."""
        environ = os.environ if environ is None else environ
        known = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, object] = {}
        for key, raw in environ.items():
            if not key.startswith(PREFIX):
                continue
            name = key[len(PREFIX) :].lower()
            if name not in known:
                raise SettingsError(f"{key} is not a footcast setting")
            values[name] = _coerce(key, raw, known[name].type)
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        """Reject values that would only fail later, far from their cause."""
        if self.env not in {"development", "test", "production"}:
            raise SettingsError(f"FOOTCAST_ENV must be development, test or production: {self.env}")
        if self.log_format not in {"json", "console", "auto"}:
            raise SettingsError(
                f"FOOTCAST_LOG_FORMAT must be json, console or auto: {self.log_format}"
            )
        if not 0 < self.pipeline_time_limit_s <= MAX_PIPELINE_TIME_LIMIT_S:
            raise SettingsError(
                "FOOTCAST_PIPELINE_TIME_LIMIT_S must be between 0 and"
                f" {MAX_PIPELINE_TIME_LIMIT_S:.0f}: {self.pipeline_time_limit_s}"
            )
        for name in ("database_url", "broker_url", "results_url", "cache_url"):
            if not urlsplit(getattr(self, name)).scheme:
                raise SettingsError(f"FOOTCAST_{name.upper()} is not a URL")
        for origin in self.cors_origin_list:
            parts = urlsplit(origin)
            if origin != "*" and not (parts.scheme in {"http", "https"} and parts.netloc):
                raise SettingsError(
                    f"FOOTCAST_CORS_ORIGINS must list origins such as https://x.example: {origin}"
                )

    @property
    def cors_origin_list(self) -> list[str]:
        """The origins other sites' pages may call the API from (none by default)."""
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (tests and sub-processes)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def secret_values(self) -> list[str]:
        """Values that must never reach a log line: passwords inside connection URLs."""
        secrets = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str) and "://" in value:
                password = urlsplit(value).password
                if password and password not in {"guest"}:
                    secrets.append(password)
        return secrets

    def as_env(self) -> dict[str, str]:
        """These settings as ``FOOTCAST_*`` variables, to hand to a child process."""
        return {
            f"{PREFIX}{f.name.upper()}": str(getattr(self, f.name))
            for f in dataclasses.fields(self)
        }


def _coerce(key: str, raw: str, kind: object) -> object:
    try:
        if kind in ("int", int):
            return int(raw)
        if kind in ("float", float):
            return float(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a number, got {raw!r}") from None
    return raw
