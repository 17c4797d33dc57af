"""``footcast replay``: a past season lived again through a running footcast, matchday by
matchday, and what it served scored against the market and the offline evaluation.

The replay starts its own API and worker on a scratch footcast (``cli.scratch``), imports
the league's earlier seasons, then for each matchday: imports the fixtures file as the
site would have published it the day before (``etl.matchdays``), asks the API for every
fixture (sync, then the whole matchday as one batch), and imports the matchday's results
through the season importer, waiting until the worker serves them. A fixture's answer can
therefore use only results and prices dated before its kickoff.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import numpy as np
import psycopg

from cli.context import pass_settings
from cli.scratch import Scratch, running_stack, scratch
from core.db import connect
from core.redis import results_client
from core.serving_record import read_serving, serving_key
from core.settings import Settings
from etl.competitions import season_start_year
from etl.errors import EtlError, MissingSource
from etl.fixtures import import_fixtures
from etl.history import available_seasons, import_file, import_history
from etl.matchdays import Matchday, SeasonFile
from etl.migrate import migrate
from etl.sources import football_data
from ml.errors import MlError

#: Seconds a worker may take to serve a matchday's new results.
SERVED_TIMEOUT_S = 180
#: Hour (UTC) of the eve of a matchday at which its fixtures file counts as read.
EVE_HOUR = 12
#: Scores compared in the report, in order.
SCORES = ("rps", "log_loss", "brier")


@dataclass(frozen=True)
class Answer:
    """One served forecast: the fixture as the API resolved it and its 1X2 probabilities."""

    home_team: str
    away_team: str
    kickoff: str
    probs: tuple[float, float, float]
    priced: bool | None  #: the answer used prices (None: the answer does not say)

    @classmethod
    def of(cls, body: dict[str, Any]) -> Answer:
        """The answer a ``POST /v1/predict`` body (or a batch item) gives."""
        fixture, forecast = body["fixture"], body["forecast"]
        inputs = body.get("inputs")
        return cls(
            fixture["home_team"],
            fixture["away_team"],
            fixture["kickoff"],
            (forecast["p_home"], forecast["p_draw"], forecast["p_away"]),
            None if inputs is None else inputs.get("prices") is not None,
        )


def call(method: str, url: str, body: Any = None, timeout_s: float = 60) -> tuple[int, Any]:
    """(status, JSON body) of one request; HTTP errors are answers too."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def earlier_seasons(history_url: str, league: str, season: str) -> list[tuple[str, str]]:
    """The league's seasons before ``season`` under ``history_url`` (a ``file://`` mirror
    lists them; on the live site every season since 1993-94 is tried)."""
    start = season_start_year(season)
    try:
        found = [s for lg, s in available_seasons(history_url) if lg == league]
    except MissingSource:
        found = [f"{y % 100:02d}{(y + 1) % 100:02d}" for y in range(1993, start)]
    return [(league, s) for s in found if season_start_year(s) < start]


def write_season_file(
    directory: Path,
    season_file: SeasonFile,
    league: str,
    season: str,
    last: dt.date,
    first: dt.date | None = None,
) -> None:
    """Put the season file's rows played by ``last`` (from ``first`` on, if given) into the
    ``file://`` mirror, where the season importer reads them."""
    path = directory / football_data.season_path(league, season)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(season_file.results_through(last, since=first))


def wait_served(settings: Settings, conn: psycopg.Connection, timeout_s: float) -> str:
    """Wait until a worker serves the store's current data; returns that data version."""
    from ml.serving_state import data_version

    wanted = data_version(conn)
    client = results_client(settings)
    deadline = time.monotonic() + timeout_s
    try:
        while (record := read_serving(client, serving_key(settings))) is None or record[
            "data_version"
        ] != wanted:
            if time.monotonic() > deadline:
                raise click.ClickException(f"no worker served data version {wanted} in time")
            time.sleep(0.05)
    finally:
        client.close()
    return wanted


def announce(settings: Settings, conn: psycopg.Connection, batch_id: int | None) -> None:
    """Publish ``data_changed`` for an imported batch and wait until workers serve it."""
    from cli.ingest import announce_data_changed

    if batch_id is not None:
        announce_data_changed(settings, [batch_id])
    wait_served(settings, conn, SERVED_TIMEOUT_S)


def ask_matchday(api_url: str, fixtures: list[dict[str, Any]]) -> tuple[list[Answer], int]:
    """Every fixture through ``POST /v1/predict``, then all of them through
    ``/v1/predictions/batch``; the sync answers and how many batch answers differed."""
    answers = []
    for fixture in fixtures:
        status, body = call("POST", f"{api_url}/v1/predict", fixture)
        if status != 200:
            raise click.ClickException(f"POST /v1/predict {fixture} → {status}: {body}")
        answers.append(Answer.of(body))
    status, batch = call("POST", f"{api_url}/v1/predictions/batch", {"fixtures": fixtures})
    if status != 200:
        raise click.ClickException(f"POST /v1/predictions/batch → {status}: {batch}")
    differ = sum(
        1
        for answer, item in zip(answers, batch["predictions"], strict=True)
        if "error" in item or not np.allclose(answer.probs, Answer.of(item).probs, atol=1e-9)
    )
    return answers, differ


def matchday_fixtures(fixtures_csv: bytes, league: str) -> list[dict[str, Any]]:
    """API requests for the rows of a fixtures file, in the file's own team spelling."""
    parsed = SeasonFile.parse(fixtures_csv)
    at = {name: i for i, name in enumerate(parsed.header)}
    return [
        {
            "home_team": cells[at["HomeTeam"]],
            "away_team": cells[at["AwayTeam"]],
            "competition": league,
            "kickoff": day.isoformat(),
        }
        for day, cells in parsed.rows
    ]


@dataclass
class Replay:
    """One replay's inputs and what it collected along the way."""

    settings: Settings
    league: str
    season: str
    base_url: str
    history_url: str
    model: str
    matchdays: int | None = None
    #: ``GET /v1/scoreboard`` of the scratch API at the end, when it has one.
    scoreboard: Any = None
    #: Every sync answer served, in the order asked.
    answers: list[Answer] = field(default_factory=list)

    def run(self, on_matchday: Callable[[Matchday, int], None] | None = None) -> dict[str, Any]:
        from ml import registry

        started = time.perf_counter()
        version, forecaster = registry.load_model(self.settings, self.model)
        fetched = asyncio.run(football_data.fetch_season(self.base_url, self.league, self.season))
        season_file = SeasonFile.parse(fetched.body)
        days = season_file.matchdays()[: self.matchdays]
        history = earlier_seasons(self.history_url, self.league, self.season)
        timings: dict[str, float] = {}

        def lap(name: str, since: float) -> float:
            now = time.perf_counter()
            timings[name] = round(now - since, 1)
            return now

        with scratch(self.settings, "replay") as sc:
            mark = time.perf_counter()
            with connect(sc.settings, autocommit=True) as conn:
                migrate(conn)
                import_history(conn, self.history_url, history)
            mark = lap("history_s", mark)
            replayed_as = registry.register_model(
                sc.settings, forecaster, {}, {}, {"footcast.replay_of": version}
            )
            registry.promote(sc.settings, replayed_as)
            mark = lap("model_s", mark)
            self.answers, differ = self._walk(sc, season_file, days, on_matchday)
            mark = lap("walk_s", mark)
            with connect(sc.settings) as conn:
                report = score_replay(conn, forecaster, self.league, self.season, self.answers)
            lap("score_s", mark)
        report.update(
            league=self.league,
            season=self.season,
            model={"name": registry.MODEL_NAME, "version": version, "asked": self.model},
            matchdays=len(days),
            history_seasons=[s for _, s in history],
            batch_differs=differ,
            elapsed_s=round(time.perf_counter() - started, 1),
            timings=timings,
        )
        return report

    def _walk(
        self,
        sc: Scratch,
        season_file: SeasonFile,
        days: list[Matchday],
        on_matchday: Callable[[Matchday, int], None] | None,
    ) -> tuple[list[Answer], int]:
        mirror = Path(sc.directory / "mirror")
        answers: list[Answer] = []
        differ = 0
        with running_stack(sc) as api_url, connect(sc.settings, autocommit=True) as conn:
            wait_served(sc.settings, conn, SERVED_TIMEOUT_S)
            for day in days:
                (mirror / football_data.FIXTURES_PATH).write_bytes(
                    season_file.fixtures_csv(day.first, day.last)
                )
                eve = dt.datetime.combine(day.eve, dt.time(EVE_HOUR), dt.UTC)
                listed = import_fixtures(conn, sc.mirror_url, as_of=eve, leagues=[self.league])
                announce(sc.settings, conn, listed.batch_id)
                fixtures = matchday_fixtures(
                    (mirror / football_data.FIXTURES_PATH).read_bytes(), self.league
                )
                served, batch_differs = ask_matchday(api_url, fixtures)
                answers += served
                differ += batch_differs
                # the matchday's rows alone: the rows already served stay as they are, so
                # workers never see the season vanish while the new batch awaits its gate
                write_season_file(
                    mirror, season_file, self.league, self.season, day.last, day.first
                )
                played = import_file(conn, sc.mirror_url, self.league, self.season)
                announce(sc.settings, conn, played.batch_id)
                if on_matchday is not None:
                    on_matchday(day, len(days))
            status, board = call("GET", f"{api_url}/v1/scoreboard?competition={self.league}")
        self.scoreboard = board if status == 200 else None
        return answers, differ


def score_served(
    conn: psycopg.Connection, league: str, season: str, answers: list[Answer]
) -> dict[str, Any]:
    """The served answers and the de-margined closing market, scored on the same finished
    matches of ``season``."""
    from etl.store.reads import load_matches, load_odds
    from ml.season_eval import score_against_market

    target = load_matches(conn, competitions=[league], seasons=[season])
    odds = load_odds(conn, target["match_id"].tolist())
    by_fixture = {(a.home_team, a.away_team, a.kickoff): a for a in answers}
    days = [d.date().isoformat() for d in target["kickoff_date"]]
    keys = list(zip(target["home_team"], target["away_team"], days, strict=True))
    answered = np.array([k in by_fixture for k in keys], dtype=bool)
    probs = np.array([by_fixture[k].probs for k in keys if k in by_fixture], dtype=float)
    return score_against_market(target[answered].reset_index(drop=True), odds, probs)


def score_replay(
    conn: psycopg.Connection, forecaster: Any, league: str, season: str, answers: list[Answer]
) -> dict[str, Any]:
    """What was served and the closing market on the same matches (``score_served``), and
    the offline evaluation of the same model on the season (``footcast evaluate --model``)."""
    from etl.store.reads import load_matches, load_odds
    from ml.season_eval import evaluate_seasons

    matches = load_matches(conn, competitions=[league])
    odds = load_odds(conn, matches["match_id"].tolist())
    offline = evaluate_seasons(forecaster, matches, odds, [season])
    served = score_served(conn, league, season, answers)
    priced = [a.priced for a in answers]
    return {
        "matches": int((matches["season"] == season).sum()),
        "served": len(answers),
        "served_priced": None if None in priced else sum(bool(p) for p in priced),
        "scored": served["n"],
        "offline_scored": offline["n"],
        **{
            name: {
                "served": served["metrics"][name]["model"],
                "market": served["metrics"][name]["market"],
                "offline": offline["metrics"][name]["model"],
            }
            for name in SCORES
        },
    }


@click.command()
@click.option("--league", required=True, help="Division code, e.g. E0.")
@click.option("--season", required=True, help="Season code, e.g. 2324.")
@click.option("--base-url", default=None, help="Where the replayed season file is read.")
@click.option("--history-url", default=None, help="Where the earlier seasons are read.")
@click.option("--model", default="champion", show_default=True, help="Alias or version.")
@click.option("--matchdays", type=int, default=None, help="Replay only the first N matchdays.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_settings
def replay(
    settings: Settings,
    league: str,
    season: str,
    base_url: str | None,
    history_url: str | None,
    model: str,
    matchdays: int | None,
    as_json: bool,
) -> None:
    """Replay a past season through a running footcast of its own and score what it served.

    A scratch database, vhost, registry and cache key space are created and removed; the
    operator's store and caches are not touched.
    """
    from tqdm import tqdm

    run = Replay(
        settings,
        league,
        season,
        base_url or settings.football_data_url,
        history_url or base_url or settings.football_data_url,
        model,
        matchdays,
    )
    with tqdm(unit="matchday", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:

        def advance(day: Matchday, total: int) -> None:
            bar.total = total
            bar.set_postfix_str(f"{day.first:%d %b}-{day.last:%d %b %Y}")
            bar.update()

        try:
            report = run.run(advance)
        except (EtlError, MlError) as exc:
            raise click.ClickException(str(exc)) from exc
    report["scoreboard"] = run.scoreboard
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(
        f"{league} {season}: {report['served']} fixtures served over {report['matchdays']}"
        f" matchdays by {report['model']['name']} version {report['model']['version']}"
        f" in {report['elapsed_s']:.0f} s"
    )
    click.echo(f"{'':10}{'served':>10}{'market':>10}{'offline':>10}")
    for name in SCORES:
        row = report[name]
        click.echo(f"{name:10}{row['served']:10.4f}{row['market']:10.4f}{row['offline']:10.4f}")
