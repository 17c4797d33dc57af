"""The serving state a worker keeps in memory: the champion and the features behind it.

Built once per process (``StateKeeper.load``): the champion forecaster from the registry, a
``FeatureState`` folded over the store's validated matches (the same walk training uses,
so serving features are training features), every known spelling of every team, and the
store's matches with their newest pre-kickoff prices (``StoreIndex``), so a forecast
places its fixture and reads its prices without a round trip; prices the client sends win
over those.
Every answer says what it read (``inputs``) and what the reader should mind (``warnings``).

``reload_if_changed`` keeps it current without a restart: at most every
``model_check_interval_s`` it asks the registry which version is champion (one cheap
call) and, at most every ``data_check_interval_s``, whether the store's matches changed;
either change builds a new serving state off to the side and swaps it in at once, so threads
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg
import structlog
from psycopg_pool import ConnectionPool

from core.cache import digest, served_answer
from core.db import connect, open_pool
from core.settings import Settings
from etl.competitions import UnknownCompetition, competition_code
from etl.errors import EtlError, UnknownTeam
from etl.store.fixtures import FixtureKey, stored_matches
from etl.store.prices import pre_kickoff_prices, prices_version, results_version
from etl.store.reads import MATCH_COLUMNS, load_matches
from etl.teams import list_aliases, normalise, team_names
from ml import registry
from ml.errors import MlError
from ml.features import FeatureState, build_features
from ml.forecaster import FixtureRow, Forecaster

log = structlog.get_logger("footcast.serving_state")

#: Closest known teams named when a team is unknown.
CANDIDATES = 3
#: Probabilities and expected goals of a forecast, as served.
FORECAST_KEYS = ("p_home", "p_draw", "p_away", "xg_home", "xg_away", "p_over_2_5", "p_btts")
#: Decimals kept in served numbers (more is noise, and bytes on every answer).
DECIMALS = 6
#: A kickoff this long after the competition's last known result is forecast from stale
#: ratings (days): the answer warns ``stale_data``.
STALE_AFTER_DAYS = 21
OUTCOMES = ("home", "draw", "away")


class UnknownMatch(MlError):
    """Raised when a fixture names a match id the store does not have."""


class CompetitionNotCovered(MlError):
    """Raised when a fixture's competition is not one the served model was trained on."""

    def __init__(self, competition: str, covered: Sequence[str]) -> None:
        self.competition = competition
        self.covered = tuple(covered)
        super().__init__(
            f"the served model was not trained on {competition}; it covers "
            f"{', '.join(self.covered) or 'no competition'}"
        )


#: Errors of a fixture that names something unknown: the client's to correct, not retried.
FIXTURE_ERRORS = (UnknownTeam, UnknownCompetition, UnknownMatch, CompetitionNotCovered)


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
class StoreIndex:
    """The store's matches and their newest pre-kickoff prices, as of one data version.

    Every match, played or scheduled, by natural key and by id, and the prices a forecast
    reads (as entry inputs): read in two queries whenever the data version moves, instead
    of two round trips per forecast.
    """

    by_key: dict[FixtureKey, int] = dataclasses.field(default_factory=dict)
    by_id: dict[int, FixtureKey] = dataclasses.field(default_factory=dict)
    prices: dict[int, dict[str, Any]] = dataclasses.field(default_factory=dict)

    @classmethod
    def read(cls, conn: psycopg.Connection) -> StoreIndex:
        index = cls()
        shared: dict[Any, Any] = {}  # one object per team name, code and day: half the memory
        for match_id, key in stored_matches(conn):
            key = tuple(shared.setdefault(part, part) for part in key)
            index.by_key[key] = match_id
            index.by_id[match_id] = key
        for match_id, p in pre_kickoff_prices(conn).items():
            index.prices[match_id] = {
                "source": "store",
                "odds": {"home": p.home, "draw": p.draw, "away": p.away},
                "bookmaker": p.bookmaker,
                "seen_at": p.seen_at.isoformat(),
            }
        return index


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
class ServingState:
    """One consistent serving state; replaced whole, never changed in place."""

    model: ServedModel
    state: FeatureState
    teams: Teams
    data_version: str  #: "<results digest>.<prices digest>"
    loaded_at: float  #: unix seconds
    #: Date of the last result folded in, per competition (ISO).
    data_through: Mapping[str, str] = dataclasses.field(default_factory=dict)
    folded: str = ""  #: digest of the matches folded into ``state`` (``folded_digest``)
    stored: StoreIndex = dataclasses.field(default_factory=StoreIndex)

    @property
    def model_version(self) -> str:
        return self.model.version

    @property
    def forecaster(self) -> Forecaster:
        return self.model.forecaster

    def check_covered(self, code: str) -> None:
        """``CompetitionNotCovered`` unless the model was trained on competition ``code``."""
        if code not in self.forecaster.leagues:
            raise CompetitionNotCovered(code, sorted(self.forecaster.leagues))

    def resolve(self, fixture: Mapping[str, Any]) -> dict[str, Any]:
        """A named fixture with canonical team names and competition code."""
        code = competition_code(str(fixture["competition"]))
        self.check_covered(code)
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

    def inputs(
        self, resolved: Mapping[str, Any], priced: Mapping[str, Any] | None
    ) -> tuple[dict[str, Any], list[str]]:
        """What a forecast of ``resolved`` reads besides its features, and its warnings.

        ``priced`` is ``{"source": "store"|"request", "odds": {home, draw, away},
        "bookmaker", "seen_at"}`` or None.
        """
        through = self.data_through.get(resolved["competition"])
        inputs: dict[str, Any] = {
            "prices": None,
            "priced_at": None,
            "bookmaker": None,
            "odds": None,
            "market": None,
            "data_through": through,
        }
        warnings = []
        if priced is not None:
            odds = priced["odds"]
            implied = {k: 1.0 / odds[k] for k in OUTCOMES}
            total = sum(implied.values())
            inputs.update(
                prices=priced["source"],
                priced_at=priced.get("seen_at"),
                bookmaker=priced.get("bookmaker"),
                odds=dict(odds),
                market={k: round(v / total, DECIMALS) for k, v in implied.items()},
            )
        elif has_priced_path(self.forecaster):
            warnings.append("unpriced")
        kickoff = dt.date.fromisoformat(resolved["kickoff"])
        if through is None or kickoff - dt.date.fromisoformat(through) > dt.timedelta(
            days=STALE_AFTER_DAYS
        ):
            warnings.append("stale_data")
        return inputs, warnings

    def forecast(
        self,
        resolved: Mapping[str, Any],
        features: Mapping[str, float],
        odds: Mapping[str, float] | None = None,
    ) -> dict[str, Any]:
        """The forecast of a resolved fixture's features (priced when ``odds`` are given:
        decimal home, draw and away prices), naming the model version."""
        [prediction] = self.forecasts([{"fixture": resolved, "features": features, "odds": odds}])
        return prediction

    def forecasts(self, entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """``forecast`` of each feature entry (``fixture``, ``features``, ``odds``), all at
        once (``Forecaster.forecast_rows``)."""
        rows = [
            FixtureRow(
                entry["features"],
                entry["fixture"]["home_team"],
                entry["fixture"]["away_team"],
                entry["fixture"]["competition"],
                entry["odds"],
            )
            for entry in entries
        ]
        model = {"name": registry.MODEL_NAME, "version": self.model_version}
        return [
            {"model": model, "forecast": _served(raw)}
            for raw in self.forecaster.forecast_rows(rows, DECIMALS)
        ]


def _served(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A forecaster's (rounded) forecast as served: its scores named."""
    forecast: dict[str, Any] = {key: raw[key] for key in FORECAST_KEYS}
    forecast["top_scores"] = [{"home": h, "away": a, "p": p} for h, a, p in raw["top_scores"]]
    forecast["score_grid"] = raw["score_grid"]
    return forecast


def has_priced_path(forecaster: Forecaster) -> bool:
    """Whether the forecaster reads prices when given them: an opening-odds model, or
    stacks on the market (the priced path's two generations of forecasters)."""
    return getattr(forecaster, "odds", None) is not None or bool(
        getattr(forecaster, "stacks", None)
    )


def data_version(conn: psycopg.Connection) -> str:
    """``<results>.<prices>``: a short digest of the validated finished matches (changes
    when any is added or edited), then one of the fixtures and their price snapshots."""
    return f"{results_version(conn)}.{prices_version(conn)}"


def _results_version(version: str) -> str:
    return version.partition(".")[0]


def _teams(conn: psycopg.Connection, state: FeatureState) -> Teams:
    by_spelling: dict[str, str] = {}
    for _source, alias, team in list_aliases(conn):
        by_spelling.setdefault(normalise(alias), team)
    for team in team_names(conn):
        by_spelling[normalise(team)] = team
    by_competition = {code: tuple(sorted(league.teams)) for code, league in state.leagues.items()}
    return Teams(by_spelling, by_competition)


def folded_digest(matches: pd.DataFrame) -> str:
    """A digest of match rows as the feature walk reads them (``load_matches`` order)."""
    columns = [c for c in MATCH_COLUMNS if c in matches.columns]
    hashed = pd.util.hash_pandas_object(matches[columns], index=False)
    return hashlib.sha1(hashed.to_numpy().tobytes()).hexdigest()[:16]


def build_state(
    conn: psycopg.Connection, forecaster: Forecaster, previous: ServingState | None = None
) -> tuple[FeatureState, Teams, str, dict[str, str], str]:
    """The features state after every validated match, with the model's feature settings;
    the data version, the date of the last result per competition, and the digest of the
    matches folded.

    When the store holds exactly ``previous``'s matches up to its last day and only
    gained later ones (a new matchday), ``previous``'s state is advanced by the later
    matches alone, in a copy: the walk is the same, so the state is too, and a worker
    serves a new matchday in a fraction of a full fold.
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
    through: dict[str, str] = {}
    if len(everything):
        last_days = everything.groupby("competition")["kickoff_date"].max()
        through = {str(code): day.date().isoformat() for code, day in last_days.items()}
    return state, _teams(conn, state), version, through, folded_digest(everything)


class StateKeeper:
    """Keeps a worker's serving state current and forecasts fixtures with it; safe to share
    between threads."""

    def __init__(
        self,
        settings: Settings,
        current: ServingState,
        *,
        champion: Callable[[Settings], str | None] = registry.champion_version,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.current = current
        self._champion = champion
        self._clock = clock
        self._checking = threading.Lock()
        self._model_checked = clock()
        self._data_checked = clock()
        self._pool: ConnectionPool | None = None
        self._pool_lock = threading.Lock()

    @classmethod
    def load(cls, settings: Settings) -> StateKeeper:
        """Load the champion and fold the store's matches (seconds for the whole history)."""
        return cls(settings, _load_state(settings))

    @property
    def model_version(self) -> str:
        return self.current.model_version

    @property
    def data_version(self) -> str:
        return self.current.data_version

    # -- forecasting ------------------------------------------------------------------

    def connection(self) -> Any:
        """A pooled store connection, in autocommit (the pool opens on first use)."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = open_pool(self.settings, min_size=0)
        return self._pool.connection()

    def resolve(
        self, fixture: Mapping[str, Any], current: ServingState | None = None
    ) -> dict[str, Any]:
        """The fixture with canonical team names and competition code (with its stored
        match's id when the store holds it); raises ``UnknownTeam``, ``UnknownCompetition``,
        ``CompetitionNotCovered`` or ``UnknownMatch``."""
        current = current or self.current
        if "match_id" in fixture:
            return _stored(current, int(fixture["match_id"]))
        resolved = current.resolve(fixture)
        match_id = current.stored.by_key.get(_fixture_key(resolved))
        if match_id is not None:
            resolved["match_id"] = match_id
        return resolved

    def entries(
        self, fixtures: Sequence[Mapping[str, Any]], current: ServingState | None = None
    ) -> list[dict[str, Any] | MlError | EtlError]:
        """The feature entry of each normalised fixture, or the error naming what is unknown.

        An entry is ``{"fixture", "features", "odds", "hash", "inputs", "warnings"}``:
        ``fixture`` is resolved (with ``match_id`` when the store holds the match), ``odds``
        the decimal prices the forecast reads (the request's, else the newest snapshot seen
        before kickoff, else None) and ``hash`` the digest of features and odds that keys
        the forecast. All from memory: the store is not read.
        """
        current = current or self.current
        entries: list[dict[str, Any] | MlError | EtlError] = []
        for fixture in fixtures:
            try:
                resolved = self.resolve(fixture, current)
            except FIXTURE_ERRORS as exc:
                entries.append(exc)
                continue
            priced: dict[str, Any] | None = None
            if "prices" in fixture:
                priced = {"source": "request", "odds": dict(fixture["prices"])}
            elif "match_id" in resolved:
                priced = current.stored.prices.get(resolved["match_id"])
            features = current.features(resolved)
            inputs, warnings = current.inputs(resolved, priced)
            odds: dict[str, float] | None = None if priced is None else priced["odds"]
            keyed = {**features, **{f"odds_{k}": v for k, v in (odds or {}).items()}}
            entries.append(
                {
                    "fixture": resolved,
                    "features": features,
                    "odds": odds,
                    "hash": digest(keyed),
                    "inputs": inputs,
                    "warnings": warnings,
                }
            )
        return entries

    def forecast(self, fixture: Mapping[str, Any]) -> dict[str, Any]:
        """Resolve, featurise and forecast a normalised fixture (no cache involved)."""
        current = self.current
        [entry] = self.entries([fixture], current)
        if isinstance(entry, Exception):
            raise entry
        prediction = current.forecast(entry["fixture"], entry["features"], entry["odds"])
        return served_answer(entry, prediction, current.data_version, cached=False)

    # -- staying current --------------------------------------------------------------

    def reload_if_changed(self, *, force: bool = False, data: bool = True) -> bool:
        """Swap in a new serving state if the champion or (with ``data``) the data changed; True
        if swapped.

        Checks are rate-limited; a thread that finds another one checking does not wait.
        ``force`` checks the champion (and, with ``data``, the store) now and waits for a
        check in progress. New data means folding the whole store again (seconds), so a
        thread handling a message (a promotion) passes ``data=False`` and leaves that to the
        background check.
        """
        now = self._clock()
        check_model = force or now - self._model_checked >= self.settings.model_check_interval_s
        check_data = data and (
            force or now - self._data_checked >= self.settings.data_check_interval_s
        )
        if not (check_model or check_data):
            return False
        if not self._checking.acquire(blocking=force):
            return False
        try:
            return self._check(check_model, check_data)
        finally:
            self._checking.release()

    def _check(self, check_model: bool, check_data: bool) -> bool:
        current = self.current
        model_changed = data_changed = False
        if check_model:
            self._model_checked = self._clock()
            version = self._champion(self.settings)
            model_changed = version is not None and version != current.model_version
        data = current.data_version
        if check_data:
            self._data_checked = self._clock()
            with self.connection() as conn:
                data = data_version(conn)
            data_changed = data != current.data_version
        if not (model_changed or data_changed):
            return False
        model = _load_model(self.settings)
        new_results = _results_version(data) != _results_version(current.data_version)
        if new_results or _feature_config(model.forecaster) != _feature_config(current.forecaster):
            self.current = _serving_state(self.settings, model, current)
        else:  # a new model on the same features, or new prices or fixtures: the state stays
            stored = current.stored
            if data_changed:  # the keys move, and the matches and prices are read again
                with self.connection() as conn:
                    stored = StoreIndex.read(conn)
            self.current = dataclasses.replace(
                current, model=model, data_version=data, loaded_at=time.time(), stored=stored
            )
        log.info(
            "serving state reloaded",
            model_version=self.current.model_version,
            previous_model_version=current.model_version,
            data_version=self.current.data_version,
        )
        return True


def _fixture_key(resolved: Mapping[str, Any]) -> FixtureKey:
    return (
        resolved["competition"],
        resolved["home_team"],
        resolved["away_team"],
        dt.date.fromisoformat(resolved["kickoff"]),
    )


def _stored(current: ServingState, match_id: int) -> dict[str, Any]:
    """The stored match ``match_id`` as a resolved fixture; ``UnknownMatch`` if none."""
    key = current.stored.by_id.get(match_id)
    if key is None:
        raise UnknownMatch(f"no match with id {match_id} in the store")
    code, home, away, day = key
    current.check_covered(code)
    return {
        "home_team": home,
        "away_team": away,
        "competition": code,
        "kickoff": day.isoformat(),
        "match_id": match_id,
    }


def _feature_config(forecaster: Forecaster) -> Any:
    return getattr(forecaster, "feature_config", None)


def _load_model(settings: Settings) -> ServedModel:
    version, forecaster = registry.load_model(settings, registry.CHAMPION)
    info = registry.model_info(settings, version)
    return ServedModel(version, forecaster, info.run_id or "", info.promoted_at, info.metrics)


def _load_state(settings: Settings) -> ServingState:
    return _serving_state(settings, _load_model(settings))


def _serving_state(
    settings: Settings, model: ServedModel, previous: ServingState | None = None
) -> ServingState:
    with connect(settings) as conn:
        state, teams, data, through, folded = build_state(conn, model.forecaster, previous)
        stored = StoreIndex.read(conn)
    log.info(
        "serving state loaded",
        model_version=model.version,
        data_version=data,
        teams=len(teams.by_spelling),
    )
    return ServingState(model, state, teams, data, time.time(), through, folded, stored)
