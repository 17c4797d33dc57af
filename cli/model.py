"""``footcast model``: the registry's champion and challenger, promotion and rollback.

Every change of champion publishes ``model_promoted`` on the bus, so workers load the new
champion and its cached predictions are dropped.
"""

from __future__ import annotations

import json
from typing import Any

import click

from actors import contracts
from actors.bus import Bus, BusError
from cli.context import pass_settings
from core.settings import Settings
from ml.backtest_paths import LABELS, REPORTED, by_path

#: Column headings of the backtest table ``status`` prints, one per ``LABELS`` entry.
HEADINGS = {
    "priced": "priced",
    "unpriced": "unpriced",
    "opening_market": "open mkt",
    "closing_market": "close mkt",
}


def publish_promoted(settings: Settings, version: str, previous: str | None) -> None:
    """Put ``model_promoted`` on the bus; a bus that is down is a command failure."""
    bus = Bus.from_settings(settings)
    try:
        bus.send(contracts.model_promoted(version, previous))
    except BusError as exc:
        raise click.ClickException(
            f"champion is version {version} but model_promoted was not published ({exc});"
            f" retry with `footcast model publish-promoted {version}`"
        ) from exc
    finally:
        bus.close()


def _registry() -> Any:
    """The registry module, imported on use: MLflow takes seconds to import."""
    from ml import registry

    return registry


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@click.group()
def model() -> None:
    """The registered model footcast-outcome: status, promote, rollback."""


@model.command()
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@pass_settings
def status(settings: Settings, as_json: bool) -> None:
    """Champion and challenger: versions, the backtest of both paths (priced: with the
    fixture's prices; unpriced: stats only) beside the opening and closing markets,
    promotion decisions."""
    from ml.errors import MlError

    registry = _registry()
    found: dict[str, Any] = {}
    for alias in (registry.CHAMPION, registry.CHALLENGER):
        try:
            info = registry.model_info(settings, alias).as_dict()
            found[alias] = {**info, "backtest": by_path(info["metrics"])}
        except registry.ModelNotFound:
            found[alias] = None
        except MlError as exc:
            raise _fail(exc) from exc
    if as_json:
        click.echo(json.dumps(found, indent=2, sort_keys=True))
        return
    for alias, info in found.items():
        click.echo(_describe(alias, info))


def _describe(alias: str, info: dict[str, Any] | None) -> str:
    """A version's headline: when it became champion, backtest against market, decision."""
    if info is None:
        return f"{alias}: none"
    tags, backtest = info["tags"], info["backtest"]
    lines = [f"{alias}: version {info['version']} (created {info['created_at']})"]
    if alias == "champion" and info["promoted_at"]:
        lines.append(f"  champion since {info['promoted_at']}")
    if "n" in backtest:
        shown = [label for label in LABELS if label in backtest]
        lines.append(
            f"  backtest on {backtest['n']} matches".ljust(30)
            + "".join(f"{HEADINGS[label]:>10}" for label in shown)
        )
        for name in REPORTED:
            values = [backtest[label].get(name, float("nan")) for label in shown]
            lines.append(f"    {name:<26}" + "".join(f"{v:10.5f}" for v in values))
        lines.append("  priced: forecasts given the fixture's 1X2 prices; unpriced: without them")
    if "footcast.promotion.decision" in tags:
        lines.append(
            f"  decision: {tags['footcast.promotion.decision']}"
            f" ({tags.get('footcast.promotion.reasons', '')})"
        )
    if tags.get("footcast.git_commit"):
        lines.append(f"  git commit: {tags['footcast.git_commit']}")
    return "\n".join(lines)


@model.command()
@click.argument("version")
@click.option("--reason", default="promoted by an operator", show_default=True)
@pass_settings
def promote(settings: Settings, version: str, reason: str) -> None:
    """Make VERSION the champion and publish model_promoted."""
    from ml.errors import MlError

    registry = _registry()
    try:
        record = registry.promote(
            settings,
            version,
            tags={"footcast.promotion.decision": "manual", "footcast.promotion.reasons": reason},
        )
    except MlError as exc:
        raise _fail(exc) from exc
    if record.changed:
        publish_promoted(settings, record.version, record.previous)
    click.echo(json.dumps({**record.as_dict(), "changed": record.changed}))


@model.command()
@pass_settings
def rollback(settings: Settings) -> None:
    """Give champion back to the version it replaced and publish model_promoted."""
    from ml.errors import MlError

    registry = _registry()
    try:
        record = registry.rollback(settings)
    except MlError as exc:
        raise _fail(exc) from exc
    publish_promoted(settings, record.version, record.previous)
    click.echo(json.dumps({**record.as_dict(), "changed": record.changed}))


@model.command("publish-promoted")
@click.argument("version")
@click.option("--previous", default=None, help="the champion VERSION replaced")
@pass_settings
def publish_promoted_command(settings: Settings, version: str, previous: str | None) -> None:
    """Publish model_promoted for VERSION (the pipeline's promotions, or a retry)."""
    publish_promoted(settings, version, previous)
    click.echo(
        json.dumps({"published": "model_promoted", "version": version, "previous": previous})
    )


@model.command()
@click.argument("version")
@click.option(
    "--remote", default=None,
    help="DVC remote name (.dvc/config) or URL holding the snapshot [FOOTCAST_DVC_REMOTE_URL]",
)  # fmt: skip
@pass_settings
def reproduce(settings: Settings, version: str, remote: str | None) -> None:
    """Rebuild VERSION from its recorded snapshot and params; compare its backtest forecasts.

    Exits 1 with a report of what differs when any probability differs by more than 1e-9.
    """
    from core.settings import PROJECT_ROOT
    from ml.errors import MlError
    from ml.reproduce import reproduce as rebuild
    from ml.snapshot_remote import resolve_remote

    url = resolve_remote(remote, PROJECT_ROOT) if remote else settings.dvc_remote_url
    try:
        result = rebuild(settings, version, url)
    except MlError as exc:
        raise _fail(exc) from exc
    click.echo(json.dumps(result.as_dict(), indent=2))
    if not result.identical:
        raise click.ClickException(
            f"version {version} was not reproduced: {'; '.join(result.differences)}"
        )
