"""The collection pass: every source read, its new items extracted and stored.

Network waits and CPU work are kept apart. Each source is handled by a thread (at most
``[http] concurrency`` at once; requests to one host are bounded by ``[http] per_host``
inside the fetcher) that fetches it, hands the bytes to a CPU executor for parsing and
extraction (`prepare`, with the `ArticleMaker` the caller gives), fetches the page behind
each teaser, and has those pages extracted too. With many sources the CPU executor is a
pool of worker processes, one per core, so that parsing and cleaning are not held to one
core; with few it runs in the thread itself. The store is written from the calling thread
only, one transaction per source, where duplicates across sources are resolved.

Nothing one source or item does stops the pass: whatever goes wrong while reading, parsing,
extracting or storing it (a `DigestError`, or any other exception, or a worker process that
dies) is recorded as that source's or item's failure with a one-line reason, the traceback
going to the debug log, and the pass goes on; a source that failed keeps every item it had
seen. One source gives at most ``[collect] max_items_per_source`` new items a run, newest
first; while it has more, its validators are forgotten so that the next run reads it in full.

The pages behind teasers are fetched, and wait when they cannot be, as `fulltext` says; the
records the pass hands around and returns are in `report`.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from digest.collect import fingerprint, read
from digest.collect.fetch import Fetcher, RetryLater
from digest.collect.fulltext import fetch_full_texts, note_full_texts
from digest.collect.prepare import (
    ArticleMaker,
    describe,
    parse_items,
    prepare_new,
)
from digest.collect.report import CollectionReport, Failure, Gathered, Limits
from digest.collect.sources import all_sources
from digest.collect.workers import Workers, cpu_executor, process_pool
from digest.config import Config
from digest.errors import DigestError
from digest.models import CollectedArticle, FeedItem, Source
from digest.store import SourceState, Store, WaitingText
from digest.words import plural

log = logging.getLogger("digest")

DEDUP_WINDOW = timedelta(days=30)
"""How far back a new article is compared with stored ones for near-duplicates."""

Progress = Callable[[int, int, str], None]
"""Called after each source with (sources done, sources in all, the source's name)."""


class Share(Protocol):
    """A worker's share of the sources when several collect into one store."""

    def claim(self, source: Source) -> bool:
        """Whether this worker is to collect `source` now (it took the lease)."""
        ...

    def release(self, source: Source) -> None:
        """Let go of `source` once collected."""
        ...


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
    stop: threading.Event | None = None,
    share: Share | None = None,
) -> CollectionReport:
    """Collect every source into the store, each new item made into an article by
    `make_article`; return what happened. With `share` (several workers on one store), a
    source is collected only if `share.claim` takes it just before, and let go once stored.

    Once `stop` is set (Ctrl-C), no source is started or stored any more; the sources
    stored until then are kept, and the rest are read again next time (nothing of theirs
    was marked seen). The report then says `stopped`."""
    report = CollectionReport()
    for source in config.sources:
        store.sync_source(source)
    sources = all_sources(config, store)
    index = fingerprint.NearDuplicateIndex(store.fingerprints(since=now - DEDUP_WINDOW))
    limits = Limits(
        now=now,
        max_items=config.collect.max_items_per_source,
        full_text_wait=timedelta(hours=config.collect.full_text_wait_hours),
        not_before=now - timedelta(days=keep) if (keep := config.store.keep_days) else None,
    )
    own_fetcher = fetcher is None
    http = fetcher or new_fetcher(config)
    workers = Workers(
        lambda: cpu_executor(config.collect.processes, len(sources), make_article),
        lambda: process_pool(1, make_article),
    )
    try:
        with ThreadPoolExecutor(max_workers=config.http.concurrency) as pool:
            # At most `window` sources are in hand at once (being read, or done and waiting
            # for their turn to be stored): each is stored and dropped before another is
            # started, so memory stays flat however many sources and entries there are.
            window = max(4, 2 * config.http.concurrency)
            in_hand: deque[tuple[Future[Gathered], Source]] = deque()
            queue: deque[tuple[Source, SourceState]] = deque()
            for source in sources:
                state = store.source_state(source.name)
                if state.retry_after is not None and state.retry_after > now:
                    report.sources_deferred += 1
                    log.info("source %s deferred until %s", source.name, state.retry_after)
                else:
                    queue.append((source, state))
            total, done = len(queue), 0
            while queue or in_hand:
                if stop is not None and stop.is_set():
                    report.stopped = True
                    for future, _ in in_hand:
                        future.cancel()
                    break
                while queue and len(in_hand) < window:
                    source, state = queue.popleft()
                    if share is not None and not share.claim(source):
                        total -= 1  # another worker's, or collected within the interval
                        continue
                    due = store.waiting_texts(source.name, due=now)
                    language = source.language or config.digest.language
                    job = pool.submit(
                        _gather, source, http, state, store.known_guids, due, language,
                        make_article, workers, limits,
                    )  # fmt: skip
                    in_hand.append((job, source))
                if not in_hand:
                    continue
                # Results are stored in source order, whatever order they arrive in, so
                # that the first source listed is the one whose copy of a shared story is
                # kept (its text gives way only to a fuller one).
                future, source = in_hand.popleft()
                try:
                    gathered = future.result()
                except Exception as exc:  # _gather records its failures; a safety net
                    gathered = Gathered(source, error=exc)
                del future
                if stop is not None and stop.is_set():
                    report.stopped = True
                    continue  # its fetch may have been cut short: not stored, read again
                _record(store, index, gathered, limits=limits, report=report)
                del gathered
                if share is not None:
                    share.release(source)
                done += 1
                if progress is not None:
                    progress(done, total, source.name)
    finally:
        workers.shutdown()
        if own_fetcher:
            http.close()
    return report


def _gather(
    source: Source,
    fetcher: Fetcher,
    state: SourceState,
    known: Callable[[str, list[str]], set[str]],
    due: list[WaitingText],
    language: str,
    make_article: ArticleMaker,
    workers: Workers,
    limits: Limits,
) -> Gathered:
    """Read one source, prepare its new items and fetch the pages its teasers lead to
    (`due` are earlier teasers whose page is due again); never raises.

    Which items are new is asked of the store (`known`) for this batch's identities only:
    what a source yielded over its whole history is never loaded."""
    gathered = Gathered(source)
    try:
        raw = read.read_source(source, fetcher, etag=state.etag, last_modified=state.last_modified)
        # Recording needs the validators, not the bytes: they go once parsed.
        gathered.raw = replace(raw, content=b"", items=())
        teasers: list[WaitingText] = []
        if not raw.not_modified:
            items = workers.run(parse_items, raw)
            del raw
            if limits.not_before is not None:
                items = [item for item in items if not _older(item, limits.not_before)]
            seen = frozenset(known(source.name, [item.guid for item in items]))
            gathered.listed = list(seen)
            prepared = workers.run(
                prepare_new, items, source.full_text, seen, language, make_article,
                limits.max_items,
            )  # fmt: skip
            del items
            gathered.add(prepared)
            gathered.left = prepared.left
            teasers = [WaitingText(item, first_tried=limits.now) for item in prepared.waiting]
        fetch_full_texts(gathered, teasers + due, fetcher, language, make_article, workers, limits)
    except Exception as exc:  # the source's failure, whatever it is; nothing of it is stored
        if not isinstance(exc, DigestError):
            log.debug("source %s failed", source.name, exc_info=True)
        gathered.error = exc
    return gathered


def _record(
    store: Store,
    index: fingerprint.NearDuplicateIndex,
    gathered: Gathered,
    *,
    limits: Limits,
    report: CollectionReport,
) -> None:
    """Store what one source gave and how its collection went; never raises."""
    name = gathered.source.name
    try:
        _store(store, index, gathered, limits=limits, report=report)
    except Exception as exc:  # storing this source failed: it is this source's failure
        if not isinstance(exc, DigestError):
            log.debug("storing source %s failed", name, exc_info=True)
        reason = describe(exc)
        log.warning("source %s failed: %s", name, reason)
        report.source_failures.append(Failure(name, reason))
        try:
            store.record_fetch(name, when=limits.now, status="error", error=reason)
        except Exception:  # the store itself is failing; the report says it already
            log.debug("recording the failure of source %s failed", name, exc_info=True)


def _store(
    store: Store,
    index: fingerprint.NearDuplicateIndex,
    gathered: Gathered,
    *,
    limits: Limits,
    report: CollectionReport,
) -> None:
    name, now = gathered.source.name, limits.now
    if gathered.error is not None or gathered.raw is None:
        error = gathered.error
        until = error.until if isinstance(error, RetryLater) else None
        reason = describe(error) if error is not None else "nothing was read"
        log.warning("source %s failed: %s", name, reason)
        report.source_failures.append(Failure(name, reason))
        status = "deferred" if until else "error"
        store.record_fetch(name, when=now, status=status, error=reason, retry_after=until)
        return
    report.sources_read += 1
    raw = gathered.raw
    pairs = [(article, _near(store, index, article)) for article in gathered.articles]
    results = store.store_items(
        name,
        pairs,
        gathered.skipped,
        when=now,
        waiting=gathered.waiting,
        done_waiting=gathered.done_waiting,
        still_listed=gathered.listed,
    )
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
    note_full_texts(gathered, limits, report)
    if raw.not_modified:
        report.sources_unchanged += 1
        store.record_fetch(name, when=now, status="not modified")
        return
    failed = len(gathered.item_failures)
    status = f"ok, {plural(failed, 'item')} failed" if failed else "ok"
    if gathered.left:
        report.items_left[name] = gathered.left
        log.warning(
            "source %s has %d more new items; they are taken on the next runs", name, gathered.left
        )
        status += f", {plural(gathered.left, 'item')} left for the next run"
    store.record_fetch(
        name,
        when=now,
        status=status,
        etag=raw.etag,
        last_modified=raw.last_modified,
        # With items left, the source must not answer "not modified" next time.
        forget_validators=gathered.left > 0,
    )


def _older(item: FeedItem, cutoff: datetime) -> bool:
    published = item.published
    if published is None:
        return False
    return (published if published.tzinfo else published.replace(tzinfo=UTC)) < cutoff


def _near(
    store: Store, index: fingerprint.NearDuplicateIndex, collected: CollectedArticle
) -> int | None:
    """The stored article `collected` is a near-duplicate of: the closest fingerprint that
    `fingerprint.same_story` confirms, if any."""
    if collected.simhash is None:
        return None
    candidates = index.candidates(collected.simhash)
    if not candidates:
        return None
    stored = store.titles_and_texts(candidates)
    article = collected.article
    for candidate in candidates:
        if candidate in stored and fingerprint.same_story(
            article.title, article.text, *stored[candidate]
        ):
            return candidate
    return None
