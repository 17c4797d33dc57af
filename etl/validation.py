"""Validation gates (Great Expectations 1.x): a batch is ``validated`` or ``quarantined``.

Three suites run on what a batch stored:

* ``raw_matches`` — required fields present, goals 0 to 15, half-time goals never above
  full-time ones, home ≠ away, kick-off inside its season (1 July to 31 August of the next
  year: the 2019-20 season ended in August 2020), unique natural key, known status;
* ``match_stats`` — non-negative, bounded counts and shots ≥ shots on target. Goals are
  deliberately not compared with shots: own goals count as goals but not as shots, and
  the real data has matches with more goals than shots on target (166 team-matches in the
  five leagues) and even than shots. Shots ≥ shots on target is broken by a handful of
  recording errors in the real files (5 team-matches in 39,714 matches), so it must hold
  for 99 % of a batch's rows;
* ``odds`` — 1X2 prices above 1.0, and a 1X2 book's overround (the sum of the inverse
  prices) between 0.95 and 1.35 for 99.5 % of the quotes. The market maxima (``Max``,
  ``BbMx``) are exempt: the best price of each outcome comes from different bookmakers, so
  their "overround" is often below 1 and is not a book's margin. Over/under 2.5 and Asian
  handicap quotes must have prices above 1.0 and a handicap line on the quarter-goal grid
  within ±6 for 99.5 % of them: the real files carry a few recording errors there (a
  handicap price of 0.9, a line of 9 or -1.2, an over price of 0) in seasons whose results
  and 1X2 prices are sound, and a stray side-market quote must not hold back the season.

Great Expectations takes seconds to import, so this module is only imported where a gate
runs (``etl.history`` and the ``validate_batch`` actor import it lazily).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

import great_expectations as gx
import pandas as pd
import psycopg
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from etl.errors import ValidationFailed
from etl.records import MATCH_STATUSES, PRICE_FIELDS, STAT_FIELDS
from etl.store.batches import get_batch, set_status

MAX_GOALS = 15
#: Kick-offs may fall from 1 July of the start year to 31 August of the next (days).
SEASON_SPAN_DAYS = 427
#: Largest Asian handicap line (goals) a real quote gives either side.
MAX_LINE = 6.0
MIN_OVERROUND = 0.95
MAX_OVERROUND = 1.35
#: Market maxima combine bookmakers, so they have no overround of their own.
MARKET_MAXIMA = ("Max", "BbMx")
#: Upper bounds of plausible per-team match counts.
STAT_BOUNDS = {
    "shots": 60,
    "shots_on_target": 40,
    "corners": 30,
    "fouls": 50,
    "yellow": 12,
    "red": 5,
}
#: Unexpected values kept per failed expectation in a stored report.
REPORT_SAMPLE = 10

_lock = threading.Lock()
_gates: dict[str, Any] = {}


@dataclass(frozen=True)
class GateReport:
    success: bool
    suites: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def failures(self) -> list[str]:
        """One line per failed expectation: suite, expectation, column(s), unexpected count."""
        lines = []
        for suite, result in self.suites.items():
            for check in result.get("checks", []):
                if not check["success"]:
                    lines.append(
                        f"{suite}: {check['expectation']} {check['target']}"
                        f" ({check['unexpected_count']} unexpected,"
                        f" e.g. {check['unexpected_sample'][:3]})"
                    )
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {"success": self.success, "suites": self.suites}


def _suites() -> dict[str, list[Any]]:
    E = gx.expectations
    matches: list[Any] = [
        *(
            E.ExpectColumnValuesToNotBeNull(column=name)
            for name in (
                "match_id",
                "competition",
                "season",
                "home_team_id",
                "away_team_id",
                "kickoff_date",
                "status",
            )
        ),
        *(
            E.ExpectColumnValuesToBeBetween(column=name, min_value=0, max_value=MAX_GOALS)
            for name in ("home_goals", "away_goals", "ht_home_goals", "ht_away_goals")
        ),
        *(
            E.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=f"{side}_goals",
                column_B=f"ht_{side}_goals",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
            for side in ("home", "away")
        ),
        E.ExpectColumnValuesToBeInSet(column="same_teams", value_set=[False]),
        E.ExpectColumnValuesToBeInSet(column="finished_without_score", value_set=[False]),
        E.ExpectColumnValuesToBeBetween(
            column="season_day", min_value=0, max_value=SEASON_SPAN_DAYS
        ),
        E.ExpectCompoundColumnsToBeUnique(
            column_list=["competition", "season", "home_team_id", "away_team_id", "kickoff_date"]
        ),
        E.ExpectColumnValuesToBeInSet(column="status", value_set=list(MATCH_STATUSES)),
    ]
    stats: list[Any] = [
        E.ExpectColumnValuesToBeBetween(
            column=name, min_value=0, max_value=STAT_BOUNDS[name.split("_", 1)[1]]
        )
        for name in STAT_FIELDS
    ]
    stats += [
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=f"{side}_shots",
            column_B=f"{side}_shots_on_target",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            mostly=0.99,
        )
        for side in ("home", "away")
    ]
    odds: list[Any] = [
        E.ExpectColumnValuesToBeBetween(column=name, min_value=1.0, strict_min=True)
        for name in ("home", "draw", "away")
    ]
    odds += [
        E.ExpectColumnValuesToBeBetween(
            column="side_market_price", min_value=1.0, strict_min=True, mostly=0.995
        ),
        E.ExpectColumnValuesToBeBetween(
            column="line", min_value=-MAX_LINE, max_value=MAX_LINE, mostly=0.995
        ),
        E.ExpectColumnValuesToBeInSet(column="line_in_quarters", value_set=[True], mostly=0.995),
    ]
    odds.append(
        E.ExpectColumnValuesToBeBetween(
            column="book_overround",
            min_value=MIN_OVERROUND,
            max_value=MAX_OVERROUND,
            mostly=0.995,
        )
    )
    return {"raw_matches": matches, "match_stats": stats, "odds": odds}


def ephemeral_context() -> Any:
    """A Great Expectations context held in memory: no files, no analytics, no progress bars."""
    return gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            analytics_enabled=False,
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            progress_bars=ProgressBarsConfig(globally=False),
        ),
    )


def _validation_definitions() -> dict[str, Any]:
    """One ephemeral context per process with a validation definition per suite."""
    if _gates:
        return _gates
    context = ephemeral_context()
    source = context.data_sources.add_pandas("footcast")
    for name, expectations in _suites().items():
        suite = context.suites.add(gx.ExpectationSuite(name=name))
        for expectation in expectations:
            suite.add_expectation(expectation)
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
        _gates[name] = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
    return _gates


def prepare_frames(
    matches: pd.DataFrame, stats: pd.DataFrame, odds: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """Add the derived columns the suites check (same teams, season day, overround, lines)."""
    matches = matches.assign(
        same_teams=matches["home_team_id"] == matches["away_team_id"],
        finished_without_score=(matches["status"] == "finished")
        & (matches["home_goals"].isna() | matches["away_goals"].isna()),
        season_day=(
            pd.to_datetime(matches["kickoff_date"])
            - pd.to_datetime(matches["start_year"].astype(str) + "-07-01")
        ).dt.days,
    )
    # The training snapshot's odds are 1X2 only: no market, over/under or line columns.
    missing = [name for name in ("market", "over", "under", "line") if name not in odds]
    odds = odds.reindex(columns=[*odds.columns, *missing])
    odds["market"] = odds["market"].fillna("1x2")
    one_x_two = odds["market"] == "1x2"
    books = odds[~odds["bookmaker"].isin(MARKET_MAXIMA) & one_x_two]
    odds = odds.assign(
        # home/draw/away are checked as 1X2 prices; the handicap's share the side markets' check
        side_market_price=odds[["home", "away", "over", "under"]].min(axis=1).where(~one_x_two),
        home=odds["home"].where(one_x_two),
        draw=odds["draw"].where(one_x_two),
        away=odds["away"].where(one_x_two),
        book_overround=(1 / books["home"] + 1 / books["draw"] + 1 / books["away"]).reindex(
            odds.index
        ),
        line_in_quarters=((odds["line"] * 4).round() == odds["line"] * 4) | odds["line"].isna(),
    )
    return {"raw_matches": matches, "match_stats": stats, "odds": odds}


def validate_frames(matches: pd.DataFrame, stats: pd.DataFrame, odds: pd.DataFrame) -> GateReport:
    """Run every suite on one batch's rows; empty frames (no stats, no odds) pass."""
    return _run_suites(prepare_frames(matches, stats, odds))


def _run_suites(frames: dict[str, pd.DataFrame]) -> GateReport:
    suites: dict[str, dict[str, Any]] = {}
    with _lock:
        gates = _validation_definitions()
        for name, frame in frames.items():
            if frame.empty:
                suites[name] = {"success": True, "rows": 0, "checks": []}
                continue
            result = gates[name].run(batch_parameters={"dataframe": frame})
            suites[name] = suite_report(result, len(frame))
    return GateReport(all(s["success"] for s in suites.values()), suites)


def suite_report(result: Any, rows: int) -> dict[str, Any]:
    """A suite's validation result as the JSON kept on a batch or written by a stage."""
    return {
        "success": bool(result.success),
        "rows": rows,
        "checks": [_check(r) for r in result.results],
    }


def _check(result: Any) -> dict[str, Any]:
    config = result.expectation_config
    kwargs = config.kwargs
    target = (
        kwargs.get("column")
        or kwargs.get("column_list")
        or [
            kwargs.get("column_A"),
            kwargs.get("column_B"),
        ]
    )
    details = result.result or {}
    return {
        "expectation": config.type,
        "target": target,
        "success": bool(result.success),
        "unexpected_count": int(details.get("unexpected_count") or 0),
        "unexpected_sample": [
            _plain(v) for v in (details.get("partial_unexpected_list") or [])[:REPORT_SAMPLE]
        ],
    }


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar (numpy integers and floats become Python ones; infinite or NaN
    ones, e.g. the overround of a zero price, text: PostgreSQL's JSON has no ``Infinity``)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value if isinstance(value, int | float | str | bool | None) else str(value)


def batch_frames(
    conn: psycopg.Connection, batch_ids: list[int]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The rows some batches stored, each with its ``batch_id``: matches, their stats from
    the batch's own source, their odds and the price snapshots the batch added (fixtures)."""
    matches = pd.DataFrame(
        conn.execute(
            "SELECT m.batch_id, m.id, c.code, s.code, s.start_year, m.home_team_id,"
            " m.away_team_id, m.kickoff_date, m.status, m.home_goals, m.away_goals,"
            " m.ht_home_goals, m.ht_away_goals FROM matches m"
            " JOIN competitions c ON c.id = m.competition_id"
            " JOIN seasons s ON s.id = m.season_id WHERE m.batch_id = ANY(%s)",
            (batch_ids,),
        ).fetchall(),
        columns=[
            "batch_id", "match_id", "competition", "season", "start_year", "home_team_id",
            "away_team_id", "kickoff_date", "status", "home_goals", "away_goals",
            "ht_home_goals", "ht_away_goals",
        ],
    )  # fmt: skip
    for name in ("home_goals", "away_goals", "ht_home_goals", "ht_away_goals"):
        matches[name] = matches[name].astype("Int64")
    stats = pd.DataFrame(
        conn.execute(
            "SELECT m.batch_id, " + ", ".join(f"x.{n}" for n in STAT_FIELDS) + " FROM match_stats x"
            " JOIN matches m ON m.id = x.match_id JOIN ingest_batches b ON b.id = m.batch_id"
            " WHERE m.batch_id = ANY(%s) AND x.source = b.source",
            (batch_ids,),
        ).fetchall(),
        columns=["batch_id", *STAT_FIELDS],
    )
    stats[list(STAT_FIELDS)] = stats[list(STAT_FIELDS)].astype("Int64")
    odds = pd.DataFrame(
        conn.execute(
            "SELECT m.batch_id, o.bookmaker, o.market, o.kind, "
            + ", ".join(f"o.{name}" for name in PRICE_FIELDS)
            + " FROM odds o JOIN matches m ON m.id = o.match_id WHERE m.batch_id = ANY(%(ids)s)"
            " UNION ALL SELECT p.batch_id, p.bookmaker, p.market, 'opening', "
            + ", ".join(f"p.{name}" for name in PRICE_FIELDS)
            + " FROM price_snapshots p WHERE p.batch_id = ANY(%(ids)s)",
            {"ids": batch_ids},
        ).fetchall(),
        columns=["batch_id", "bookmaker", "market", "kind", *PRICE_FIELDS],
    )
    for name in PRICE_FIELDS:
        odds[name] = odds[name].astype("float64")
    return matches, stats, odds


def _flagged_batches(frames: dict[str, pd.DataFrame]) -> set[int] | None:
    """Batches owning a row any check finds unexpected, from one run over all of them.

    Every check looks at single rows (the unique key includes the batch's season), so a
    batch none of whose rows is unexpected passes on its own too; None if the joint run
    could not say (a check raised).
    """
    flagged: set[int] = set()
    gates = _validation_definitions()
    for name, frame in frames.items():
        if frame.empty:
            continue
        result = gates[name].run(
            batch_parameters={"dataframe": frame}, result_format={"result_format": "COMPLETE"}
        )
        for check in result.results:
            if check.exception_info.get("raised_exception"):
                return None
            index = (check.result or {}).get("unexpected_index_list") or []
            flagged.update(int(b) for b in frame.loc[index, "batch_id"].unique())
    return flagged


def validate_batches(conn: psycopg.Connection, batch_ids: list[int]) -> dict[int, GateReport]:
    """Gate stored batches: ``validated`` if every suite passes, else ``quarantined``.

    Great Expectations costs about 10 ms per expectation and run whatever the row count,
    so all batches are checked in one run first and only the batches owning an unexpected
    row are run again on their own (where ``mostly`` thresholds apply per batch). Each
    batch's report is stored on it. A batch holding no rows is quarantined: an import that
    stored nothing has nothing to vouch for.
    """
    with conn.transaction():
        batches = {}
        for batch_id in batch_ids:
            batch = get_batch(conn, batch_id)
            if batch is None:
                raise ValidationFailed(f"no batch {batch_id}")
            batches[batch_id] = batch
        matches, stats, odds = batch_frames(conn, list(batches))
    frames = prepare_frames(matches, stats, odds)
    reports: dict[int, GateReport] = {}
    with _lock:
        flagged = _flagged_batches(frames)
    for batch_id in batches:
        own = {name: frame[frame["batch_id"] == batch_id] for name, frame in frames.items()}
        if own["raw_matches"].empty:
            reports[batch_id] = GateReport(
                False, {"raw_matches": {"success": False, "rows": 0, "checks": []}}
            )
        elif flagged is not None and batch_id not in flagged:
            reports[batch_id] = GateReport(
                True,
                {
                    name: {"success": True, "rows": len(frame), "unexpected": 0}
                    for name, frame in own.items()
                },
            )
        else:
            reports[batch_id] = _run_suites(own)
    with conn.transaction():
        for batch_id, report in reports.items():
            reason = "; ".join(report.failures) or (
                None if report.success else "the batch stored no matches"
            )
            set_status(
                conn,
                batch_id,
                "validated" if report.success else "quarantined",
                reason=reason,
                report=report.as_dict(),
            )
    return reports


def validate_batch(conn: psycopg.Connection, batch_id: int) -> GateReport:
    """Gate one stored batch (see :func:`validate_batches`)."""
    return validate_batches(conn, [batch_id])[batch_id]
