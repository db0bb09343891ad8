"""``digest status``: what the service is doing, on one screen (or as JSON)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digest.cli._app import cli, config_option, load_config
from digest.words import plural

if TYPE_CHECKING:
    from digest.schedule.status import FailingSource


@cli.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def status(config_path: Path | None, as_json: bool) -> None:
    """The last collection and the sources failing, the outbox, today's digests and the
    next sends, read from the store."""
    config = load_config(config_path)
    from digest.schedule.status import status as read_status
    from digest.schedule.status import status_json
    from digest.store import Store

    with Store(config.store_address) as store:
        found = read_status(config, store, now=datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(status_json(found), indent=2))
        return
    when = _time(found.last_collection) if found.last_collection else "never"
    click.echo(
        f"Collection: last {when}; {plural(found.new_articles, 'new article')} in the last "
        f"24 hours; {plural(len(found.failing), 'source')} of {found.sources} failing."
    )
    for source in found.failing:
        click.echo(f"  {source.name}: {failing_line(source)}")
    counts = found.outbox
    click.echo(
        "Outbox: "
        + ", ".join(
            f"{counts.get(state, 0)} {state}"
            for state in ("queued", "sending", "deferred", "failed", "sent")
        )
        + "."
    )
    for entry in found.waiting:
        click.echo(
            f"  #{entry.id} to {entry.recipient} deferred, next try {_time(entry.next_attempt)}: "
            f"{entry.last_reply}"
        )
    for entry in found.failed:
        click.echo(f"  #{entry.id} to {entry.recipient} failed: {entry.last_reply}")
    click.echo(f"Today's digests ({plural(len(found.today), 'active subscriber')}):")
    for today in found.today:
        click.echo(f"  {today.email}  {today.period}  {today.state}  (due {_time(today.due)})")
    if found.next_sends:
        email, due = found.next_sends[0]
        click.echo(f"Next send: {email} at {_time(due)}.")


def failing_line(source: FailingSource) -> str:
    """``error, failing since 2026-11-28 07:00 UTC, 3 attempts (last tried ...): why``."""
    line = source.status
    if source.since is not None:
        line += f", failing since {_time(source.since)}, {plural(source.attempts, 'attempt')}"
    if source.last_fetched is not None:
        line += f" (last tried {_time(source.last_fetched)})"
    return f"{line}: {source.error}"


def _time(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""
