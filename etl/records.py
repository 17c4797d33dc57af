"""Source-neutral records a parser produces and the store writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

#: ``match_stats`` count columns, in store order.
STAT_FIELDS = (
    "home_shots", "away_shots",
    "home_shots_on_target", "away_shots_on_target",
    "home_corners", "away_corners",
    "home_fouls", "away_fouls",
    "home_yellow", "away_yellow",
    "home_red", "away_red",
)  # fmt: skip
#: Values ``matches.status`` may hold.
MATCH_STATUSES = ("scheduled", "finished", "postponed", "cancelled")


#: Markets ``odds`` and ``price_snapshots`` hold: 1X2, over/under 2.5 goals, Asian handicap.
MARKETS = ("1x2", "ou2.5", "ah")
#: Price columns of ``odds`` and ``price_snapshots``, named as :class:`OddsQuote` fields.
PRICE_FIELDS = ("home", "draw", "away", "over", "under", "line")


@dataclass(frozen=True)
class OddsQuote:
    """One bookmaker's decimal prices of one market.

    A 1X2 quote has home, draw and away; an over/under 2.5 quote over and under; an Asian
    handicap quote the home side's ``line`` with the home and away prices.
    """

    bookmaker: str  #: football-data's column prefix: B365, PS, Avg, Max, BbAv, ...
    kind: str  #: opening | closing
    home: float | None = None
    draw: float | None = None
    away: float | None = None
    market: str = "1x2"  #: one of :data:`MARKETS`
    over: float | None = None
    under: float | None = None
    line: float | None = None


@dataclass(frozen=True)
class MatchRow:
    """One match as a source reports it; team names are still the source's spelling."""

    kickoff_date: date
    kickoff_at: datetime | None
    home: str
    away: str
    status: str  #: one of :data:`MATCH_STATUSES`
    home_goals: int | None
    away_goals: int | None
    ht_home_goals: int | None = None
    ht_away_goals: int | None = None
    referee: str | None = None
    attendance: int | None = None
    #: Values in :data:`STAT_FIELDS` order; None when the source gives no stats for the match.
    stats: tuple[int | None, ...] | None = None
    extra: dict[str, int] | None = None
    odds: tuple[OddsQuote, ...] = ()


@dataclass(frozen=True)
class FixtureRow:
    """A match still to be played, as a fixtures list gives it, with the season it is in."""

    league: str  #: competition code: E0, SP1, ...
    season: str  #: season code the kick-off date falls in: 2324
    match: MatchRow
