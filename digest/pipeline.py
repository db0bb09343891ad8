"""One pass of the pipeline: collect -> extract -> summarize -> render -> queue -> send.

This is the only module that imports every stage. `run_once` runs the collection pass
(`digest.collection`), then queues each subscriber's digest of what is new to them
(`digest.compose`: choose, summarise, render, build the message), while the sender
(`digest.outbox`; from `SENDER_PROCESS_FROM` subscribers on, in a child process:
`digest.background`) sends what is queued. `send_due` does the same for the subscribers
whose send time has come (`digest.periods`), once per period: it is what `digest serve`
runs every minute. A failing source or item is logged and counted and the run goes on; a
failing render stops that subscriber's digest before anything is queued, so the next run
tries again; a digest that cannot be sent now stays in the outbox for the next attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from digest import collect, compose, summarize, tokens
from digest.background import SenderProcess
from digest.collection import CollectionReport, Failure, Progress, collect_all, new_fetcher
from digest.compose import check_templates
from digest.config import Config
from digest.errors import ConfigError, DigestError
from digest.models import Delivery, RenderedDigest, Subscriber, Summary
from digest.outbox import Sender, SendReport, clock_from
from digest.periods import Slot, current_slot, next_slot
from digest.prepare import article_from_item
from digest.store import PeriodTaken, Store, StoredSubscriber
from digest.subscriptions import active_subscribers, find_subscriber, subscriptions
from digest.validation import normalise_email

log = logging.getLogger("digest")

# From this many subscribers on, digests are sent by a child process while this one renders.
SENDER_PROCESS_FROM = 50

__all__ = [
    "Failure",
    "RunReport",
    "check_templates",
    "preview",
    "run_once",
    "send_due",
    "summarize_document",
    "upcoming",
]


@dataclass(slots=True)
class RunReport:
    """What one run did, for the command line to summarise."""

    collection: CollectionReport = field(default_factory=CollectionReport)
    queued: int = 0
    sending: SendReport = field(default_factory=SendReport)
    previews: list[tuple[Subscriber, int, str]] = field(default_factory=list)  # dry run
    nothing_new: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (address, period)
    delivery_failures: list[Failure] = field(default_factory=list)  # digests not queued

    @property
    def delivered(self) -> list[Delivery]:
        return self.sending.sent

    @property
    def failed(self) -> bool:
        """Whether anything failed that the user must see in the exit code."""
        collection = self.collection
        return bool(
            collection.source_failures
            or collection.item_failures
            or self.delivery_failures
            or not self.sending.ok
        )


def run_once(
    config: Config,
    store: Store,
    *,
    now: datetime,
    dry_run: bool = False,
    recipients: tuple[Subscriber, ...] | None = None,
    only: str | None = None,
    outbox: Path | None = None,
    progress: Progress | None = None,
    send: bool = True,
) -> RunReport:
    """Collect every source, then queue and send each subscriber's digest of what is new.

    `now` must be timezone-aware; the sender's clock starts there. Each subscriber's digest
    counts as their digest for the current period (so `digest serve` sends none later that
    day or week). `recipients` replaces the subscribers with one-off addresses, `only`
    picks one subscriber by address, and `outbox` sends this run's digests to that folder
    instead of the configured backend. With `dry_run` digests are rendered but neither
    queued nor marked as delivered; with `send` false they are queued for a later
    ``digest send``. Raises `ConfigError` when there is nobody to send to, the method is
    unknown, or signed links are configured without their key, and `SubscriptionError`
    when `only` is not an active subscriber.
    """
    _check(config)
    if recipients is not None:
        subscribers, subscribed = list(recipients), False
    elif only is not None:
        subscribers, subscribed = [find_subscriber(config, store, only, now=now)], True
    else:
        subscribers, subscribed = active_subscribers(config, store, now=now), True
    if not subscribers:
        raise ConfigError(
            f"{config.path or 'The configuration'} lists no [[subscribers]] and nobody "
            "subscribed; add one, run `digest subscribe ADDRESS`, or pass --to ADDRESS."
        )
    report = RunReport(collection=collect_all(config, store, now=now, progress=progress))
    with _sending(config, store, now=now, active=send and not dry_run, many=len(subscribers),
                  outbox=outbox, report=report) as sender:  # fmt: skip
        for subscriber in subscribers:
            period = current_slot(subscriber, now).period if subscribed else None
            if period is not None and store.period_decided(subscriber.email, period):
                period = None  # this period has its digest: send one more, as asked
            _queue(config, store, subscriber, now=now, period=period, dry_run=dry_run,
                   report=report, sender=sender)  # fmt: skip
    return report


def send_due(config: Config, store: Store, *, now: datetime) -> RunReport:
    """Queue and send the digest of every subscriber whose send time has come and whose
    current period (local day or week) has none yet; this is one tick of `digest serve`.

    A period is decided once: its digest queued, found empty (with ``[schedule]
    send_empty`` false), or skipped when it is due longer ago than ``grace_hours`` (the
    service was down). A subscriber who subscribed after a period's send time starts
    with the next period. Digests deferred earlier are retried when due.
    """
    _check(config)
    report = RunReport()
    grace = timedelta(hours=config.schedule.grace_hours)
    due = []
    for stored in subscriptions(config, store, now=now, status="active"):
        subscriber, slot = stored.subscriber, current_slot(stored.subscriber, now)
        if slot.due > now or not _still_open(store, stored, slot):
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
                report.skipped.append((subscriber.email, slot.period))
            continue
        due.append((subscriber, slot.period))
    with _sending(config, store, now=now, active=True, many=len(due), outbox=None,
                  report=report) as sender:  # fmt: skip
        for subscriber, period in due:
            _queue(config, store, subscriber, now=now, period=period, dry_run=False,
                   report=report, sender=sender, empty=config.schedule.send_empty)  # fmt: skip
    return report


def upcoming(config: Config, store: Store, *, now: datetime) -> list[tuple[Subscriber, Slot]]:
    """Each active subscriber's next send, soonest first: their current period's while it is
    still to be sent (within ``grace_hours``), else the next period's."""
    grace = timedelta(hours=config.schedule.grace_hours)
    found = []
    for stored in subscriptions(config, store, now=now, status="active"):
        current = current_slot(stored.subscriber, now)
        done = not _still_open(store, stored, current) or now - current.due > grace
        found.append((stored.subscriber, next_slot(stored.subscriber, now, done=done)))
    return sorted(found, key=lambda row: row[1].due)


def _still_open(store: Store, stored: StoredSubscriber, slot: Slot) -> bool:
    """Whether `slot` may still get a digest: it began after the subscriber subscribed (a
    new subscriber starts with the next send time) and its digest is not decided yet."""
    email = stored.subscriber.email
    return slot.due >= stored.created and not store.period_decided(email, slot.period)


def summarize_document(
    location: str,
    config: Config,
    *,
    sentences: int | None,
    method: str,
    ratio: float | None = None,
    max_words: int | None = None,
) -> Summary:
    """Fetch or read one document (URL or file) and summarise it within the budget given."""
    with new_fetcher(config) as fetcher:
        item = collect.load_document(location, fetcher)
    article = article_from_item(item, language=config.digest.language)
    return summarize.summarize(
        article, sentences=sentences, method=method, ratio=ratio, max_words=max_words
    )


def preview(
    config: Config, store: Store, *, now: datetime, email: str | None = None
) -> tuple[RenderedDigest, bool]:
    """Render the next digest of the subscriber with `email` (by default the first active
    one, from the file or the store) without collecting, sending or marking anything.

    Returns the rendering and whether it shows sample data (when nothing is new). Raises
    `RenderError` for a template error.
    """
    reader: Subscriber | None = None
    if email is not None:
        try:
            address = normalise_email(email)
        except ValueError:
            address = email
        stored = store.subscriber(address)
        reader = (
            stored.subscriber if stored else Subscriber(address, timezone=config.digest.timezone)
        )
    else:
        active = active_subscribers(config, store, now=now)
        reader = active[0] if active else None
    return compose.preview(config, store, now=now, subscriber=reader)


def _check(config: Config) -> None:
    if config.digest.method not in summarize.METHODS:
        raise ConfigError(
            f"{config.path or 'The configuration'}: [digest] method: unknown method "
            f"{config.digest.method!r}; use one of {', '.join(summarize.METHODS)}."
        )
    if config.web.public_url:
        tokens.secret_key(config.web)  # a missing key is a configuration error, said now


@contextmanager
def _sending(
    config: Config,
    store: Store,
    *,
    now: datetime,
    active: bool,
    many: int,
    outbox: Path | None,
    report: RunReport,
) -> Iterator[Sender | SenderProcess | None]:
    """A sender following the outbox while digests are queued; its report goes to `report`."""
    if not active:
        yield None
        return
    sender: Sender | SenderProcess
    if many >= SENDER_PROCESS_FROM and outbox is None and store.path:
        sender = SenderProcess(config, store.path, start=now)
    else:
        sender = Sender(
            config,
            store,
            clock=clock_from(now),
            outbox=outbox,
            follow=True,
            only_added=outbox is not None,
        )
    sender.start()
    try:
        yield sender
    finally:
        report.sending = sender.finish()


def _queue(
    config: Config,
    store: Store,
    subscriber: Subscriber,
    *,
    now: datetime,
    period: str | None,
    dry_run: bool,
    report: RunReport,
    sender: Sender | SenderProcess | None,
    empty: bool = False,
) -> None:
    """Prepare and queue one subscriber's digest (as `period`'s, when given)."""
    try:
        prepared = compose.prepare(config, store, subscriber, now=now, empty=empty)
    except DigestError as exc:
        log.error("digest for %s not rendered: %s", subscriber.email, exc)
        report.delivery_failures.append(Failure(subscriber.email, str(exc)))
        return
    if prepared is None:
        report.nothing_new.append(subscriber.email)
        if period is not None and not dry_run:
            store.decide_period(subscriber.email, period, status="empty", when=now)
        return
    if dry_run:
        count = len(prepared.article_ids)
        report.previews.append((subscriber, count, prepared.rendered.subject))
        return
    try:
        digest_id = compose.queue(config, store, prepared, now=now, period=period)
    except PeriodTaken:
        log.info("digest for %s for %s was already queued elsewhere", subscriber.email, period)
        return
    report.queued += 1
    if sender is not None:
        sender.add(digest_id)
