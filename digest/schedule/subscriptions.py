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

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from digest.config import Config
from digest.errors import SubscriptionError
from digest.models import WEEKDAYS, Subscriber
from digest.schedule.periods import current_slot
from digest.store import Store, StoredSubscriber
from digest.validation import Invalid, normalise_email, send_time, timezone, weekday


def active_subscribers(config: Config, store: Store, *, now: datetime) -> list[Subscriber]:
    """Everyone who gets digests now, after writing the file's subscribers to the store."""
    found = subscriptions(config, store, now=now, status="active")
    return [stored.subscriber for stored in found]


def subscriptions(
    config: Config, store: Store, *, now: datetime, status: str | None = None
) -> list[StoredSubscriber]:
    """Every subscription (with `status`, when given), after writing the file's subscribers
    to the store; those the file no longer lists are left out."""
    sync_config_subscribers(config, store, now=now)
    listed = {subscriber.email for subscriber in config.subscribers}
    return [
        stored
        for stored in store.subscribers(status=status)
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
        unchanged = (
            stored is not None
            and stored.origin == "config"
            and (replace(stored.subscriber, status=subscriber.status) == subscriber)
        )
        if unchanged:
            continue  # no write: this runs on every tick of the service
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


@dataclass(frozen=True, slots=True)
class Subscribed:
    """What `subscribe` did: the subscriber as stored, whether they are new, and each
    change to one already known, as ``(what, old, new)``."""

    subscriber: Subscriber
    new: bool
    changes: tuple[tuple[str, str, str], ...] = ()


def subscribe(
    config: Config,
    store: Store,
    *,
    now: datetime,
    email: str,
    name: str | None = None,
    zone: str | None = None,
    at: str | None = None,
    weekly: str | None = None,
    daily: bool = False,
    sources: tuple[str, ...] | None = None,
) -> Subscribed:
    """Add an active subscriber from the command line, or change (and resubscribe) a known
    one: only the values given change, the rest and the subscriber's origin stay. A
    subscriber from the configuration file is only resubscribed: the file holds the rest.

    Every value is checked first; raises `SubscriptionError` listing each problem, and
    then stores nothing.
    """
    stored = store.subscriber(_address(email))
    if stored is None:
        subscriber = checked_subscriber(
            config, store, email=email, name=name or "", zone=zone, at=at or "07:00",
            weekly=None if daily else weekly, sources=sources or (),
        )  # fmt: skip
        store.save_subscriber(subscriber, origin="cli", when=now)
        return Subscribed(subscriber, new=True)
    old = stored.subscriber
    if stored.origin == "config":
        subscriber = replace(old, status="active")
    else:
        keep_weekly = WEEKDAYS[old.weekly_on] if old.weekly_on is not None else None
        subscriber = checked_subscriber(
            config,
            store,
            email=old.email,
            name=old.name if name is None else name,
            zone=zone or old.timezone,
            at=at or old.send_at.strftime("%H:%M"),
            weekly=None if daily else (weekly or keep_weekly),
            sources=old.sources if sources is None else sources,
        )
    store.save_subscriber(subscriber, origin=stored.origin, when=now)
    return Subscribed(subscriber, new=False, changes=_changes(old, subscriber))


def _changes(old: Subscriber, new: Subscriber) -> tuple[tuple[str, str, str], ...]:
    def shown(subscriber: Subscriber) -> dict[str, str]:
        return {
            "status": subscriber.status,
            "name": subscriber.name or "(none)",
            "time zone": subscriber.timezone,
            "send time": subscriber.send_at.strftime("%H:%M"),
            "frequency": subscriber.frequency,
            "sources": ", ".join(subscriber.sources) or "(all)",
        }

    before, after = shown(old), shown(new)
    return tuple(
        (what, before[what], after[what]) for what in before if before[what] != after[what]
    )


def checked_subscriber(
    config: Config,
    store: Store,
    *,
    email: str,
    name: str = "",
    zone: str | None = None,
    at: str = "07:00",
    weekly: str | None = None,
    sources: tuple[str, ...] = (),
    status: str = "active",
) -> Subscriber:
    """A subscriber from raw values, each checked; raises `SubscriptionError` listing every
    problem (the names of the options: --tz, --at, --weekly, --sources)."""
    problems: list[str] = []
    try:
        address = normalise_email(email, test_addresses=config.delivery.allow_test_addresses)
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
    checked_day = weekday(weekly) if weekly else None
    if isinstance(checked_day, Invalid):
        problems.append(f"--weekly {checked_day}.")
    wanted = tuple(dict.fromkeys(source.strip() for source in sources if source.strip()))
    known = known_sources(config, store)
    for source in wanted:
        if source not in known:
            problems.append(f"--sources: no source is named {source!r}; see `digest sources list`.")
    if problems:
        raise SubscriptionError(problems)
    return Subscriber(
        email=address,
        name=" ".join(name.split())[:200],
        timezone=zone,
        send_at=checked_time,
        weekly_on=checked_day,
        sources=wanted,
        status=status,
    )


@dataclass(frozen=True, slots=True)
class SignUp:
    """What a sign-up from the web page led to: which mail to send, to whom."""

    subscriber: StoredSubscriber
    mail: str  # "confirm" (a new or pending address), "already" (active), or "" (none)


def sign_up(config: Config, store: Store, *, now: datetime, **values: Any) -> SignUp:
    """Record a sign-up as pending (an active subscriber keeps their subscription).

    Raises `SubscriptionError` for bad values. The page says the same whatever the address's
    state; the mail tells its owner. No mail is sent beyond ``[web]
    mails_per_address_per_day``.
    """
    wanted = checked_subscriber(config, store, status="pending", **values)
    known = store.subscriber(wanted.email)
    if known is None or known.subscriber.status != "active":
        store.save_subscriber(wanted, origin="web", when=now)
        mail = "confirm"
    else:
        mail = "already"
    stored = store.subscriber(wanted.email)
    assert stored is not None  # just saved
    recent = store.notices_since(wanted.email, now - timedelta(days=1))
    if recent >= config.web.mails_per_address_per_day:
        mail = ""
    return SignUp(stored, mail)


def confirm(store: Store, subscriber_id: int, *, now: datetime) -> StoredSubscriber | None:
    """Make a pending subscriber active (an active one stays so); None for anyone else."""
    stored = store.subscriber_by_id(subscriber_id)
    if stored is None or stored.subscriber.status == "unsubscribed":
        return None
    if stored.subscriber.status == "pending":
        store.set_status_by_id(subscriber_id, "active", when=now, confirmed=True)
    return store.subscriber_by_id(subscriber_id)


def update_preferences(
    config: Config, store: Store, stored: StoredSubscriber, *, now: datetime, **values: Any
) -> Subscriber:
    """Change a subscriber's zone, send time, frequency and sources from the preferences page.

    The change applies from the next period: when this period's digest went already and the
    new settings put the subscriber in a period whose send time has passed (another zone's
    day), that period counts as done rather than sending a second digest at once. Raises
    `SubscriptionError` for bad values, or for a subscriber the configuration file manages.
    """
    if stored.origin == "config":
        raise SubscriptionError(
            "This subscription is set in the configuration file; ask its operator to change it."
        )
    old = stored.subscriber
    new = checked_subscriber(
        config, store, email=old.email, name=old.name, status=old.status, **values
    )
    store.save_subscriber(new, origin=stored.origin, when=now)
    before, after = current_slot(old, now), current_slot(new, now)
    moved = after.period != before.period and after.due <= now
    if moved and store.period_decided(old.email, before.period):
        store.decide_period(old.email, after.period, status="skipped", when=now)
    return new


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
    """The canonical form of an address to look up (test domains too: a lookup adds no one)."""
    try:
        return normalise_email(email, test_addresses=True)
    except ValueError as exc:
        raise SubscriptionError(str(exc)) from None
