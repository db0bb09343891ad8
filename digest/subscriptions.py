"""Subscriptions: who gets a digest, from the configuration file and the store together.

Subscribers listed in the configuration file are written to the store whenever digest runs
(``origin = config``); their name, time zone, send time, frequency and sources follow the
file. Subscribers added with ``digest subscribe`` (``cli``) or the sign-up page (``web``)
live in the store only. An address in both is the file's. A subscriber who unsubscribed
stays unsubscribed even while the file still lists them, and one removed from the file gets
no more digests. Addresses are checked and normalised (lower case, IDNA domain) first, so
one person is one subscriber however they typed their address.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from digest.config import Config
from digest.errors import SubscriptionError
from digest.models import Subscriber
from digest.store import Store
from digest.validation import Invalid, normalise_email, send_time, timezone, weekday


def active_subscribers(config: Config, store: Store, *, now: datetime) -> list[Subscriber]:
    """Everyone who gets digests now, after writing the file's subscribers to the store."""
    sync_config_subscribers(config, store, now=now)
    listed = {subscriber.email for subscriber in config.subscribers}
    return [
        stored.subscriber
        for stored in store.subscribers(status="active")
        if stored.origin != "config" or stored.subscriber.email in listed
    ]


def sync_config_subscribers(config: Config, store: Store, *, now: datetime) -> None:
    """Write the configuration file's subscribers to the store, keeping their status."""
    unknown = sorted(
        {name for each in config.subscribers for name in each.sources}
        - known_sources(config, store)
    )
    if unknown:
        raise SubscriptionError(
            [f"{config.path or 'The configuration'}: [[subscribers]] sources: no source is "
             f"named {name!r}; see `digest sources list`." for name in unknown]
        )  # fmt: skip
    for subscriber in config.subscribers:
        stored = store.subscriber(subscriber.email)
        if stored is not None and stored.origin == "config":
            if replace(stored.subscriber, status=subscriber.status) == subscriber:
                continue  # unchanged: no write (this runs on every tick of the service)
        store.save_subscriber(subscriber, origin="config", when=now, keep_status=True)


def find_subscriber(config: Config, store: Store, email: str, *, now: datetime) -> Subscriber:
    """The active subscriber with this address. Raises `SubscriptionError` if there is none."""
    address = _address(email)
    for subscriber in active_subscribers(config, store, now=now):
        if subscriber.email == address:
            return subscriber
    stored = store.subscriber(address)
    state = f"is {stored.subscriber.status}" if stored else "is not a subscriber"
    raise SubscriptionError(f"{address} {state}; see `digest subscribers`.")


def subscribe(
    config: Config,
    store: Store,
    *,
    email: str,
    name: str = "",
    zone: str | None = None,
    at: str = "07:00",
    weekly: str | None = None,
    sources: tuple[str, ...] = (),
    now: datetime,
) -> Subscriber:
    """Add (or update, or resubscribe) an active subscriber from the command line.

    Every value is checked first; raises `SubscriptionError` listing each problem, and
    then stores nothing.
    """
    problems: list[str] = []
    try:
        address = normalise_email(email)
    except ValueError as exc:
        problems.append(str(exc))
        address = ""
    zone = zone or config.digest.timezone
    checked_zone = timezone(zone)
    if isinstance(checked_zone, Invalid):
        problems.append(f"--tz {checked_zone}.")
    checked_time = send_time(at)
    if isinstance(checked_time, Invalid):
        problems.append(f"--at {checked_time}.")
    checked_day = weekday(weekly) if weekly is not None else None
    if isinstance(checked_day, Invalid):
        problems.append(f"--weekly {checked_day}.")
    wanted = tuple(dict.fromkeys(source.strip() for source in sources if source.strip()))
    known = known_sources(config, store)
    for source in wanted:
        if source not in known:
            problems.append(f"--sources: no source is named {source!r}; see `digest sources list`.")
    if problems:
        raise SubscriptionError(problems)
    subscriber = Subscriber(
        email=address,
        name=" ".join(name.split()),
        timezone=zone,
        send_at=checked_time,
        weekly_on=checked_day,
        sources=wanted,
    )
    stored = store.subscriber(address)
    origin = stored.origin if stored is not None and stored.origin == "config" else "cli"
    if origin == "config":
        subscriber = replace(stored.subscriber, status="active")  # type: ignore[union-attr]
    store.save_subscriber(subscriber, origin=origin, when=now)
    return subscriber


def unsubscribe(store: Store, email: str, *, now: datetime) -> str:
    """Stop digests to `email`; returns the normalised address. Raises `SubscriptionError`
    when it is not a subscriber."""
    address = _address(email)
    if not store.set_status(address, "unsubscribed", when=now):
        raise SubscriptionError(f"{address} is not a subscriber; see `digest subscribers`.")
    return address


def known_sources(config: Config, store: Store) -> set[str]:
    """The names of every source, in the file and added on the command line."""
    return {source.name for source in config.sources} | {
        source.name for source in store.sources(origin="cli")
    }


def _address(email: str) -> str:
    try:
        return normalise_email(email)
    except ValueError as exc:
        raise SubscriptionError(str(exc)) from None
