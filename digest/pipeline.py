"""One pass of the pipeline: collect -> extract -> summarize -> render -> queue -> send.

This is the only module that drives every stage. `run_once` runs the collection pass
(`digest.collect`, which makes articles with `digest.extract`), then prepares each
subscriber's digest of what is new to them (chosen from the store, summarised by
`digest.summarize` and kept, rendered by `digest.render`) and queues it in the outbox
(`digest.deliver`), while the sender (from `SENDER_PROCESS_FROM` subscribers on, in a child
process) sends what is queued. `send_due` does the same for the subscribers whose send time
has come (`digest.schedule`), once per period: it is what `digest serve` runs every minute.
A failing source or item is logged and counted and the run goes on; a failing render stops
that subscriber's digest before anything is queued, so the next run tries again; a digest
that cannot be sent now stays in the outbox for the next attempt.

Which articles a digest holds: those stored since the subscriber's previous digest (the
newest article stored when it was made marks the line; a new subscriber's first digest
holds what was first seen within ``[schedule] first_digest_hours``), from the subscriber's
sources (all when they chose none), that no digest of theirs holds, newest first. Beyond
``[digest] max_articles`` the oldest are left out and the digest says how many.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from digest import collect, deliver, render, summarize, tokens
from digest.collect import CollectionReport, Failure, Progress, Share
from digest.collect.urls import canonical_url
from digest.config import Config
from digest.deliver import STOPPED, Sender, SenderProcess, SendReport, clock_from
from digest.errors import ConfigError, DigestError
from digest.extract import article_from_item
from digest.models import Delivery, RenderedDigest, Subscriber, Summary
from digest.render import check_templates
from digest.schedule import active_subscribers, current_slot, due_now, find_subscriber
from digest.store import Store, StoredArticle
from digest.validation import normalise_email

log = logging.getLogger("digest")

# From this many subscribers on, digests are sent by a child process while this one renders.
SENDER_PROCESS_FROM = 50

# Articles looked at beyond the ones shown, to count those left out.
_LOOK_BEYOND = 1000

__all__ = [
    "Failure",
    "RunReport",
    "check_templates",
    "choose_articles",
    "collect_all",
    "preview",
    "run_once",
    "send_due",
    "summarize_document",
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
    periods: list[str] = field(default_factory=list)  # whose current period this run decided
    stopped: bool = False  # by Ctrl-C: what was done is kept, the rest comes next time
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
            or collection.full_text_notes
            or self.delivery_failures
            or not self.sending.ok
        )


@dataclass(frozen=True, slots=True)
class Chosen:
    """The articles for one digest, and how many more were left out."""

    articles: list[StoredArticle]
    omitted: int
    newest_article_id: int  # the newest article stored when they were chosen


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A rendered digest, ready to be built into a message and queued."""

    rendered: RenderedDigest
    article_ids: tuple[int, ...]
    newest_article_id: int
    unsubscribe_url: str  # the signed one-click link; empty without [web] public_url


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
    stop: threading.Event | None = None,
) -> RunReport:
    """Collect every source, then queue and send each subscriber's digest of what is new.

    Once `stop` is set (Ctrl-C) the run winds down: what was collected is kept, no further
    digest is queued, the sender stops after the message in hand (queued digests wait in
    the outbox for `digest send`), and the report says `stopped`.

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
    report = RunReport()
    # The sender starts first: a child process's start-up then overlaps the collection.
    with _sending(config, store, now=now, active=send and not dry_run, many=len(subscribers),
                  outbox=outbox, report=report, stop=stop) as sender:  # fmt: skip
        report.collection = collect_all(config, store, now=now, progress=progress, stop=stop)
        report.stopped = report.collection.stopped
        if report.stopped:
            return report
        with _batch(config, store, now=now, report=report, sender=sender) as batch:
            for subscriber in subscribers:
                if stop is not None and stop.is_set():
                    report.stopped = True
                    break
                period = current_slot(subscriber, now).period if subscribed else None
                if period is not None and store.period_decided(subscriber.email, period):
                    period = None  # this period has its digest: send one more, as asked
                _queue(config, store, subscriber, now=now, period=period, dry_run=dry_run,
                       report=report, batch=batch)  # fmt: skip
    return report


def send_due(
    config: Config,
    store: Store,
    *,
    now: datetime,
    claim: Callable[[Subscriber, str], bool] | None = None,
) -> RunReport:
    """Queue and send the digest of every subscriber whose send time has come and whose
    current period (local day or week) has none yet; this is one tick of `digest serve`.

    A period is decided once (`digest.schedule.due_now`): its digest queued, found empty
    (with ``[schedule] send_empty`` false), or skipped when it is due longer ago than
    ``grace_hours``. Digests deferred earlier are retried when due. With `claim`, a digest
    is made only when `claim(subscriber, period)` is true (this worker's to make, when
    several share the store).
    """
    _check(config)
    due = due_now(config, store, now=now)
    report = RunReport(skipped=due.skipped)
    with _sending(config, store, now=now, active=True, many=len(due.digests), outbox=None,
                  report=report) as sender, \
            _batch(config, store, now=now, report=report, sender=sender) as batch:  # fmt: skip
        for subscriber, period in due.digests:
            if claim is not None and not claim(subscriber, period):
                continue
            _queue(config, store, subscriber, now=now, period=period, dry_run=False,
                   report=report, batch=batch, empty=config.schedule.send_empty)  # fmt: skip
    return report


def collect_all(
    config: Config,
    store: Store,
    *,
    now: datetime,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    share: Share | None = None,
) -> CollectionReport:
    """Collect every source into the store (with `share`, those this worker claims), each
    new item made into an article with clean text by the extraction stage; return what
    happened (see `digest.collect.collect_all`)."""
    return collect.collect_all(
        config,
        store,
        now=now,
        make_article=article_from_item,
        progress=progress,
        stop=stop,
        share=share,
    )


def choose_articles(
    config: Config, store: Store, subscriber: Subscriber, *, now: datetime
) -> Chosen:
    """The articles new to `subscriber` (see the module's docstring)."""
    newest = store.newest_article_id()  # read first: anything stored later is for next time
    previous = store.previous_digest(subscriber.email)
    since: datetime | None = None
    after_id: int | None = None
    if previous is None:
        since = now - timedelta(hours=config.schedule.first_digest_hours)
    elif previous[1] is None:
        since = previous[0]
    else:
        after_id = previous[1]
    limit = config.digest.max_articles
    found = store.undelivered(
        subscriber.email,
        limit=limit + _LOOK_BEYOND,
        since=since,
        after_id=after_id,
        sources=subscriber.sources,
    )
    return Chosen(found[:limit], max(0, len(found) - limit), newest)


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
    with collect.new_fetcher(config) as fetcher:
        item = collect.load_document(location, fetcher)
    article = article_from_item(item, config.digest.language)
    article = replace(article, url=canonical_url(article.url))
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
    reader = reader or Subscriber("reader@example.org", timezone=config.digest.timezone)
    chosen = choose_articles(config, store, reader, now=now)
    if chosen.articles:
        digest = render.build_digest(
            config, reader, _summaries(config, store, chosen.articles), now=now
        )
    else:
        digest = render.sample_for(config, reader, now=now)
    return render.render_with(config, digest), not chosen.articles


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
    stop: threading.Event | None = None,
) -> Iterator[Sender | SenderProcess | None]:
    """A sender following the outbox while digests are queued; its report goes to `report`.
    Once `stop` is set, the sender finishes the message in hand and stops."""
    if not active:
        yield None
        return
    sender: Sender | SenderProcess
    if many >= SENDER_PROCESS_FROM and outbox is None and store.address is not None:
        sender = SenderProcess(config, store.address, start=now)
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
        if stop is not None and stop.is_set():
            if isinstance(sender, Sender):
                sender.stop(STOPPED)
            else:
                sender.stop()
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
    batch: deliver.DigestBatch,
    empty: bool = False,
) -> None:
    """Prepare one subscriber's digest (as `period`'s, when given) and add it to `batch`."""
    try:
        prepared = _prepare(config, store, subscriber, now=now, empty=empty)
    except DigestError as exc:
        log.error("digest for %s not rendered: %s", subscriber.email, exc)
        report.delivery_failures.append(Failure(subscriber.email, str(exc)))
        return
    if prepared is None:
        report.nothing_new.append(subscriber.email)
        if period is None or dry_run:
            return
        if store.decide_period(subscriber.email, period, status="empty", when=now):
            report.periods.append(subscriber.email)
        return
    if dry_run:
        count = len(prepared.article_ids)
        report.previews.append((subscriber, count, prepared.rendered.subject))
        return
    batch.add(
        subscriber,
        prepared.rendered,
        unsubscribe_url=prepared.unsubscribe_url,
        article_ids=prepared.article_ids,
        newest_article_id=prepared.newest_article_id,
        period=period,
    )


@contextmanager
def _batch(
    config: Config,
    store: Store,
    *,
    now: datetime,
    report: RunReport,
    sender: Sender | SenderProcess | None,
) -> Iterator[deliver.DigestBatch]:
    """A batch queueing digests a few at a time, telling `report` and `sender` of each."""

    def queued(done: deliver.Queued) -> None:
        if done.digest_id is None:
            log.info(
                "digest for %s for %s was already queued elsewhere",
                done.subscriber.email,
                done.period,
            )
            return
        report.queued += 1
        if done.period is not None:
            report.periods.append(done.subscriber.email)
        if sender is not None:
            sender.add(done.digest_id)

    with deliver.DigestBatch(config, store, now=now, on_queued=queued) as batch:
        yield batch


def _prepare(
    config: Config, store: Store, subscriber: Subscriber, *, now: datetime, empty: bool
) -> _Prepared | None:
    """Choose, summarise and render `subscriber`'s digest; None when nothing is new (unless
    `empty`, which renders a digest saying so). Raises `RenderError` for a template error
    and `ConfigError` when signed links lack their key."""
    chosen = choose_articles(config, store, subscriber, now=now)
    if not chosen.articles and not empty:
        return None
    link = preferences = ""
    if config.web.public_url:  # signed links to the subscriber's pages
        holder = tokens.Holder(*store.recipient_keys(subscriber, when=now))
        link = tokens.link(config.web, "unsubscribe", holder)
        preferences = tokens.link(config.web, "preferences", holder)
    digest = render.build_digest(
        config,
        subscriber,
        _summaries(config, store, chosen.articles),
        now=now,
        unsubscribe_url=link,
        preferences_url=preferences,
        omitted=chosen.omitted,
    )
    return _Prepared(
        rendered=render.render_with(config, digest),
        article_ids=tuple(stored.article_id for stored in chosen.articles),
        newest_article_id=chosen.newest_article_id,
        unsubscribe_url=link,
    )


def _summaries(config: Config, store: Store, chosen: list[StoredArticle]) -> Iterator[Summary]:
    """Each chosen article's summary: the one kept in the store while the configuration that
    made it holds, else made now and kept."""
    settings = config.digest
    method = settings.method
    key = f"{method}:{settings.sentences}:{settings.ratio}:{settings.max_words}"
    for stored in chosen:
        if stored.article.teaser:  # shown as the feed's teaser, never as key sentences
            yield Summary(article=stored.article, sentences=(), method=method)
            continue
        if stored.summary is not None and stored.summary_key == key:
            yield Summary(article=stored.article, sentences=stored.summary, method=method)
            continue
        summary = summarize.summarize(
            stored.article,
            sentences=settings.sentences,
            method=method,
            ratio=settings.ratio,
            max_words=settings.max_words,
        )
        store.save_summary(stored.article_id, summary.sentences, key)
        yield summary
