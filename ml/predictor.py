"""The predictor a serving worker keeps in memory: the champion and the features behind it.

Built once per process (``Predictor.load``): the champion forecaster from the registry, a
``FeatureState`` folded over the store's validated matches (the same walk training uses,
so serving features are training features), and every known spelling of every team. A
forecast then needs no I/O except for ``{"match_id"}`` fixtures.

``reload_if_changed`` keeps it current without a restart: at most every
``model_check_interval_s`` it asks the registry which version is champion (one cheap
call) and, at most every ``data_check_interval_s``, whether the store's matches changed;
either change builds a new snapshot off to the side and swaps it in at once, so threads
forecasting meanwhile finish on the old one.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import difflib
import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
import psycopg
import structlog

from core.db import connect
from core.settings import Settings
from etl.competitions import UnknownCompetition, competition_code
from etl.errors import UnknownTeam
from etl.store.reads import MATCH_COLUMNS, load_matches
from etl.teams import list_aliases, normalise
from ml import registry
from ml.errors import MlError
from ml.features import FeatureState, build_features

if TYPE_CHECKING:
    from ml.forecaster import Forecaster

log = structlog.get_logger("footcast.predictor")

#: Closest known teams named when a team is unknown.
CANDIDATES = 3
#: Probabilities and expected goals of a forecast, as served.
FORECAST_KEYS = ("p_home", "p_draw", "p_away", "xg_home", "xg_away", "p_over_2_5", "p_btts")
#: Decimals kept in served numbers (more is noise, and bytes on every answer).
DECIMALS = 6


class UnknownMatch(MlError):
    """Raised when a fixture names a match id the store does not have."""


@dataclass(frozen=True)
class Teams:
    """Every spelling of every team (normalised) and the teams each competition has."""

    by_spelling: dict[str, str]
    by_competition: dict[str, tuple[str, ...]]

    def resolve(self, name: str, competition: str) -> str:
        """The canonical team ``name`` means; ``UnknownTeam`` with the closest teams if none."""
        found = self.by_spelling.get(normalise(name))
        if found is not None:
            return found
        pool = self.by_competition.get(competition) or tuple(sorted(set(self.by_spelling.values())))
        wanted = normalise(name)
        ranked = sorted(
            pool, key=lambda team: -difflib.SequenceMatcher(None, wanted, normalise(team)).ratio()
        )
        candidates = ranked[:CANDIDATES]
        where = f" in {competition}" if competition in self.by_competition else ""
        closest = ", ".join(candidates)
        raise UnknownTeam(
            name, candidates, f"unknown team {name!r}; closest known teams{where}: {closest}"
        )


@dataclass(frozen=True)
class ServedModel:
    """A registered version and what serving needs to know of it."""

    version: str
    forecaster: Forecaster
    run_id: str
    promoted_at: str | None
    metrics: dict[str, float]

    @property
    def key(self) -> str:
        """The version as cache keys name it: with its run, so a registry that was wiped
        and numbers versions from 1 again never reads the old models' entries."""
        return f"{self.version}-{self.run_id[:12]}"


@dataclass(frozen=True)
class Snapshot:
    """One consistent serving state; replaced whole, never changed in place."""

    model: ServedModel
    state: FeatureState
    teams: Teams
    data_version: str
    loaded_at: float  #: unix seconds
    folded: str = ""  #: digest of the matches folded into ``state`` (``folded_digest``)

    @property
    def model_version(self) -> str:
        return self.model.version

    @property
    def forecaster(self) -> Forecaster:
        return self.model.forecaster

    def resolve(self, fixture: Mapping[str, Any]) -> dict[str, Any]:
        """A named fixture with canonical team names and competition code."""
        code = competition_code(str(fixture["competition"]))
        if code not in self.state.leagues:
            known = ", ".join(sorted(self.state.leagues)) or "none"
            raise UnknownCompetition(f"no matches of competition {code} are known; known: {known}")
        return {
            "home_team": self.teams.resolve(str(fixture["home_team"]), code),
            "away_team": self.teams.resolve(str(fixture["away_team"]), code),
            "competition": code,
            "kickoff": str(fixture["kickoff"]),
        }

    def features(self, resolved: Mapping[str, Any]) -> dict[str, float]:
        """Pre-kickoff features of a resolved fixture, from the state the model was fed."""
        features = self.state.fixture_features(
            resolved["home_team"],
            resolved["away_team"],
            resolved["competition"],
            dt.date.fromisoformat(resolved["kickoff"]),
        )
        return {name: float(value) for name, value in features.items()}

    def forecast(
        self, resolved: Mapping[str, Any], features: Mapping[str, float]
    ) -> dict[str, Any]:
        """The forecast of a resolved fixture's features, naming the model version."""
        raw = self.forecaster.forecast(
            features, resolved["home_team"], resolved["away_team"], resolved["competition"]
        )
        forecast: dict[str, Any] = {key: round(float(raw[key]), DECIMALS) for key in FORECAST_KEYS}
        forecast["top_scores"] = [
            {"home": int(h), "away": int(a), "p": round(float(p), DECIMALS)}
            for h, a, p in raw["top_scores"]
        ]
        return {
            "model": {"name": registry.MODEL_NAME, "version": self.model_version},
            "forecast": forecast,
        }


def data_version(conn: psycopg.Connection) -> str:
    """A short digest of the validated finished matches: changes when any is added or edited."""
    row = conn.execute(
        "SELECT count(*), coalesce(max(m.updated_at)::text, ''), coalesce(sum(m.id), 0)"
        " FROM matches m WHERE m.status = 'finished' AND EXISTS (SELECT 1 FROM ingest_batches b"
        " WHERE b.id = m.batch_id AND b.status = 'validated')"
    ).fetchone()
    return hashlib.sha1(repr(row).encode()).hexdigest()[:12]


def _teams(conn: psycopg.Connection, state: FeatureState) -> Teams:
    by_spelling: dict[str, str] = {}
    for _source, alias, team in list_aliases(conn):
        by_spelling.setdefault(normalise(alias), team)
    for (team,) in conn.execute("SELECT name FROM teams").fetchall():
        by_spelling[normalise(team)] = team
    by_competition = {code: tuple(sorted(league.teams)) for code, league in state.leagues.items()}
    return Teams(by_spelling, by_competition)


def folded_digest(matches: pd.DataFrame) -> str:
    """A digest of match rows as the feature walk reads them (``load_matches`` order)."""
    columns = [c for c in MATCH_COLUMNS if c in matches.columns]
    hashed = pd.util.hash_pandas_object(matches[columns], index=False)
    return hashlib.sha1(hashed.to_numpy().tobytes()).hexdigest()[:16]


def build_state(
    conn: psycopg.Connection, forecaster: Forecaster, previous: Snapshot | None = None
) -> tuple[FeatureState, Teams, str, str]:
    """The features state after every validated match, with the model's feature settings,
    the data version, and the digest of the matches folded.

    When the store holds exactly ``previous``'s matches up to its last day and only
    gained later ones (a new matchday, or just new prices), ``previous``'s state is reused,
    advanced by the later matches alone in a copy: the walk is the same, so the state is
    too, and a worker serves a new matchday in a fraction of a full fold.
    """
    version = data_version(conn)
    matches = everything = load_matches(conn)
    config = getattr(forecaster, "feature_config", None)
    state = FeatureState(config)
    if previous is not None and previous.folded and previous.state.config == state.config:
        last = pd.Timestamp(dt.date.fromordinal(max(previous.state.last_day, 1)))
        earlier = matches["kickoff_date"] <= last
        if folded_digest(matches[earlier]) == previous.folded:
            state = previous.state
            matches = matches[~earlier]
            if len(matches):
                state = copy.deepcopy(state)
    if len(matches):
        build_features(matches, state=state)
    return state, _teams(conn, state), version, folded_digest(everything)


class Predictor:
    """Forecasts fixtures with the current champion; safe to share between threads."""

    def __init__(
        self,
        settings: Settings,
        snapshot: Snapshot,
        *,
        champion: Callable[[Settings], str | None] = registry.champion_version,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.snapshot = snapshot
        self._champion = champion
        self._clock = clock
        self._checking = threading.Lock()
        self._model_checked = clock()
        self._data_checked = clock()

    @classmethod
    def load(cls, settings: Settings) -> Predictor:
        """Load the champion and fold the store's matches (seconds for the whole history)."""
        return cls(settings, _load_snapshot(settings))

    @property
    def model_version(self) -> str:
        return self.snapshot.model_version

    @property
    def data_version(self) -> str:
        return self.snapshot.data_version

    # -- forecasting ------------------------------------------------------------------

    def resolve(
        self, fixture: Mapping[str, Any], snapshot: Snapshot | None = None
    ) -> dict[str, Any]:
        """The fixture with canonical team names and competition code (looked up in the
        store for ``match_id``); raises ``UnknownTeam``, ``UnknownCompetition`` or
        ``UnknownMatch``."""
        snapshot = snapshot or self.snapshot
        if "match_id" in fixture:
            return self._match(int(fixture["match_id"]))
        return snapshot.resolve(fixture)

    def _match(self, match_id: int) -> dict[str, Any]:
        with connect(self.settings) as conn:
            row = conn.execute(
                "SELECT c.code, ht.name, at.name, m.kickoff_date FROM matches m"
                " JOIN competitions c ON c.id = m.competition_id"
                " JOIN teams ht ON ht.id = m.home_team_id JOIN teams at ON at.id = m.away_team_id"
                " WHERE m.id = %s",
                (match_id,),
            ).fetchone()
        if row is None:
            raise UnknownMatch(f"no match with id {match_id} in the store")
        code, home, away, kickoff = row
        return {
            "home_team": home,
            "away_team": away,
            "competition": code,
            "kickoff": kickoff.isoformat(),
            "match_id": match_id,
        }

    def forecast(self, fixture: Mapping[str, Any]) -> dict[str, Any]:
        """Resolve, featurise and forecast a normalised fixture (no cache involved)."""
        snapshot = self.snapshot
        resolved = self.resolve(fixture, snapshot)
        return {
            "fixture": resolved,
            **snapshot.forecast(resolved, snapshot.features(resolved)),
            "data_version": snapshot.data_version,
        }

    # -- staying current --------------------------------------------------------------

    def reload_if_changed(self, *, force: bool = False, data: bool = True) -> bool:
        """Swap in a new snapshot if the champion or (with ``data``) the data changed; True
        if swapped.

        Checks are rate-limited; a thread that finds another one checking does not wait.
        ``force`` checks the champion now and waits for a check in progress. New data means
        folding the whole store again (seconds), so threads answering requests pass
        ``data=False`` and leave that to a background one.
        """
        now = self._clock()
        check_model = force or now - self._model_checked >= self.settings.model_check_interval_s
        check_data = data and now - self._data_checked >= self.settings.data_check_interval_s
        if not (check_model or check_data):
            return False
        if not self._checking.acquire(blocking=force):
            return False
        try:
            return self._check(check_model, check_data)
        finally:
            self._checking.release()

    def _check(self, check_model: bool, check_data: bool) -> bool:
        snapshot = self.snapshot
        model_changed = data_changed = False
        if check_model:
            self._model_checked = self._clock()
            version = self._champion(self.settings)
            model_changed = version is not None and version != snapshot.model_version
        if check_data:
            self._data_checked = self._clock()
            with connect(self.settings) as conn:
                data_changed = data_version(conn) != snapshot.data_version
        if not (model_changed or data_changed):
            return False
        model = _load_model(self.settings)
        if data_changed or _feature_config(model.forecaster) != _feature_config(
            snapshot.forecaster
        ):
            self.snapshot = _snapshot(self.settings, model, snapshot)
        else:
            self.snapshot = dataclasses.replace(snapshot, model=model, loaded_at=time.time())
        log.info(
            "predictor reloaded",
            model_version=self.snapshot.model_version,
            previous_model_version=snapshot.model_version,
            data_version=self.snapshot.data_version,
        )
        return True


def _feature_config(forecaster: Forecaster) -> Any:
    return getattr(forecaster, "feature_config", None)


def _load_model(settings: Settings) -> ServedModel:
    version, forecaster = registry.load_model(settings, registry.CHAMPION)
    info = registry.model_info(settings, version)
    return ServedModel(version, forecaster, info.run_id or "", info.promoted_at, info.metrics)


def _load_snapshot(settings: Settings) -> Snapshot:
    return _snapshot(settings, _load_model(settings))


def _snapshot(settings: Settings, model: ServedModel, previous: Snapshot | None = None) -> Snapshot:
    with connect(settings) as conn:
        state, teams, data, folded = build_state(conn, model.forecaster, previous)
    log.info(
        "predictor loaded",
        model_version=model.version,
        data_version=data,
        teams=len(teams.by_spelling),
    )
    return Snapshot(model, state, teams, data, time.time(), folded)
