"""``digest subscribe``, ``unsubscribe``, ``subscribers`` and ``schedule``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from digest.cli._app import cli, config_option, load_config
from digest.errors import SubscriptionError
from digest.models import Subscriber


@cli.command()
@config_option
@click.argument("email")
@click.option("--name", help="The subscriber's name, as the mail's To: line shows it.")
@click.option("--tz", "zone", metavar="ZONE", help="IANA time zone (new: [digest] timezone).")
@click.option("--at", "at", metavar="HH:MM", help="Local send time (new: 07:00).")
@click.option("--weekly", metavar="DAY", help="Weekly on this day (e.g. monday) instead of daily.")
@click.option("--daily", is_flag=True, help="Daily again, for a weekly subscriber.")
@click.option(
    "--sources",
    metavar="NAME[,NAME...]",
    help="Only these sources (comma-separated names; new: every source; '' for every one).",
)
def subscribe(
    config_path: Path | None,
    email: str,
    name: str | None,
    zone: str | None,
    at: str | None,
    weekly: str | None,
    daily: bool,
    sources: str | None,
) -> None:
    """Subscribe EMAIL to the digest, or change a subscription: only the options given
    change, and what changed is printed (old -> new)."""
    if daily and weekly:
        raise click.UsageError("--daily and --weekly contradict each other; give one.")
    config = load_config(config_path)
    from digest.schedule import subscriptions
    from digest.store import Store

    with Store(config.store_address) as store:
        try:
            done = subscriptions.subscribe(
                config,
                store,
                email=email,
                name=name,
                zone=zone,
                at=at,
                weekly=weekly,
                daily=daily,
                sources=None if sources is None else tuple(sources.split(",")),
                now=datetime.now(UTC),
            )
        except SubscriptionError as exc:
            for problem in exc.problems:
                click.echo(f"Error: {problem}", err=True)
            sys.exit(exc.exit_code)
    subscriber = done.subscriber
    if done.new:
        click.echo(f"Subscribed {subscriber.email}: {_when(subscriber)}.")
    elif not done.changes:
        click.echo(f"No change for {subscriber.email}: {_when(subscriber)}.")
    else:
        click.echo(f"Changed {subscriber.email}:")
        for what, old, new in done.changes:
            click.echo(f"  {what}: {old} -> {new}")


@cli.command()
@config_option
@click.argument("email")
def unsubscribe(config_path: Path | None, email: str) -> None:
    """Stop sending digests to EMAIL."""
    config = load_config(config_path)
    from digest.schedule import subscriptions
    from digest.store import Store

    with Store(config.store_address) as store:
        address = subscriptions.unsubscribe(store, email, now=datetime.now(UTC))
    click.echo(f"Unsubscribed {address}.")


@cli.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def subscribers(config_path: Path | None, as_json: bool) -> None:
    """List every subscriber, from the configuration file and the store."""
    config = load_config(config_path)
    from digest.schedule import subscriptions
    from digest.store import Store

    with Store(config.store_address) as store:
        found = subscriptions.subscriptions(config, store, now=datetime.now(UTC))
    if as_json:
        payload = [
            {
                "email": s.subscriber.email,
                "name": s.subscriber.name,
                "timezone": s.subscriber.timezone,
                "at": s.subscriber.send_at.strftime("%H:%M"),
                "frequency": s.subscriber.frequency,
                "sources": list(s.subscriber.sources),
                "status": s.subscriber.status,
                "origin": s.origin,
                "since": s.created.isoformat(),
                "last_digest": s.last_digest.isoformat() if s.last_digest else None,
            }
            for s in found
        ]
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("No subscribers yet; add one with `digest subscribe ADDRESS`.")
        return
    for stored in found:
        each = stored.subscriber
        sources = ", ".join(each.sources) if each.sources else "every source"
        click.echo(f"{each.email}  {each.status}  {_when(each)}  {sources}  ({stored.origin})")


@cli.command()
@config_option
def schedule(config_path: Path | None) -> None:
    """When each active subscriber's next digest is due, in their zone and in UTC."""
    config = load_config(config_path)
    from digest.schedule import upcoming
    from digest.store import Store

    now = datetime.now(UTC)
    with Store(config.store_address) as store:
        rows = upcoming(config, store, now=now)
    if not rows:
        click.echo("No active subscribers.")
        return
    for subscriber, slot in rows:
        local = slot.due.astimezone(ZoneInfo(subscriber.timezone))
        late = "  (due now)" if slot.due <= now else ""
        click.echo(
            f"{subscriber.email}  {local:%a %d %b %Y %H:%M %Z} ({subscriber.timezone})  "
            f"{slot.due:%Y-%m-%d %H:%M} UTC  {subscriber.frequency}{late}"
        )


def _when(subscriber: Subscriber) -> str:
    return f"{subscriber.frequency} at {subscriber.send_at:%H:%M} {subscriber.timezone}"
