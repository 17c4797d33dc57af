"""``footcast dlq``: list, show, replay and purge dead-lettered messages."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from actors import contracts
from actors.bus import BusError
from actors.dead_letters import (
    DeadLetter,
    Selection,
    dead_letter_counts,
    get_dead_letter,
    list_dead_letters,
    purge,
    replay,
)
from cli.context import pass_settings
from core.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
#: Width of the error column in ``dlq list``.
ERROR_WIDTH = 70


def parse_since(text: str, now: float | None = None) -> float:
    """``90s``, ``15m``, ``2h``, ``7d`` (that long ago) or an ISO-8601 time, as unix seconds."""
    found = _DURATION.match(text.strip())
    if found:
        return (now or time.time()) - float(found[1]) * _UNIT_S[found[2]]
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"{text!r}: use a duration like 15m, 2h, 7d or an ISO time"
        ) from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def selection_options(func: F) -> F:
    """The filters every ``dlq`` subcommand shares."""
    options = [
        click.option(
            "--queue",
            "queues",
            multiple=True,
            type=click.Choice(contracts.QUEUES),
            help="Only this queue's dead letters (repeatable; default: all).",
        ),
        click.option("--actor", help="Only messages for this actor."),
        click.option("--since", help="Dead-lettered since: 15m, 2h, 7d or an ISO time."),
        click.option("--grep", help="Text in the error, traceback or payload (any case)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _selection(
    queues: tuple[str, ...],
    actor: str | None,
    since: str | None,
    grep: str | None,
    ids: tuple[str, ...] = (),
) -> Selection:
    return Selection(
        queues=queues or contracts.QUEUES,
        ids=frozenset(ids) if ids else None,
        actor=actor,
        since=parse_since(since) if since else None,
        grep=grep,
    )


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def _table(letters: list[DeadLetter]) -> str:
    now = time.time()
    rows = [("ID", "QUEUE", "ACTOR", "AGE", "RETRIES", "REPLAYS", "ERROR")]
    for letter in letters:
        error = letter.error if len(letter.error) <= ERROR_WIDTH else letter.error[:69] + "…"
        rows.append(
            (
                letter.id,
                letter.queue,
                letter.actor or "-",
                _age(letter.age_s(now)),
                str(letter.retries),
                str(letter.replays),
                error,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    )


def _require_selection(ids: tuple[str, ...], all_: bool, verb: str) -> None:
    if not ids and not all_:
        raise click.UsageError(f"name the messages to {verb}, or pass --all (with filters)")
    if ids and all_:
        raise click.UsageError("pass message ids or --all, not both")


@click.group()
def dlq() -> None:
    """Dead-lettered messages: list, show, replay, purge."""


@dlq.command("list")
@selection_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_settings
def list_command(
    settings: Settings,
    queues: tuple[str, ...],
    actor: str | None,
    since: str | None,
    grep: str | None,
    as_json: bool,
) -> None:
    """Dead letters: id, queue, actor, age, retries, replays and last error."""
    try:
        letters = list_dead_letters(settings, _selection(queues, actor, since, grep))
    except BusError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        for letter in letters:
            click.echo(json.dumps(letter.summary()))
    elif letters:
        click.echo(_table(letters))
    else:
        click.echo("no dead letters")


@dlq.command("show")
@click.argument("message_id")
@pass_settings
def show_command(settings: Settings, message_id: str) -> None:
    """Everything about one dead letter: payload, options, reason, traceback."""
    try:
        letter = get_dead_letter(settings, message_id)
    except BusError as exc:
        raise click.ClickException(str(exc)) from exc
    details = letter.details()
    trace = details.pop("traceback", None)
    click.echo(json.dumps(details, indent=2, default=str))
    if trace:
        click.echo("\ntraceback:\n" + trace.rstrip())


@dlq.command("counts")
@click.option("--json", "as_json", is_flag=True)
@pass_settings
def counts_command(settings: Settings, as_json: bool) -> None:
    """How many dead letters each queue holds."""
    try:
        counts = dead_letter_counts(settings)
    except BusError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(counts))
    else:
        for queue, count in counts.items():
            click.echo(f"{queue:>10}  {count}")


@dlq.command("replay")
@click.argument("ids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every dead letter the filters select.")
@selection_options
@click.option("--dry-run", is_flag=True, help="Show what would be replayed; change nothing.")
@pass_settings
def replay_command(
    settings: Settings,
    ids: tuple[str, ...],
    all_: bool,
    queues: tuple[str, ...],
    actor: str | None,
    since: str | None,
    grep: str | None,
    dry_run: bool,
) -> None:
    """Put dead letters back on their queue, payload unchanged, one more replay counted."""
    _require_selection(ids, all_, "replay")
    selection = _selection(queues, actor, since, grep, ids)
    try:
        replayed, skipped = replay(settings, selection, dry_run=dry_run)
    except BusError as exc:
        raise click.ClickException(str(exc)) from exc
    verb = "would replay" if dry_run else "replayed"
    for letter in replayed:
        click.echo(f"{verb} {letter.id} → {letter.queue} ({letter.actor})")
    for letter in skipped:
        click.echo(f"skipped {letter.id}: {letter.error}; purge it instead", err=True)
    click.echo(f"{verb} {len(replayed)}, skipped {len(skipped)}")
    missing = (selection.ids or frozenset()) - {x.id for x in [*replayed, *skipped]}
    if missing:
        raise click.ClickException(f"not dead-lettered: {', '.join(sorted(missing))}")


@dlq.command("purge")
@click.argument("ids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every dead letter the filters select.")
@selection_options
@click.option("--dry-run", is_flag=True, help="Show what would be purged; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_settings
def purge_command(
    settings: Settings,
    ids: tuple[str, ...],
    all_: bool,
    queues: tuple[str, ...],
    actor: str | None,
    since: str | None,
    grep: str | None,
    dry_run: bool,
    yes: bool,
) -> None:
    """Drop dead letters for good (after a confirmation)."""
    _require_selection(ids, all_, "purge")
    selection = _selection(queues, actor, since, grep, ids)
    try:
        chosen = list_dead_letters(settings, selection)
        if not chosen:
            click.echo("no dead letters selected")
            return
        click.echo(_table(chosen))
        if dry_run:
            click.echo(f"would purge {len(chosen)}")
            return
        if not yes:
            click.confirm(f"Purge these {len(chosen)} dead letters for good?", abort=True)
        # exactly the ones shown, even if more arrived meanwhile
        shown = Selection(queues=selection.queues, ids=frozenset(x.id for x in chosen))
        purged = purge(settings, shown)
    except BusError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"purged {len(purged)}")
