"""The collection pass: every source read, its new items extracted and stored.

Sources are read in worker threads (bounded by ``[http] concurrency``; requests to one host
are bounded by ``[http] per_host`` inside the fetcher). A worker fetches and parses its
source, skips the items the store has seen, fetches the full page behind a teaser, and
turns each new item into clean text with fingerprints. The store is written from the
calling thread only, one transaction per source, where duplicates across sources are
resolved. A failing source or item is recorded with its reason and the pass goes on;
a source that failed keeps every item it had seen.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from digest import cleanup, collect, extract, fingerprint
from digest.config import Config
from digest.errors import DigestError, ExtractError
from digest.fetch import Fetcher, RetryLater
from digest.models import Article, CollectedArticle, FeedItem, Source
from digest.sources import all_sources
from digest.store import SourceState, Store
from digest.urls import canonical_url

log = logging.getLogger("digest")

DEDUP_WINDOW = timedelta(days=30)
"""How far back a new article is compared with stored ones for near-duplicates."""

Progress = Callable[[int, int, str], None]
"""Called after each source with (sources done, sources in all, the source's name)."""


@dataclass(frozen=True, slots=True)
class Failure:
    """Something that went wrong in a run, in one line."""

    what: str  # a source name, an item URL or an email address
    reason: str


@dataclass(slots=True)
class CollectionReport:
    """What one collection pass did."""

    sources_read: int = 0
    sources_unchanged: int = 0
    sources_deferred: int = 0
    new_articles: int = 0
    duplicates: int = 0
    source_failures: list[Failure] = field(default_factory=list)
    item_failures: list[Failure] = field(default_factory=list)
    full_text_failures: list[Failure] = field(default_factory=list)


@dataclass(slots=True)
class _Gathered:
    """What a worker brings back from one source."""

    source: Source
    collected: collect.Collected | None = None
    articles: list[CollectedArticle] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    error: DigestError | None = None
    item_failures: list[Failure] = field(default_factory=list)
    full_text_failures: list[Failure] = field(default_factory=list)


def new_fetcher(config: Config) -> Fetcher:
    """The run's HTTP client, configured from ``[http]``."""
    http = config.http
    return Fetcher(
        timeout=http.timeout,
        total_timeout=http.total_timeout,
        max_bytes=http.max_bytes,
        max_decompressed_bytes=http.max_decompressed_bytes,
        max_redirects=http.max_redirects,
        per_host=http.per_host,
        max_retry_wait=http.max_retry_wait,
    )


def collect_all(
    config: Config,
    store: Store,
    *,
    now: datetime,
    fetcher: Fetcher | None = None,
    progress: Progress | None = None,
) -> CollectionReport:
    """Collect every source into the store; return what happened."""
    report = CollectionReport()
    for source in config.sources:
        store.sync_source(source)
    sources = all_sources(config, store)
    index = fingerprint.NearDuplicateIndex(store.fingerprints(since=now - DEDUP_WINDOW))
    own_fetcher = fetcher is None
    http = fetcher or new_fetcher(config)
    try:
        with ThreadPoolExecutor(max_workers=config.http.concurrency) as pool:
            futures = {}
            for source in sources:
                state = store.source_state(source.name)
                if state.retry_after is not None and state.retry_after > now:
                    report.sources_deferred += 1
                    log.info("source %s deferred until %s", source.name, state.retry_after)
                    continue
                seen = store.seen_guids(source.name)
                futures[pool.submit(_gather, source, http, state, seen, config)] = source
            for done, future in enumerate(as_completed(futures), start=1):
                _record(store, index, future.result(), now=now, report=report)
                if progress is not None:
                    progress(done, len(futures), futures[future].name)
    finally:
        if own_fetcher:
            http.close()
    return report


def _gather(
    source: Source, fetcher: Fetcher, state: SourceState, seen: set[str], config: Config
) -> _Gathered:
    """Read one source and prepare its new items; never raises for a bad source or item."""
    gathered = _Gathered(source)
    try:
        gathered.collected = collect.collect_source(
            source, fetcher, etag=state.etag, last_modified=state.last_modified
        )
    except DigestError as exc:
        gathered.error = exc
        return gathered
    for item in gathered.collected.items:
        if item.guid in seen:
            continue
        seen.add(item.guid)  # a feed listing one entry twice yields it once
        if collect.needs_full_text(item, source.full_text):
            try:
                item = collect.fetch_full_text(item, source, fetcher)
            except DigestError as exc:  # keep the teaser: something beats nothing
                gathered.full_text_failures.append(Failure(item.url, str(exc)))
        try:
            article = article_from_item(item, language=source.language or config.digest.language)
        except DigestError as exc:
            gathered.item_failures.append(Failure(item.url or item.guid, str(exc)))
            gathered.skipped.append(item.guid)
            continue
        gathered.articles.append(
            CollectedArticle(
                guid=item.guid,
                article=article,
                content_hash=content_hash(article.text),
                simhash=fingerprint.simhash(article.text),
            )
        )
    return gathered


def _record(
    store: Store,
    index: fingerprint.NearDuplicateIndex,
    gathered: _Gathered,
    *,
    now: datetime,
    report: CollectionReport,
) -> None:
    name = gathered.source.name
    for failure in gathered.full_text_failures:
        log.warning("full text of %s not fetched, keeping the feed's text: %s", *_pair(failure))
    report.full_text_failures.extend(gathered.full_text_failures)
    if gathered.error is not None or gathered.collected is None:
        error = gathered.error
        until = error.until if isinstance(error, RetryLater) else None
        log.warning("source %s failed: %s", name, error)
        report.source_failures.append(Failure(name, str(error)))
        status = "deferred" if until else "error"
        store.record_fetch(name, when=now, status=status, error=str(error), retry_after=until)
        return
    report.sources_read += 1
    collected = gathered.collected
    if collected.not_modified:
        report.sources_unchanged += 1
        store.record_fetch(name, when=now, status="not modified")
        return
    pairs = [
        (article, index.find(article.simhash) if article.simhash is not None else None)
        for article in gathered.articles
    ]
    results = store.store_items(name, pairs, gathered.skipped, when=now)
    for (article_id, is_new), article in zip(results, gathered.articles, strict=True):
        if is_new:
            report.new_articles += 1
            if article.simhash is not None:
                index.add(article_id, article.simhash)
        else:
            report.duplicates += 1
    for failure in gathered.item_failures:
        log.warning("item %s from %s skipped: %s", failure.what, name, failure.reason)
    report.item_failures.extend(gathered.item_failures)
    status = f"ok, {len(gathered.item_failures)} items failed" if gathered.item_failures else "ok"
    store.record_fetch(
        name, when=now, status=status, etag=collected.etag, last_modified=collected.last_modified
    )


def _pair(failure: Failure) -> tuple[str, str]:
    return failure.what, failure.reason


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
        url=canonical_url(article.url),
        source=item.source,
        guid=item.guid,
        title=article.title or item.title or _title_from_text(article.text),
        published=article.published or item.published,
        author=article.author or item.author,
        language=article.language or language,
    )


_WORDS = re.compile(r"\w+")


def content_hash(text: str) -> str:
    """A fingerprint of an article's words, blind to case, spacing and punctuation."""
    words = " ".join(_WORDS.findall(text.lower()))
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


def _title_from_text(text: str) -> str:
    words = text.strip().split("\n", 1)[0].split()
    return " ".join(words[:12]) + (" ..." if len(words) > 12 else "")
