"""One pass of the pipeline: collect -> extract -> summarize -> render -> queue -> send.

This is the only module that imports every stage. `run_once` runs the collection pass
(`digest.collection`), then builds each subscriber's digest from the articles that
subscriber has not had yet: it summarises those that have no summary for the configured
method and length (summaries are kept in the store), renders, builds the message and queues
it in the outbox, while the sender (`digest.outbox`; from `SENDER_PROCESS_FROM`
subscribers on, in a child process: `digest.background`) sends what is queued. A failing source
or item is logged and counted and the run goes on; a failing render stops that
subscriber's digest before anything is queued, so the next run tries again; a digest that
cannot be sent now stays in the outbox for the next attempt.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from digest import collect, render, summarize, tokens
from digest.background import SenderProcess
from digest.collection import CollectionReport, Failure, Progress, collect_all, new_fetcher
from digest.config import Config
from digest.errors import ConfigError, DigestError
from digest.message import Envelope, build_message, mailto_unsubscribe
from digest.models import Delivery, Digest, RenderedDigest, Subscriber, Summary
from digest.outbox import Sender, SendReport, clock_from
from digest.prepare import article_from_item
from digest.samples import sample_digest
from digest.store import Store, StoredArticle

log = logging.getLogger("digest")

# From this many subscribers on, digests are sent by a child process while this one renders.
SENDER_PROCESS_FROM = 50

__all__ = ["Failure", "RunReport", "run_once", "summarize_document"]


@dataclass(slots=True)
class RunReport:
    """What one run did, for the command line to summarise."""

    collection: CollectionReport = field(default_factory=CollectionReport)
    queued: int = 0
    sending: SendReport = field(default_factory=SendReport)
    previews: list[tuple[Subscriber, int, str]] = field(default_factory=list)  # dry run
    nothing_new: list[str] = field(default_factory=list)
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
    outbox: Path | None = None,
    progress: Progress | None = None,
    send: bool = True,
) -> RunReport:
    """Collect every source, then queue and send each subscriber's digest of what is new.

    `now` must be timezone-aware; the sender's clock starts there. `recipients` replaces
    the configured subscribers, and `outbox` sends this run's digests to that folder
    instead of the configured backend. With `dry_run` digests are rendered but neither
    queued nor marked as delivered; with `send` false they are queued for a later
    ``digest send``. Raises `ConfigError` when there is nobody to send to, the method is
    unknown, or signed links are configured without their key.
    """
    subscribers = recipients if recipients is not None else config.subscribers
    if not subscribers:
        raise ConfigError(
            f"{config.path or 'The configuration'} lists no [[subscribers]]; add one or "
            "pass --to ADDRESS."
        )
    if config.digest.method not in summarize.METHODS:
        raise ConfigError(
            f"{config.path or 'The configuration'}: [digest] method: unknown method "
            f"{config.digest.method!r}; use one of {', '.join(summarize.METHODS)}."
        )
    if config.web.public_url:
        tokens.secret_key(config.web)  # a missing key is a configuration error, said now
    report = RunReport(collection=collect_all(config, store, now=now, progress=progress))
    sender: Sender | SenderProcess | None = None
    if send and not dry_run:
        if len(subscribers) >= SENDER_PROCESS_FROM and outbox is None and store.path:
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
        for subscriber in subscribers:
            store.sync_subscriber(subscriber, when=now)
            digest_id = _queue_digest(
                config, store, subscriber, now=now, dry_run=dry_run, report=report
            )
            if sender is not None and digest_id is not None:
                sender.add(digest_id)
    finally:
        if sender is not None:
            report.sending = sender.finish()
    return report


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


def _queue_digest(
    config: Config,
    store: Store,
    subscriber: Subscriber,
    *,
    now: datetime,
    dry_run: bool,
    report: RunReport,
) -> int | None:
    """Render and queue the subscriber's digest; returns its outbox id (None if not queued)."""
    pending = store.undelivered(subscriber.email, limit=config.digest.max_articles)
    if not pending:
        report.nothing_new.append(subscriber.email)
        return None
    link = tokens.unsubscribe_link(config.web, subscriber.email)
    digest = build_digest(config, store, subscriber, pending, now=now, unsubscribe_url=link)
    try:
        rendered = _render(config, digest)
    except DigestError as exc:
        log.error("digest for %s not rendered: %s", subscriber.email, exc)
        report.delivery_failures.append(Failure(subscriber.email, str(exc)))
        return None
    if dry_run:
        report.previews.append((subscriber, len(pending), rendered.subject))
        return None
    envelope = Envelope(
        sender=config.delivery.sender,
        recipient=subscriber.email,
        recipient_name=subscriber.name,
        list_name=config.digest.title,
        list_id=config.delivery.list_id,
        unsubscribe_url=link,
    )
    message = build_message(rendered, envelope, now=now)
    digest_id = store.queue_digest(
        subscriber,
        envelope_from=envelope.sender_address,
        subject=rendered.subject,
        message_id=message.message_id,
        message=message.data,
        article_ids=[stored.article_id for stored in pending],
        when=now,
    )
    report.queued += 1
    return digest_id


def build_digest(
    config: Config,
    store: Store,
    subscriber: Subscriber,
    pending: list[StoredArticle],
    *,
    now: datetime,
    unsubscribe_url: str = "",
) -> Digest:
    """The digest of `pending` articles for `subscriber`, summarised as configured.

    Its unsubscribe link is `unsubscribe_url`, else a mailto link to the sender.
    """
    local_now = now.astimezone(ZoneInfo(subscriber.timezone))
    return Digest(
        subscriber=subscriber,
        title=config.digest.title,
        generated_at=local_now,
        items=tuple(_summary(config, store, stored, local_now) for stored in pending),
        sources=tuple(source.name for source in config.sources),
        group_by=config.digest.group_by,
        unsubscribe_url=unsubscribe_url
        or mailto_unsubscribe(config.delivery.sender, subscriber.email),
    )


def preview(
    config: Config, store: Store, *, now: datetime, subscriber: Subscriber | None = None
) -> tuple[RenderedDigest, bool]:
    """Render the next digest without collecting, sending or marking anything.

    It holds what the subscriber (the first configured one by default) has not had yet;
    when that is nothing, it shows sample data. Returns the rendering and whether it is the
    sample. Raises `RenderError` for a template error.
    """
    reader = subscriber or (config.subscribers[0] if config.subscribers else None)
    reader = reader or Subscriber("reader@example.org", timezone=config.digest.timezone)
    pending = store.undelivered(reader.email, limit=config.digest.max_articles)
    if pending:
        digest = build_digest(config, store, reader, pending, now=now)
    else:
        local = now.astimezone(ZoneInfo(reader.timezone))
        digest = replace(sample_digest(local, reader), group_by=config.digest.group_by)
    return _render(config, digest), not pending


def _render(config: Config, digest: Digest) -> RenderedDigest:
    """Render with the configured templates and size limit."""
    return render.render_digest(
        digest, template_dir=config.digest.templates, max_html_bytes=config.digest.max_html_bytes
    )


def check_templates(config: Config, *, template_dir: Path | None, now: datetime) -> list[str]:
    """Problems in the templates (`template_dir`, else the configured folder), one a line."""
    folder = template_dir or config.digest.templates
    return render.check_templates(folder, sample_digest(now))


def _summary(config: Config, store: Store, stored: StoredArticle, local_now: datetime) -> Summary:
    """The stored article's summary, made and kept now if the configuration changed."""
    settings = config.digest
    method = settings.method
    key = f"{method}:{settings.sentences}:{settings.ratio}:{settings.max_words}"
    article = stored.article
    if article.published is not None:
        article = replace(article, published=article.published.astimezone(local_now.tzinfo))
    if stored.summary is not None and stored.summary_key == key:
        return Summary(article=article, sentences=stored.summary, method=method)
    summary = summarize.summarize(
        article,
        sentences=settings.sentences,
        method=method,
        ratio=settings.ratio,
        max_words=settings.max_words,
    )
    store.save_summary(stored.article_id, summary.sentences, key)
    return summary
