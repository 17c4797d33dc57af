"""Pre-kickoff features from one state machine that walks finished matches in kickoff order.

``FeatureState`` holds what is known about every team at a point in time; a fixture's
features are read from it (``fixture_features``) and a finished match is folded in
(``update``). History (``build_features``) and serving use exactly these two methods, so
training and serving cannot drift apart, and a match's features can only depend on matches
of earlier days.

Ratings live on each league's own scale (teams only meet within their league): a team new
to a league, or back after a season away, starts from a low quantile of the league's
current ratings, as promoted teams usually do.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.seasons import season_of_day
from ml.params import known_fields, section

FORM_STATS = (
    "goals_for",
    "goals_against",
    "shots_for",
    "shots_against",
    "sot_for",
    "sot_against",
    "points",
)
#: Form scopes: every match, then only matches at the venue of the fixture.
_ALL, _HOME, _AWAY = 0, 1, 2
#: Goals beyond this are ignored when Poisson outcome probabilities are derived.
_MAX_GOALS = 10
_GOALS = np.arange(_MAX_GOALS + 1)
#: Points per match of an even contest, given when two teams have never met.
_NEUTRAL_POINTS = 1.37
_LOG_FACTORIAL = np.array([math.lgamma(k + 1.0) for k in _GOALS])


@dataclass(frozen=True)
class FeatureConfig:
    """Rating and smoothing parameters (``params.yaml`` section ``features``)."""

    elo_k: float = 20.0
    elo_home_advantage: float = 60.0
    elo_season_regression: float = 0.2  #: share of the gap to the mean removed each season
    newcomer_quantile: float = 0.2  #: where a promoted team starts among its league's ratings
    newcomer_absent_days: int = 250  #: a team unseen this long restarts as a newcomer
    active_days: int = 400  #: teams seen within this window define the league's ratings
    pi_learning_rate: float = 0.035
    pi_cross_venue: float = 0.7
    pi_season_regression: float = 0.2
    poisson_learning_rate: float = 0.03
    poisson_season_regression: float = 0.3
    form_alpha: float = 0.1  #: weight of the newest match in exponentially weighted form
    form_prior_matches: float = 2.0  #: league-average pseudo-matches shrinking early form
    h2h_alpha: float = 0.3
    h2h_cap: int = 10
    league_alpha: float = 0.005
    rest_days_cap: float = 21.0

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> FeatureConfig:
        return cls(**known_fields(cls, section(dict(params), "features"), "features"))


def _feature_names() -> tuple[str, ...]:
    names = [
        "elo_home",
        "elo_away",
        "elo_diff",
        "elo_expected",
        "pi_home",
        "pi_away",
        "pi_goal_diff",
        "pois_xg_home",
        "pois_xg_away",
        "pois_p_home",
        "pois_p_draw",
        "pois_p_away",
    ]
    for side in ("home", "away"):
        names += [f"{side}_{s}" for s in FORM_STATS]
        names += [f"{side}_venue_{s}" for s in FORM_STATS]
    names += [
        "home_rest_days",
        "away_rest_days",
        "h2h_matches",
        "h2h_goal_diff",
        "h2h_points",
        "league_home_goals",
        "league_away_goals",
        "league_draw_rate",
    ]
    return tuple(names)


FEATURE_NAMES = _feature_names()


def day_number(value: Any) -> int:
    """Days since 0001-01-01 of a date-like (date, datetime, Timestamp, datetime64, ISO str)."""
    if isinstance(value, dt.datetime):
        return value.date().toordinal()
    if isinstance(value, dt.date):
        return value.toordinal()
    return pd.Timestamp(value).date().toordinal()


def day_numbers(values: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """``day_number`` of many dates at once."""
    epoch = dt.date(1970, 1, 1).toordinal()
    days = pd.to_datetime(pd.Series(values)).to_numpy().astype("datetime64[D]").astype(np.int64)
    return np.asarray(days + epoch)


def season_of(kickoff: Any) -> str:
    """The season code ('2324') a kickoff most likely belongs to (seasons turn in July)."""
    return season_of_day(dt.date.fromordinal(day_number(kickoff)))


def _float(value: Any) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return math.nan
    return result


class _Team:
    __slots__ = (
        "att",
        "competition",
        "dfn",
        "elo",
        "form_sum",
        "form_weight",
        "last_day",
        "pi_away",
        "pi_home",
        "season",
    )

    def __init__(self, competition: str, season: str, last_day: int) -> None:
        self.competition = competition
        self.season = season
        self.last_day = last_day
        self.elo = 0.0
        self.pi_home = 0.0
        self.pi_away = 0.0
        self.att = 0.0
        self.dfn = 0.0
        self.form_sum = np.zeros((3, len(FORM_STATS)))
        self.form_weight = np.zeros((3, len(FORM_STATS)))


class _League:
    __slots__ = ("away_goals", "draw_rate", "home_goals", "stat_mean", "stat_weight", "teams")

    def __init__(self) -> None:
        self.home_goals = 1.5
        self.away_goals = 1.15
        self.draw_rate = 0.26
        self.stat_mean = np.array([1.33, 1.33, 12.5, 12.5, 4.5, 4.5, 1.37])
        self.stat_weight = np.zeros(len(FORM_STATS))
        self.teams: set[str] = set()


@dataclass
class _Ratings:
    """A team's ratings as they stand for a given fixture (season regression applied)."""

    elo: float
    pi_home: float
    pi_away: float
    att: float
    dfn: float


class FeatureState:
    """Everything known about teams and leagues after the matches folded in so far.

    Picklable; a serving process keeps one in memory and calls ``update`` as results arrive.
    """

    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig()
        self.teams: dict[str, _Team] = {}
        self.leagues: dict[str, _League] = {}
        self.h2h: dict[tuple[str, str], list[float]] = {}
        self.matches_seen = 0
        self.last_day = 0

    # -- reading -------------------------------------------------------------------------

    def _league(self, competition: str) -> _League:
        league = self.leagues.get(competition)
        return league if league is not None else _League()

    def _is_newcomer(self, team: _Team | None, day: int) -> bool:
        return team is None or day - team.last_day > self.config.newcomer_absent_days

    def _newcomer_ratings(self, competition: str, day: int, exclude: str) -> _Ratings:
        cfg = self.config
        rivals = [
            t
            for name in self._league(competition).teams
            if name != exclude
            and (t := self.teams[name]) is not None
            and day - t.last_day <= cfg.active_days
        ]
        if len(rivals) < 4:
            return _Ratings(0.0, 0.0, 0.0, 0.0, 0.0)
        q = cfg.newcomer_quantile

        def low(values: list[float]) -> float:
            return float(np.quantile(values, q))

        def high(values: list[float]) -> float:
            return float(np.quantile(values, 1.0 - q))

        return _Ratings(
            elo=low([t.elo for t in rivals]),
            pi_home=low([t.pi_home for t in rivals]),
            pi_away=low([t.pi_away for t in rivals]),
            att=low([t.att for t in rivals]),
            dfn=high([t.dfn for t in rivals]),
        )

    def _ratings(self, name: str, competition: str, season: str, day: int) -> _Ratings:
        team = self.teams.get(name)
        if team is None or self._is_newcomer(team, day):
            return self._newcomer_ratings(competition, day, name)
        ratings = _Ratings(team.elo, team.pi_home, team.pi_away, team.att, team.dfn)
        if team.season != season:
            cfg = self.config
            ratings.elo *= 1.0 - cfg.elo_season_regression
            ratings.pi_home *= 1.0 - cfg.pi_season_regression
            ratings.pi_away *= 1.0 - cfg.pi_season_regression
            ratings.att *= 1.0 - cfg.poisson_season_regression
            ratings.dfn *= 1.0 - cfg.poisson_season_regression
        return ratings

    def _form(self, name: str, day: int, league: _League, venue: int) -> tuple[np.ndarray, ...]:
        team = self.teams.get(name)
        prior_w = self.config.form_prior_matches * self.config.form_alpha
        prior = league.stat_mean * prior_w
        if team is None or self._is_newcomer(team, day):
            return league.stat_mean, league.stat_mean
        scopes = (team.form_sum + prior) / (team.form_weight + prior_w)
        return scopes[_ALL], scopes[venue]

    def fixture_features(
        self,
        home_team: str,
        away_team: str,
        competition: str,
        kickoff: Any,
        season: str | None = None,
    ) -> dict[str, float]:
        """Features of a fixture from the state before it (results of earlier days only).

        ``season`` is the fixture's season code; when omitted it is inferred from the date.
        """
        cfg = self.config
        day = day_number(kickoff)
        season = season or season_of(kickoff)
        league = self._league(competition)
        home = self._ratings(home_team, competition, season, day)
        away = self._ratings(away_team, competition, season, day)

        elo_diff = home.elo - away.elo + cfg.elo_home_advantage
        pi_goal_diff = _pi_goals(home.pi_home) - _pi_goals(away.pi_away)
        xg_home = league.home_goals * math.exp(home.att + away.dfn)
        xg_away = league.away_goals * math.exp(away.att + home.dfn)
        p_home, p_draw, p_away = _poisson_outcomes(xg_home, xg_away)

        values = [
            home.elo,
            away.elo,
            elo_diff,
            1.0 / (1.0 + 10.0 ** (-elo_diff / 400.0)),
            home.pi_home,
            away.pi_away,
            pi_goal_diff,
            xg_home,
            xg_away,
            p_home,
            p_draw,
            p_away,
        ]
        for name, venue in ((home_team, _HOME), (away_team, _AWAY)):
            overall, at_venue = self._form(name, day, league, venue)
            values += overall.tolist()
            values += at_venue.tolist()
        values += [self._rest_days(home_team, day), self._rest_days(away_team, day)]
        values += self._h2h_features(home_team, away_team)
        values += [league.home_goals, league.away_goals, league.draw_rate]
        return dict(zip(FEATURE_NAMES, values, strict=True))

    def _rest_days(self, name: str, day: int) -> float:
        team = self.teams.get(name)
        cap = self.config.rest_days_cap
        return cap if team is None else float(min(max(day - team.last_day, 0), cap))

    def _h2h_features(self, home_team: str, away_team: str) -> list[float]:
        key, sign = _pair(home_team, away_team)
        record = self.h2h.get(key)
        if record is None:
            return [0.0, 0.0, _NEUTRAL_POINTS]
        count, goal_diff, first_points, second_points = record
        return [count, sign * goal_diff, first_points if sign > 0 else second_points]

    # -- writing -------------------------------------------------------------------------

    def update(self, match: Mapping[str, Any]) -> None:
        """Fold a finished match in (keys of an ``etl.store.load_matches`` row)."""
        cfg = self.config
        day = day_number(match["kickoff_date"])
        competition = str(match["competition"])
        season = str(match["season"])
        home_name, away_name = str(match["home_team"]), str(match["away_team"])
        hg, ag = int(match["home_goals"]), int(match["away_goals"])
        league = self.leagues.setdefault(competition, _League())
        home_r = self._ratings(home_name, competition, season, day)
        away_r = self._ratings(away_name, competition, season, day)
        home = self._team(home_name, competition, day, league)
        away = self._team(away_name, competition, day, league)

        # Elo, with a goal-difference multiplier (World Football Elo)
        gd = hg - ag
        elo_diff = home_r.elo - away_r.elo + cfg.elo_home_advantage
        expected = 1.0 / (1.0 + 10.0 ** (-elo_diff / 400.0))
        actual = 1.0 if gd > 0 else 0.5 if gd == 0 else 0.0
        margin = abs(gd)
        multiplier = 1.0 if margin <= 1 else 1.5 if margin == 2 else (11.0 + margin) / 8.0
        delta = cfg.elo_k * multiplier * (actual - expected)
        home.elo = home_r.elo + delta
        away.elo = away_r.elo - delta

        # pi-ratings (Constantinou and Fenton, 2013)
        predicted = _pi_goals(home_r.pi_home) - _pi_goals(away_r.pi_away)
        error = abs(gd - predicted)
        psi = 3.0 * math.log10(1.0 + error) * cfg.pi_learning_rate
        psi_home = psi if gd > predicted else -psi
        home.pi_home = home_r.pi_home + psi_home
        home.pi_away = home_r.pi_away + psi_home * cfg.pi_cross_venue
        away.pi_away = away_r.pi_away - psi_home
        away.pi_home = away_r.pi_home - psi_home * cfg.pi_cross_venue

        # online Poisson attack/defence: a gradient step on the match's log-likelihood
        lam = league.home_goals * math.exp(home_r.att + away_r.dfn)
        mu = league.away_goals * math.exp(away_r.att + home_r.dfn)
        lr = cfg.poisson_learning_rate
        home.att = _clip(home_r.att + lr * (hg - lam))
        away.dfn = _clip(away_r.dfn + lr * (hg - lam))
        away.att = _clip(away_r.att + lr * (ag - mu))
        home.dfn = _clip(home_r.dfn + lr * (ag - mu))

        hs, as_ = _float(match.get("home_shots")), _float(match.get("away_shots"))
        hst, ast = (
            _float(match.get("home_shots_on_target")),
            _float(match.get("away_shots_on_target")),
        )
        home_pts, away_pts = (3.0, 0.0) if gd > 0 else (1.0, 1.0) if gd == 0 else (0.0, 3.0)
        home_stats = np.array([hg, ag, hs, as_, hst, ast, home_pts], dtype=float)
        away_stats = np.array([ag, hg, as_, hs, ast, hst, away_pts], dtype=float)
        self._fold_form(home, home_stats, _HOME)
        self._fold_form(away, away_stats, _AWAY)

        a = cfg.league_alpha
        league.home_goals += a * (hg - league.home_goals)
        league.away_goals += a * (ag - league.away_goals)
        league.draw_rate += a * ((gd == 0) - league.draw_rate)
        for stats in (home_stats, away_stats):
            seen = ~np.isnan(stats)
            step = league.stat_mean + a * (np.where(seen, stats, 0.0) - league.stat_mean)
            league.stat_mean = np.where(seen, step, league.stat_mean)
            league.stat_weight += seen

        self._fold_h2h(home_name, away_name, gd, home_pts, away_pts)
        for team in (home, away):
            team.season = season
            team.competition = competition
            team.last_day = day
        self.matches_seen += 1
        self.last_day = max(self.last_day, day)

    def _team(self, name: str, competition: str, day: int, league: _League) -> _Team:
        team = self.teams.get(name)
        if team is None or self._is_newcomer(team, day):
            team = _Team(competition, "", day)
            self.teams[name] = team
        league.teams.add(name)
        return team

    def _fold_form(self, team: _Team, stats: np.ndarray, venue: int) -> None:
        a = self.config.form_alpha
        seen = ~np.isnan(stats)
        value = np.where(seen, stats, 0.0)
        scopes = [_ALL, venue]
        team.form_sum[scopes] = np.where(
            seen, (1.0 - a) * team.form_sum[scopes] + a * value, team.form_sum[scopes]
        )
        team.form_weight[scopes] = np.where(
            seen, (1.0 - a) * team.form_weight[scopes] + a, team.form_weight[scopes]
        )

    def _fold_h2h(
        self, home_name: str, away_name: str, gd: int, home_pts: float, away_pts: float
    ) -> None:
        """Meetings of a pair, from the view of its alphabetically first team."""
        key, sign = _pair(home_name, away_name)
        first, second = (home_pts, away_pts) if sign > 0 else (away_pts, home_pts)
        a = self.config.h2h_alpha
        record = self.h2h.get(key)
        if record is None:
            self.h2h[key] = [1.0, sign * gd, first, second]
            return
        record[0] = min(record[0] + 1.0, float(self.config.h2h_cap))
        record[1] += a * (sign * gd - record[1])
        record[2] += a * (first - record[2])
        record[3] += a * (second - record[3])


def _pair(home_team: str, away_team: str) -> tuple[tuple[str, str], float]:
    return (
        ((home_team, away_team), 1.0) if home_team < away_team else ((away_team, home_team), -1.0)
    )


def _pi_goals(rating: float) -> float:
    """Goal difference a pi-rating expects against an average side."""
    value = 10.0 ** (abs(rating) / 3.0) - 1.0
    return value if rating >= 0 else -value


def _clip(value: float, bound: float = 2.0) -> float:
    return max(-bound, min(bound, value))


def _poisson_outcomes(lam: float, mu: float) -> tuple[float, float, float]:
    """Home/draw/away probabilities of independent Poisson goals (truncated at 10)."""
    ph = np.exp(_GOALS * math.log(lam) - lam - _LOG_FACTORIAL)
    pa = np.exp(_GOALS * math.log(mu) - mu - _LOG_FACTORIAL)
    total = float(ph.sum() * pa.sum())
    draw = float(ph @ pa) / total
    home = float(ph[1:] @ np.cumsum(pa)[:-1]) / total
    return home, draw, 1.0 - home - draw


MATCH_COLUMNS = (
    "match_id",
    "competition",
    "season",
    "kickoff_date",
    "home_team",
    "away_team",
    "home_goals",
    "away_goals",
    "home_shots",
    "away_shots",
    "home_shots_on_target",
    "away_shots_on_target",
)
_NUMERIC_COLUMNS = frozenset(MATCH_COLUMNS[6:])


def build_features(
    matches: pd.DataFrame, config: FeatureConfig | None = None, state: FeatureState | None = None
) -> pd.DataFrame:
    """Features of every match, each from the state before its kickoff day.

    Walks the matches day by day: all matches of a day read the state first, then all are
    folded in, so no result of the same day can leak into another match's features. Returns
    one row per input row (same index) with ``match_id`` and ``FEATURE_NAMES``. Pass
    ``state`` to continue from (and advance) an existing state.
    """
    state = state if state is not None else FeatureState(config)
    present = [c for c in MATCH_COLUMNS if c in matches.columns]
    frame = matches[present].copy()
    # nullable integer columns (the store's stats) become floats with NaN: cheap to read
    for column in present:
        if column in _NUMERIC_COLUMNS:
            frame[column] = frame[column].astype("float64")
    frame["_day"] = day_numbers(frame["kickoff_date"])
    order = np.lexsort((frame["match_id"].to_numpy(), frame["_day"].to_numpy()))
    records = frame.iloc[order].to_dict("records")
    rows: list[list[float]] = [[]] * len(records)
    start = 0
    while start < len(records):
        end = start
        while end < len(records) and records[end]["_day"] == records[start]["_day"]:
            end += 1
        for i in range(start, end):
            r = records[i]
            f = state.fixture_features(
                r["home_team"], r["away_team"], r["competition"], r["kickoff_date"], r["season"]
            )
            rows[i] = list(f.values())
        for i in range(start, end):
            state.update(records[i])
        start = end
    values = np.empty((len(records), len(FEATURE_NAMES)))
    if records:
        values[order] = np.asarray(rows, dtype=float)
    out = pd.DataFrame(values, columns=list(FEATURE_NAMES), index=matches.index)
    out.insert(0, "match_id", matches["match_id"].to_numpy())
    return out
