"""``digest send`` and ``digest outbox [retry]``: send what waits, see it, queue it again."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digest.cli._app import LOCK_WAIT, cli, config_option, hint, load_config
from digest.words import plural

if TYPE_CHECKING:
    from digest.deliver.sender import SendReport
    from digest.store import OutboxEntry


@cli.command()
@config_option
def send(config_path: Path | None) -> None:
    """Send every digest that is due in the outbox now.

    Exits 1 when a digest was deferred or failed, or sending had to stop.
    """
    config = load_config(config_path)
    from digest.deliver import sender
    from digest.lockfile import StoreLock, lock_path
    from digest.store import Store

    with (
        StoreLock(lock_path(config.database), "digest send", wait=LOCK_WAIT),
        Store(config.store_address) as store,
    ):
        report = sender.drain(config, store)
        waiting = store.outbox_counts()
    if not (report.sent or report.deferred or report.failed or report.problem):
        click.echo("Nothing is due in the outbox.")
    print_sending(report)
    if report.problem:
        left = waiting["queued"] + waiting["deferred"]
        click.echo(f"{plural(left, 'digest')} wait in the outbox.", err=True)
    if not report.ok:
        sys.exit(1)


@cli.group(invoke_without_command=True)
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def outbox(ctx: click.Context, config_path: Path | None, as_json: bool) -> None:
    """Show how many digests are in each state, and those deferred or failed."""
    if ctx.invoked_subcommand is not None:
        return
    config = load_config(config_path)
    from digest.store import Store

    with Store(config.store_address) as store:
        counts = store.outbox_counts()
        troubled = store.outbox_entries(("sending", "deferred", "failed"))
    if as_json:
        payload = {"counts": counts, "digests": [_entry_json(entry) for entry in troubled]}
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo("Outbox: " + ", ".join(f"{count} {status}" for status, count in counts.items()))
    for entry in troubled:
        click.echo(_entry_line(entry))


@outbox.command()
@config_option
@click.argument("digest_ids", metavar="[ID]...", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Queue every failed digest again.")
def retry(config_path: Path | None, digest_ids: tuple[int, ...], all_failed: bool) -> None:
    """Queue failed or deferred digests again, due now; `digest send` sends them."""
    if not digest_ids and not all_failed:
        raise click.UsageError("Name the digests to retry by ID, or pass --all-failed.")
    config = load_config(config_path)
    from digest.deliver import sender
    from digest.store import Store

    with Store(config.store_address) as store:
        entries = sender.retry(store, digest_ids, all_failed=all_failed, now=datetime.now(UTC))
    if not entries:
        click.echo("No failed digests to retry.")
        return
    for entry in entries:
        click.echo(f"Queued digest #{entry.id} to {entry.recipient} again.")
    hint("Run `digest send` to send now.")


def print_sending(report: SendReport) -> None:
    """One line per digest sent, deferred or failed, and the problem that stopped sending."""
    for delivery in report.sent:
        shown = next((f for f in delivery.files if f.suffix == ".html"), None) or delivery.location
        click.echo(f"Digest for {delivery.recipient} delivered ({delivery.backend}): {shown}")
    for attempt in report.deferred:
        when = _when(attempt.next_attempt) if attempt.next_attempt else "later"
        click.echo(
            f"Digest #{attempt.digest_id} for {attempt.recipient} deferred until {when}: "
            f"{attempt.reply}",
            err=True,
        )
    for attempt in report.failed:
        click.echo(
            f"Error: digest #{attempt.digest_id} for {attempt.recipient} failed: {attempt.reply}",
            err=True,
        )
    if report.recovered:
        click.echo(
            f"{plural(report.recovered, 'digest')} left by an interrupted sender queued again.",
            err=True,
        )
    if report.problem:
        click.echo(f"Error: sending stopped: {report.problem}", err=True)


def _entry_line(entry: OutboxEntry) -> str:
    attempts = plural(entry.attempts, "attempt")
    if entry.status == "deferred":
        attempts += f", next {_when(entry.next_attempt)}"
    reply = f": {entry.last_reply}" if entry.last_reply else ""
    return f"  #{entry.id} {entry.status} {entry.recipient} ({attempts}){reply}"


def _entry_json(entry: OutboxEntry) -> dict[str, object]:
    return {
        "id": entry.id,
        "status": entry.status,
        "recipient": entry.recipient,
        "subject": entry.subject,
        "message_id": entry.message_id,
        "attempts": entry.attempts,
        "queued": entry.queued.isoformat(),
        "next_attempt": entry.next_attempt.isoformat(),
        "last_reply": entry.last_reply,
    }


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
