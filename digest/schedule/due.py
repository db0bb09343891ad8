"""Who is due: the periods still open, the digests due now, and each subscriber's next send.

A period is decided once, in the store: its digest queued, found empty, or skipped when it
came due longer ago than ``[schedule] grace_hours`` (the service was down). A subscriber
who subscribed after a period's send time starts with the next period.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from digest.config import Config
from digest.models import Subscriber
from digest.schedule.periods import Slot, current_slot, next_slot
from digest.schedule.subscriptions import subscriptions
from digest.store import Store, StoredSubscriber

__all__ = ["Due", "due_now", "still_open", "upcoming"]

log = logging.getLogger("digest")


@dataclass(slots=True)
class Due:
    """The digests to make now, and the periods given up because they came due too long ago."""

    digests: list[tuple[Subscriber, str]] = field(default_factory=list)  # (subscriber, period)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (address, period)


def due_now(config: Config, store: Store, *, now: datetime) -> Due:
    """Every active subscriber whose send time has come and whose current period (local day
    or week) is still open; a period due longer ago than ``grace_hours`` is decided as
    skipped here, and logged."""
    grace = timedelta(hours=config.schedule.grace_hours)
    found = Due()
    for stored in subscriptions(config, store, now=now, status="active"):
        subscriber, slot = stored.subscriber, current_slot(stored.subscriber, now)
        if slot.due > now or not still_open(store, stored, slot):
            continue
        if now - slot.due > grace:
            if store.decide_period(subscriber.email, slot.period, status="skipped", when=now):
                log.warning(
                    "digest for %s for %s skipped: due at %s, more than %g hours ago",
                    subscriber.email,
                    slot.period,
                    slot.due.isoformat(timespec="minutes"),
                    config.schedule.grace_hours,
                )
                found.skipped.append((subscriber.email, slot.period))
            continue
        found.digests.append((subscriber, slot.period))
    return found


def upcoming(config: Config, store: Store, *, now: datetime) -> list[tuple[Subscriber, Slot]]:
    """Each active subscriber's next send, soonest first: their current period's while it is
    still to be sent (within ``grace_hours``), else the next period's."""
    grace = timedelta(hours=config.schedule.grace_hours)
    found = []
    for stored in subscriptions(config, store, now=now, status="active"):
        current = current_slot(stored.subscriber, now)
        done = not still_open(store, stored, current) or now - current.due > grace
        found.append((stored.subscriber, next_slot(stored.subscriber, now, done=done)))
    return sorted(found, key=lambda row: row[1].due)


def still_open(store: Store, stored: StoredSubscriber, slot: Slot) -> bool:
    """Whether `slot` may still get a digest: it began after the subscriber subscribed (a
    new subscriber starts with the next send time) and its digest is not decided yet."""
    email = stored.subscriber.email
    return slot.due >= stored.created and not store.period_decided(email, slot.period)
