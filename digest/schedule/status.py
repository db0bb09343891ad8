"""What the service is doing, in one read: the last collection, the sources failing, the
outbox, today's digests and the next sends.

Read-only, and bounded by what it shows: every query goes through an index (the outbox by
status, articles by first-seen time, periods by subscriber). `digest status` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from digest.collect.sources import all_sources
from digest.config import Config
from digest.schedule.due import still_open, upcoming
from digest.schedule.periods import current_slot
from digest.schedule.subscriptions import subscriptions
from digest.store import OutboxEntry, Store
from digest.store.sources import FAILED

__all__ = ["FailingSource", "Status", "TodaysDigest", "status", "status_json"]

RECENT = timedelta(hours=24)
"""New articles are counted over this window."""


@dataclass(frozen=True, slots=True)
class FailingSource:
    """A source whose last fetch failed or was deferred, with why, since when it has been
    failing and how many fetches have failed since."""

    name: str
    status: str
    error: str
    last_fetched: datetime | None
    since: datetime | None = None
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class TodaysDigest:
    """An active subscriber's current period (today, or this week) and what became of it:
    ``sent``, ``queued``, ``sending``, ``deferred`` or ``failed`` (in the outbox), ``empty``
    (nothing new), ``skipped`` (due too long ago), ``due`` (to be sent at the next tick), or
    ``later`` (its send time is still ahead)."""

    email: str
    period: str
    due: datetime
    state: str


@dataclass(slots=True)
class Status:
    """One read of the service's state, at `now`."""

    now: datetime
    last_collection: datetime | None = None
    sources: int = 0
    new_articles: int = 0  # first seen within `RECENT`
    failing: list[FailingSource] = field(default_factory=list)
    outbox: dict[str, int] = field(default_factory=dict)
    waiting: list[OutboxEntry] = field(default_factory=list)  # deferred, with their next try
    failed: list[OutboxEntry] = field(default_factory=list)
    today: list[TodaysDigest] = field(default_factory=list)
    next_sends: list[tuple[str, datetime]] = field(default_factory=list)


def status(config: Config, store: Store, *, now: datetime) -> Status:
    """The service's state at `now` (see the module's docstring)."""
    found = Status(now=now, outbox=store.outbox_counts())
    for source in all_sources(config, store):
        state = store.source_state(source.name)
        found.sources += 1
        if state.last_fetched is not None and (
            found.last_collection is None or state.last_fetched > found.last_collection
        ):
            found.last_collection = state.last_fetched
        if state.last_status in FAILED:
            found.failing.append(
                FailingSource(
                    source.name,
                    state.last_status,
                    state.last_error or "",
                    state.last_fetched,
                    since=state.failing_since,
                    attempts=state.failed_attempts,
                )
            )
    found.new_articles = store.articles_since(now - RECENT)
    found.waiting = store.outbox_entries(("deferred",))
    found.failed = store.outbox_entries(("failed",))
    for stored in subscriptions(config, store, now=now, status="active"):
        subscriber = stored.subscriber
        slot = current_slot(subscriber, now)
        outcome = store.period_outcome(subscriber.email, slot.period)
        if outcome is not None:
            decided, in_outbox = outcome
            became = in_outbox if decided == "queued" and in_outbox else decided
        elif not still_open(store, stored, slot):
            became = "later"  # subscribed after this period's send time: starts with the next
        else:
            became = "due" if slot.due <= now else "later"
        found.today.append(TodaysDigest(subscriber.email, slot.period, slot.due, became))
    found.next_sends = [(s.email, slot.due) for s, slot in upcoming(config, store, now=now)]
    return found


def status_json(found: Status) -> dict[str, Any]:
    """`found` as plain JSON values: what `digest status --json` prints and ``/status.json``
    answers."""

    def stamp(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "now": stamp(found.now),
        "collection": {
            "last": stamp(found.last_collection),
            "sources": found.sources,
            "new_articles_24h": found.new_articles,
            "failing": [
                {
                    "name": s.name,
                    "status": s.status,
                    "error": s.error,
                    "last_tried": stamp(s.last_fetched),
                    "failing_since": stamp(s.since),
                    "attempts": s.attempts,
                }
                for s in found.failing
            ],
        },
        "outbox": {
            "counts": found.outbox,
            "deferred": [
                {
                    "id": e.id,
                    "recipient": e.recipient,
                    "next_attempt": stamp(e.next_attempt),
                    "last_reply": e.last_reply,
                }
                for e in found.waiting
            ],
            "failed": [
                {"id": e.id, "recipient": e.recipient, "last_reply": e.last_reply}
                for e in found.failed
            ],
        },
        "today": [
            {"email": t.email, "period": t.period, "due": stamp(t.due), "state": t.state}
            for t in found.today
        ],
        "next_sends": [{"email": email, "due": stamp(due)} for email, due in found.next_sends],
    }
