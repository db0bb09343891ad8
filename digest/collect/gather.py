"""The collection pass: every source read, its new items extracted and stored.

Network waits and CPU work are kept apart. Each source is handled by a thread (at most
``[http] concurrency`` at once; requests to one host are bounded by ``[http] per_host``
inside the fetcher) that fetches it, hands the bytes to a CPU executor for parsing and
extraction (`prepare`, with the `ArticleMaker` the caller gives), fetches the page behind
each teaser, and has those pages extracted too. With many sources the CPU executor is a
pool of worker processes, one per core, so that parsing and cleaning are not held to one
core; with few it runs in the thread itself. The store is written from the calling thread
only, one transaction per source, where duplicates across sources are resolved. A failing
source or item is recorded with its reason and the pass goes on; a source that failed keeps
every item it had seen.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing import get_context
from typing import Any, TypeVar

from digest.collect import fingerprint, read
from digest.collect.fetch import Fetcher, RetryLater
from digest.collect.prepare import ArticleMaker, Prepared, prepare_items, prepare_source
from digest.collect.sources import all_sources
from digest.config import Config
from digest.errors import DigestError
from digest.models import CollectedArticle, FeedItem, Source
from digest.store import SourceState, Store

log = logging.getLogger("digest")
T = TypeVar("T")

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
    """What a thread brings back from one source."""

    source: Source
    raw: read.RawSource | None = None
    articles: list[CollectedArticle] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    error: DigestError | None = None
    item_failures: list[Failure] = field(default_factory=list)
    full_text_failures: list[Failure] = field(default_factory=list)

    def add(self, prepared: Prepared) -> None:
        self.articles.extend(prepared.articles)
        self.skipped.extend(prepared.skipped)
        self.item_failures.extend(Failure(what, why) for what, why in prepared.failures)


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
    make_article: ArticleMaker,
    fetcher: Fetcher | None = None,
    progress: Progress | None = None,
) -> CollectionReport:
    """Collect every source into the store, each new item made into an article by
    `make_article`; return what happened."""
    report = CollectionReport()
    for source in config.sources:
        store.sync_source(source)
    sources = all_sources(config, store)
    index = fingerprint.NearDuplicateIndex(store.fingerprints(since=now - DEDUP_WINDOW))
    own_fetcher = fetcher is None
    http = fetcher or new_fetcher(config)
    try:
        with (
            _cpu_executor(config.collect.processes, len(sources), make_article) as cpu,
            ThreadPoolExecutor(max_workers=config.http.concurrency) as pool,
        ):
            futures = {}
            for source in sources:
                state = store.source_state(source.name)
                if state.retry_after is not None and state.retry_after > now:
                    report.sources_deferred += 1
                    log.info("source %s deferred until %s", source.name, state.retry_after)
                    continue
                seen = frozenset(store.seen_guids(source.name))
                language = source.language or config.digest.language
                job = pool.submit(_gather, source, http, state, seen, language, make_article, cpu)
                futures[job] = source
            # Results are stored in source order, whatever order they arrive in, so that
            # the first source listed is the one whose copy of a shared story is kept.
            for done, future in enumerate(futures, start=1):
                _record(store, index, future.result(), now=now, report=report)
                if progress is not None:
                    progress(done, len(futures), futures[future].name)
    finally:
        if own_fetcher:
            http.close()
    return report


PROCESSES_FROM = 10
"""With ``[collect] processes = 0`` (automatic), this many sources or more get worker
processes; fewer are prepared in their threads, sparing the processes' start-up."""


class _InlineExecutor(Executor):
    """Runs each job at once in the submitting thread."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to whoever reads the result, as a pool does
            future.set_exception(exc)
        return future


def _cpu_executor(processes: int, sources: int, make_article: ArticleMaker) -> Executor:
    """Worker processes for the CPU-bound work, or the inline executor."""
    count = processes or ((os.cpu_count() or 1) if sources >= PROCESSES_FROM else 1)
    if count <= 1:
        return _InlineExecutor()
    # Not "fork": a forked child of a threaded process can inherit a held lock. A fork
    # server is started once, imports the preparing code once, and forks each worker from
    # that clean, single-threaded process, so workers start at once.
    context = get_context("forkserver")
    context.set_forkserver_preload(["digest.collect.prepare", make_article.__module__])
    return ProcessPoolExecutor(max_workers=count, mp_context=context)


def _gather(
    source: Source,
    fetcher: Fetcher,
    state: SourceState,
    seen: frozenset[str],
    language: str,
    make_article: ArticleMaker,
    cpu: Executor,
) -> _Gathered:
    """Read one source and prepare its new items; never raises for a bad source or item."""
    gathered = _Gathered(source)
    try:
        raw = read.read_source(source, fetcher, etag=state.etag, last_modified=state.last_modified)
        gathered.raw = raw
        if raw.not_modified:
            return gathered
        prepared = cpu.submit(prepare_source, raw, seen, language, make_article).result()
    except DigestError as exc:
        gathered.error = exc
        return gathered
    gathered.add(prepared)
    pages: list[FeedItem] = []
    for teaser in prepared.waiting:
        try:
            pages.append(read.fetch_full_text(teaser, source, fetcher))
        except DigestError as exc:  # keep the teaser: something beats nothing
            gathered.full_text_failures.append(Failure(teaser.url, str(exc)))
            pages.append(teaser)
    if pages:
        gathered.add(cpu.submit(prepare_items, pages, language, make_article).result())
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
        log.warning(
            "full text of %s not fetched, keeping the feed's text: %s",
            failure.what,
            failure.reason,
        )
    report.full_text_failures.extend(gathered.full_text_failures)
    if gathered.error is not None or gathered.raw is None:
        error = gathered.error
        until = error.until if isinstance(error, RetryLater) else None
        log.warning("source %s failed: %s", name, error)
        report.source_failures.append(Failure(name, str(error)))
        status = "deferred" if until else "error"
        store.record_fetch(name, when=now, status=status, error=str(error), retry_after=until)
        return
    report.sources_read += 1
    raw = gathered.raw
    if raw.not_modified:
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
        name, when=now, status=status, etag=raw.etag, last_modified=raw.last_modified
    )
