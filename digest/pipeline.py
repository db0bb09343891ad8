"""One pass of the pipeline: collect -> extract -> summarize -> render -> deliver.

This is the only module that imports every stage. `run_once` collects every configured
source, stores each new article with its summary, then renders and delivers one digest per
subscriber holding the articles that subscriber has not had yet. A failing source or item is
logged and counted and the run goes on; a failing render or delivery stops that subscriber's
digest before anything is marked as delivered, so the next run tries again.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from digest import cleanup, collect, extract, render, summarize
from digest.config import Config
from digest.deliver import deliver
from digest.errors import ConfigError, DigestError, ExtractError
from digest.models import Article, Delivery, Digest, FeedItem, Source, Subscriber, Summary
from digest.store import Store

log = logging.getLogger("digest")


@dataclass(frozen=True, slots=True)
class Failure:
    """Something that went wrong in a run, in one line."""

    what: str  # a source name, an item URL or an email address
    reason: str


@dataclass(slots=True)
class RunReport:
    """What one run did, for the command line to summarise."""

    sources_read: int = 0
    sources_unchanged: int = 0
    new_articles: int = 0
    duplicates: int = 0
    source_failures: list[Failure] = field(default_factory=list)
    item_failures: list[Failure] = field(default_factory=list)
    delivered: list[Delivery] = field(default_factory=list)
    previews: list[tuple[Subscriber, int, str]] = field(default_factory=list)  # dry run
    nothing_new: list[str] = field(default_factory=list)
    delivery_failures: list[Failure] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether anything failed that the user must see in the exit code."""
        return bool(self.source_failures or self.item_failures or self.delivery_failures)


def run_once(
    config: Config,
    store: Store,
    *,
    now: datetime,
    dry_run: bool = False,
    recipients: tuple[Subscriber, ...] | None = None,
    outbox: Path | None = None,
) -> RunReport:
    """Collect every source, then deliver each subscriber's digest of what is new to them.

    `now` must be timezone-aware. `recipients` replaces the configured subscribers and
    `outbox` replaces the configured delivery with the outbox folder given. With `dry_run`
    digests are rendered but neither delivered nor marked as delivered.
    """
    report = RunReport()
    subscribers = recipients if recipients is not None else config.subscribers
    if not subscribers:
        raise ConfigError(
            f"{config.path or 'The configuration'} lists no [[subscribers]]; add one or "
            "pass --to ADDRESS."
        )
    collect_all(config, store, now=now, report=report)
    for subscriber in subscribers:
        store.sync_subscriber(subscriber, when=now)
        _send_digest(
            config, store, subscriber, now=now, dry_run=dry_run, outbox=outbox, report=report
        )
    return report


def collect_all(config: Config, store: Store, *, now: datetime, report: RunReport) -> None:
    """Collect every configured source into the store, recording failures in `report`."""
    with _fetcher(config) as fetcher:
        for source in config.sources:
            store.sync_source(source)
            _collect_source(config, store, source, fetcher, now=now, report=report)


def _fetcher(config: Config) -> collect.Fetcher:
    return collect.Fetcher(
        timeout=config.http.timeout,
        max_bytes=config.http.max_bytes,
        max_redirects=config.http.max_redirects,
    )


def _collect_source(
    config: Config,
    store: Store,
    source: Source,
    fetcher: collect.Fetcher,
    *,
    now: datetime,
    report: RunReport,
) -> None:
    state = store.source_state(source.name)
    try:
        collected = collect.collect_source(
            source, fetcher, etag=state.etag, last_modified=state.last_modified
        )
    except DigestError as exc:
        # The source's seen items stay as they are: a failed fetch loses no state.
        log.warning("source %s failed: %s", source.name, exc)
        report.source_failures.append(Failure(source.name, str(exc)))
        store.record_fetch(source.name, when=now, status="error", error=str(exc))
        return
    report.sources_read += 1
    if collected.not_modified:
        report.sources_unchanged += 1
        store.record_fetch(source.name, when=now, status="not modified")
        return
    for item in collected.items:
        if store.has_item(source.name, item.guid):
            continue
        _store_item(config, store, source, item, now=now, report=report)
    store.record_fetch(
        source.name,
        when=now,
        status="ok",
        etag=collected.etag,
        last_modified=collected.last_modified,
    )


def _store_item(
    config: Config,
    store: Store,
    source: Source,
    item: FeedItem,
    *,
    now: datetime,
    report: RunReport,
) -> None:
    try:
        summary = summarize_item(item, config, language=source.language)
    except DigestError as exc:
        log.warning("item %s from %s skipped: %s", item.url or item.guid, source.name, exc)
        report.item_failures.append(Failure(item.url or item.guid, str(exc)))
        store.mark_item_seen(source.name, item.guid, when=now)
        return
    _, is_new = store.add_article(
        source.name,
        item.guid,
        summary,
        content_hash=content_hash(summary.article.text),
        when=now,
    )
    if is_new:
        report.new_articles += 1
    else:
        report.duplicates += 1


def article_from_item(item: FeedItem, *, language: str | None = None) -> Article:
    """Turn a raw item into an article with clean text. Raises `ExtractError`."""
    if item.is_full_page:
        page = extract.extract_article(item.content, item.url or None)
        url = page.url if page.url.startswith(("http://", "https://")) else item.url
        article = replace(page, url=url or item.url, title=page.title or item.title)
    else:
        if item.content_type == "html":
            text = cleanup.html_to_text(item.content)
        elif item.content_type == "markdown":
            text = cleanup.markdown_to_text(item.content)
        else:
            text = item.content
        article = Article(url=item.url, title=item.title, text=cleanup.clean_text(text))
    if not article.text.strip():
        raise ExtractError(f"{item.url or item.guid} has no article text.")
    return replace(
        article,
        source=item.source,
        guid=item.guid,
        title=article.title or _title_from_text(article.text),
        published=article.published or item.published,
        author=article.author or item.author,
        language=article.language or language,
    )


def summarize_item(item: FeedItem, config: Config, *, language: str | None = None) -> Summary:
    """Extract and summarise one raw item with the configured method and length."""
    article = article_from_item(item, language=language or config.digest.language)
    return summarize.summarize(
        article, sentences=config.digest.sentences, method=config.digest.method
    )


def summarize_document(location: str, config: Config, *, sentences: int, method: str) -> Summary:
    """Fetch or read one document (URL or file) and summarise it."""
    with _fetcher(config) as fetcher:
        item = collect.load_document(location, fetcher)
    article = article_from_item(item, language=config.digest.language)
    return summarize.summarize(article, sentences=sentences, method=method)


def _send_digest(
    config: Config,
    store: Store,
    subscriber: Subscriber,
    *,
    now: datetime,
    dry_run: bool,
    outbox: Path | None,
    report: RunReport,
) -> None:
    pending = store.undelivered(subscriber.email, limit=config.digest.max_articles)
    if not pending:
        report.nothing_new.append(subscriber.email)
        return
    local_now = now.astimezone(ZoneInfo(subscriber.timezone))
    digest = Digest(
        subscriber=subscriber,
        title=config.digest.title,
        generated_at=local_now,
        items=tuple(
            replace(stored.summary, article=_localised(stored.summary.article, local_now))
            for stored in pending
        ),
        sources=tuple(source.name for source in config.sources),
    )
    try:
        rendered = render.render_digest(digest, template_dir=config.digest.templates)
        if dry_run:
            report.previews.append((subscriber, len(pending), rendered.subject))
            return
        delivery = deliver(rendered, subscriber, config, now=now, outbox=outbox)
    except DigestError as exc:
        log.error("digest for %s not delivered: %s", subscriber.email, exc)
        report.delivery_failures.append(Failure(subscriber.email, str(exc)))
        return
    store.record_delivery(
        subscriber,
        delivery,
        subject=rendered.subject,
        article_ids=[stored.article_id for stored in pending],
        when=now,
    )
    report.delivered.append(delivery)


def _localised(article: Article, local_now: datetime) -> Article:
    if article.published is None:
        return article
    return replace(article, published=article.published.astimezone(local_now.tzinfo))


_WORDS = re.compile(r"\w+")


def content_hash(text: str) -> str:
    """A fingerprint of an article's words, blind to case, spacing and punctuation."""
    words = " ".join(_WORDS.findall(text.lower()))
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def _title_from_text(text: str) -> str:
    first = text.strip().split("\n", 1)[0]
    words = first.split()
    return " ".join(words[:12]) + (" ..." if len(words) > 12 else "")
