"""``footcast whoscored``: WhoScored tools that need no network (checking saved pages)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click

from etl.errors import BlockedError, ParseError
from etl.sources import whoscored as ws

_PARSERS = {
    "tournament": ws.parse_tournament_page,
    "calendar": ws.parse_calendar,
    "fixtures": ws.parse_fixtures,
    "match_centre": ws.parse_match_centre,
    "preview": ws.parse_preview,
}
#: Team stat totals shown in the text summary of a match centre.
_SHOWN_STATS = (
    ("shots", "shotsTotal"), ("corners", "cornersTotal"), ("fouls", "foulsCommited"),
    ("passes", "passesTotal"), ("offsides", "offsidesCaught"),
)  # fmt: skip


@click.group()
def whoscored() -> None:
    """WhoScored pages and feeds, offline."""


@whoscored.command("parse")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(sorted(_PARSERS)), default=None, help="default: detected")
@click.option("--json", "as_json", is_flag=True, help="print every parsed field as JSON")
def parse(file: Path, kind: str | None, as_json: bool) -> None:
    """Run the parsers on a saved page or feed (plain or gzip'd) and print what they find.

    Use it to check a layout change offline: a page the parsers no longer understand fails
    with the name of what is missing.
    """
    body = file.read_bytes()
    kind = kind or ws.detect_kind(body)
    if kind == "blocked":
        raise click.ClickException(f"{file} is WhoScored's bot-protection page, not data")
    if kind not in _PARSERS:
        raise click.ClickException(f"{file}: not a page or feed the parsers know")
    try:
        parsed = _PARSERS[kind](body)
    except (ParseError, BlockedError) as exc:
        raise click.ClickException(f"{file} ({kind}): {exc}") from exc
    if as_json:
        click.echo(json.dumps({"kind": kind, "data": _plain(parsed)}, indent=2, default=str))
        return
    click.echo(f"{file} ({kind})")
    for line in _summary(parsed):
        click.echo(line)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _summary(parsed: Any) -> list[str]:
    if isinstance(parsed, list):
        return [f"{len(parsed)} fixtures", *(_fixture_line(f) for f in parsed)]
    if isinstance(parsed, ws.MatchCentre):
        return _match_centre_lines(parsed)
    if isinstance(parsed, ws.MatchHeader):
        return [
            f"match {parsed.match_id}  kickoff {parsed.kickoff_utc:%Y-%m-%d %H:%M} UTC",
            f"{parsed.home_name} ({parsed.home_id}) v {parsed.away_name} ({parsed.away_id})",
            f"status {parsed.status}  half time {_score(parsed.ht_score)}"
            f"  full time {_score(parsed.ft_score)}",
        ]
    if isinstance(parsed, ws.TournamentPage):
        seasons = ", ".join(f"{s.name}={s.season_id}" for s in parsed.seasons)
        months = f"{len(parsed.calendar.months)} months" if parsed.calendar else "none"
        return [
            f"region {parsed.region_id}  tournament {parsed.tournament_id}"
            f"  stage {parsed.stage_id}  selected season {parsed.selected_season_id}",
            f"seasons: {seasons}",
            f"calendar: {months}",
        ]
    months = ", ".join(f"{year}-{month:02d}" for year, month in parsed.months)
    return [f"stage {parsed.stage_id}", f"months with matches: {months}"]


def _fixture_line(f: ws.Fixture) -> str:
    score = "-" if f.home_goals is None else f"{f.home_goals}-{f.away_goals}"
    return (
        f"{f.match_id}  {f.kickoff_utc:%Y-%m-%d %H:%M}Z  {f.home_name} v {f.away_name}"
        f"  {score}  {f.status}"
    )


def _match_centre_lines(m: ws.MatchCentre) -> list[str]:
    home, away = m.home, m.away
    lines = [
        f"match {m.match_id or '(id not in the data)'}  kickoff {m.kickoff_utc:%Y-%m-%d %H:%M}"
        f" UTC  {m.status}",
        f"{home.name} {home.goals}-{away.goals} {away.name}"
        f"  (half time {home.ht_goals}-{away.ht_goals})",
        f"{'':>16}{home.name[:14]:>14}{away.name[:14]:>14}",
    ]
    rows: list[tuple[str, object, object]] = [
        (label, ws.stat(home, key), ws.stat(away, key)) for label, key in _SHOWN_STATS
    ]
    rows.insert(1, ("on target", ws.shots_on_target(home), ws.shots_on_target(away)))
    rows += [
        ("possession %", home.possession_pct, away.possession_pct),
        ("yellow cards", home.yellow_cards, away.yellow_cards),
        ("red cards", home.red_cards, away.red_cards),
        ("formation", ",".join(dict.fromkeys(home.formations)),
         ",".join(dict.fromkeys(away.formations))),
    ]  # fmt: skip
    lines += [f"{label:>16}{_cell(h):>14}{_cell(a):>14}" for label, h, a in rows]
    lines.append(
        f"referee {m.referee or '-'}  venue {m.venue or '-'}  attendance"
        f" {m.attendance if m.attendance is not None else '-'}  events {m.event_count}"
    )
    return lines


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def _score(score: tuple[int, int] | None) -> str:
    return "-" if score is None else f"{score[0]}-{score[1]}"
