"""The serving part of ``footcast demo``: the store as it stood on 16 May 2024 and a champion
trained on it, the next days' fixtures with their prices served sync, async and as a batch,
a promotion picked up without a restart, then the fixtures' results and the scoreboard."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from core.cache import Cache
from core.db import connect
from core.settings import Settings

#: The demo's league, the seasons it loads, and the day its store stands on: the eve of the
#: last rounds of 2023-24, whose fixtures file the shared data keeps.
DEMO_LEAGUE = "E0"
DEMO_SEASONS = ("2122", "2223", "2324")
DEMO_DAY = dt.date(2024, 5, 16)
DEMO_FIXTURES = "fixtures/fixtures_2024-05-16.csv"
#: Seasons a demo model is trained on (the store's most recent ones).
TRAIN_SEASONS = 3


def call(method: str, url: str, body: Any = None, timeout_s: float = 35) -> tuple[int, Any, float]:
    """(status, JSON body, milliseconds) of one request; HTTP errors are answers too."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as resp:
            status, payload = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, exc.read()
    return status, json.loads(payload), (time.perf_counter() - started) * 1000


def load_history(settings: Settings, mirror: Path) -> None:
    """The league's seasons as they stood on ``DEMO_DAY``, imported the way ``footcast
    replay`` does: earlier seasons whole, the current one cut after that day."""
    from cli.replay import write_season_file
    from etl.history import import_file, import_history
    from etl.matchdays import SeasonFile
    from etl.sources import football_data

    *earlier, current = DEMO_SEASONS
    base = settings.football_data_url
    fetched = asyncio.run(football_data.fetch_season(base, DEMO_LEAGUE, current))
    write_season_file(mirror, SeasonFile.parse(fetched.body), DEMO_LEAGUE, current, DEMO_DAY)
    with connect(settings, autocommit=True) as conn:
        summary = import_history(conn, base, [(DEMO_LEAGUE, s) for s in earlier])
        now = import_file(conn, mirror.as_uri(), DEMO_LEAGUE, current)
    click.echo(
        f"{DEMO_LEAGUE} {', '.join(earlier)}: {summary.matches} matches;"
        f" {current} up to {DEMO_DAY:%d %B %Y}: {now.matches} matches played"
    )


def import_demo_fixtures(settings: Settings, mirror: Path) -> list[dict[str, Any]]:
    """Import the fixtures file of ``DEMO_DAY`` (prices seen that day); the league's fixtures."""
    from cli.replay import announce
    from etl.fixtures import import_fixtures
    from etl.sources import football_data
    from etl.store.fixtures import upcoming_fixtures

    fetched = asyncio.run(football_data.fetch(settings.football_data_url, DEMO_FIXTURES))
    (mirror / football_data.FIXTURES_PATH).write_bytes(fetched.body)
    as_of = dt.datetime.combine(DEMO_DAY, dt.time(12), dt.UTC)
    with connect(settings, autocommit=True) as conn:
        result = import_fixtures(conn, mirror.as_uri(), as_of=as_of, leagues=[DEMO_LEAGUE])
        announce(settings, conn, result.batch_id)
        rows = upcoming_fixtures(
            conn,
            competition=DEMO_LEAGUE,
            start=DEMO_DAY,
            end=DEMO_DAY + dt.timedelta(days=14),
            limit=50,
        )
    skipped = ", ".join(f"{n} {div}" for div, n in sorted(result.skipped.items()))
    click.echo(
        f"{DEMO_FIXTURES}: {result.fixtures} {DEMO_LEAGUE} fixtures, {result.snapshots_added}"
        f" price snapshots seen {as_of:%d %b %Y %H:%M} UTC; skipped: {skipped or 'none'}"
    )
    return [
        {
            "home_team": row["home_team"],
            "away_team": row["away_team"],
            "competition": row["competition"],
            "kickoff": row["kickoff_date"].isoformat(),
        }
        for row in rows
    ]


def train_and_register(settings: Settings, dc_weight: float) -> str:
    """Fit the served models on the store's recent seasons and register a new version."""
    from core.seasons import season_start_year
    from etl.store.reads import load_matches, load_odds
    from ml import registry
    from ml.backtest import prepare_frame
    from ml.features import FeatureConfig
    from ml.training import ModelSpecs, train_forecaster

    with connect(settings) as conn:
        matches = load_matches(conn)
        recent = sorted(matches["season"].unique(), key=season_start_year)[-TRAIN_SEASONS:]
        matches = matches[matches["season"].isin(recent)].reset_index(drop=True)
        odds = load_odds(conn, matches["match_id"])
    config = FeatureConfig()
    forecaster = train_forecaster(
        prepare_frame(matches, odds, config), ModelSpecs(), config, dc_weight, burn_in_seasons=1
    )
    return str(
        registry.register_model(
            settings, forecaster, {}, {"seasons": recent, "dc_weight": dc_weight}, {"demo": "1"}
        )
    )


def ensure_champion(settings: Settings) -> str:
    """The champion's version; trains and promotes one if the registry has none."""
    from ml import registry

    version = registry.champion_version(settings)
    if version is not None:
        click.echo(f"champion: footcast-outcome version {version}")
        return version
    click.echo("no champion yet: training one on the store's most recent seasons")
    version = train_and_register(settings, dc_weight=0.3)
    registry.promote(settings, version)
    click.echo(f"registered and promoted version {version}")
    return version


def describe(answer: dict[str, Any], ms: float) -> str:
    fixture, forecast = answer["fixture"], answer["forecast"]
    top = forecast["top_scores"][0]
    return (
        f"{fixture['home_team']:>22} v {fixture['away_team']:<22}"
        f" H {forecast['p_home']:.0%} D {forecast['p_draw']:.0%} A {forecast['p_away']:.0%}"
        f"  xG {forecast['xg_home']:.2f}-{forecast['xg_away']:.2f}"
        f"  likeliest {top['home']}-{top['away']}"
        f"  v{answer['model']['version']} cached={str(answer['cached']).lower():5} {ms:6.1f} ms"
        f"  {_inputs(answer)}"
    )


def _inputs(answer: dict[str, Any]) -> str:
    """What the answer says it used: the prices' origin and when they were seen."""
    inputs = answer.get("inputs")
    if inputs is None:
        return ""
    if inputs.get("prices") is None:
        return "unpriced"
    return f"prices: {inputs['prices']} {inputs.get('priced_at') or ''}".rstrip()


def show_predictions(api_url: str, fixtures: list[dict[str, Any]]) -> None:
    """Sync (twice: computed, then cached), async (polled) and matchday predictions."""
    started = time.perf_counter()
    while (champion := call("GET", f"{api_url}/v1/models/champion"))[0] != 200:
        if time.perf_counter() - started > 120:
            raise click.ClickException(f"no worker loaded a model: {champion[1]}")
        time.sleep(0.2)
    click.echo(f"the worker serves version {champion[1]['version']} (GET /v1/models/champion)")
    click.secho("\n-- sync: POST /v1/predict (first computed by a worker, then from the cache)")
    for fixture in fixtures[:3]:
        for _ in range(2):
            status, answer, ms = call("POST", f"{api_url}/v1/predict", fixture)
            click.echo(describe(answer, ms) if status == 200 else f"{status}: {answer}")
    misspelt = {**fixtures[0], "home_team": fixtures[0]["home_team"][:-2]}
    status, answer, _ = call("POST", f"{api_url}/v1/predict", misspelt)
    click.echo(f"a misspelt team → {status}: {answer['error']['message']}")

    click.secho("\n-- async: POST /v1/predictions, then GET its Location until done")
    status, task, _ = call("POST", f"{api_url}/v1/predictions", fixtures[3])
    click.echo(f"{status}: id {task['id']}, poll {task['poll']}")
    started = time.perf_counter()
    while (polled := call("GET", f"{api_url}{task['poll']}")[1])["status"] == "queued":
        time.sleep(0.05)
    click.echo(f"{polled['status']} after {(time.perf_counter() - started) * 1000:.1f} ms:")
    if polled["status"] == "done":
        click.echo(describe(polled["result"], 0.0))

    click.secho("\n-- a matchday: POST /v1/predictions/batch")
    status, batch, ms = call("POST", f"{api_url}/v1/predictions/batch", {"fixtures": fixtures})
    click.echo(f"{status}: {len(batch['predictions'])} fixtures answered together in {ms:.1f} ms")
    for answer in batch["predictions"]:
        if "error" not in answer:
            click.echo(describe(answer, 0.0))


def show_promotion(settings: Settings, api_url: str, fixture: dict[str, Any]) -> None:
    """Register and promote a new version, announce it, and watch the API switch."""
    from cli.model import publish_promoted
    from ml import registry

    _, before, _ = call("POST", f"{api_url}/v1/predict", fixture)
    old = registry.champion_version(settings) or ""
    cache = Cache.from_settings(settings)
    cached_before = _cached_predictions(cache)
    click.echo(f"serving version {old}; {cached_before} predictions cached")
    # another Dixon-Coles share than the model it replaces, so the change shows in the numbers
    weight = 0.2 + 0.15 * (int(old) % 4) if old.isdigit() else 0.6
    version = train_and_register(settings, dc_weight=weight)
    record = registry.promote(settings, version)
    publish_promoted(settings, record.version, record.previous)
    click.echo(f"registered version {version}, promoted it, published model_promoted")
    started = time.perf_counter()
    while True:
        status, answer, ms = call("POST", f"{api_url}/v1/predict", fixture)
        if status == 200 and answer["model"]["version"] == version:
            break
        if time.perf_counter() - started > 30:
            raise click.ClickException(f"version {version} not served after 30 s: {answer}")
        time.sleep(0.1)
    waited_s = time.perf_counter() - started
    click.echo(f"version {version} answering {waited_s:.1f} s after the promotion, no restart:")
    click.echo(f"{describe(before, 0.0)}  (before)")
    click.echo(f"{describe(answer, ms)}  (after)")
    deadline = time.monotonic() + 10
    while (left := _cached_predictions(cache, excluding=version)) and time.monotonic() < deadline:
        time.sleep(0.2)
    click.echo(f"predictions cached for older models: {cached_before} before, {left} now")
    time.sleep(0.6)  # the API re-reads the serving record at most every 0.5 s
    _, champion, _ = call("GET", f"{api_url}/v1/models/champion")
    click.echo(
        f"GET /v1/models/champion → version {champion['version']},"
        f" promoted {champion['promoted_at']}"
    )


def _cached_predictions(cache: Cache, excluding: str | None = None) -> int:
    prefix = f"{cache.prefix}prediction:"
    keys = (k.decode() for k in cache.client.scan_iter(f"{prefix}*", count=1000))
    return sum(
        1 for k in keys if excluding is None or not k[len(prefix) :].startswith(f"{excluding}-")
    )


def show_results(settings: Settings, api_url: str) -> None:
    """Import the whole season (the fixtures' results), tell the workers, and print the
    scoreboard of what was served."""
    from cli.replay import announce
    from etl.history import import_file

    with connect(settings, autocommit=True) as conn:
        result = import_file(conn, settings.football_data_url, DEMO_LEAGUE, DEMO_SEASONS[-1])
        announce(settings, conn, result.batch_id)
        click.echo(f"{DEMO_LEAGUE} {DEMO_SEASONS[-1]}: {result.matches} matches, results in")
        status, board, _ = call("GET", f"{api_url}/v1/scoreboard?competition={DEMO_LEAGUE}")
    if status != 200:
        click.echo(f"the scoreboard answered {status}: {board}")
        return
    overall = board["overall"]
    click.echo(
        f"GET /v1/scoreboard: {overall['matches']} of the fixtures served above are finished;"
        " served forecasts against the de-margined markets on the same matches:"
    )
    for name in ("rps", "log_loss", "brier"):
        model, closing, opening = (overall[k][name] for k in ("model", "closing", "opening"))
        if model is not None:
            click.echo(
                f"{name:>9}: served {model:.4f}  closing {closing:.4f}  opening {opening:.4f}"
            )
