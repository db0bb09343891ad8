"""The pages behind teasers: fetched for their full text, or waiting when they cannot be.

A teaser whose page cannot be fetched waits (`digest.store.waiting`): its page is tried again
on later runs with a growing pause (`RETRY_FIRST` doubling up to `RETRY_MOST`) for
`RETRY_FOR`; once it has waited ``[collect] full_text_wait_hours`` its teaser is stored as an
article marked as one, which a page fetched later replaces. Each source says once per run
why its pages were not fetched, and which setting would allow them.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from digest.collect import read
from digest.collect.fetch import Fetcher, PrivateAddressRefused
from digest.collect.prepare import ArticleMaker, describe, prepare_items
from digest.collect.report import CollectionReport, Failure, Gathered, Limits
from digest.collect.workers import Workers
from digest.errors import DigestError
from digest.models import FeedItem
from digest.store import WaitingText
from digest.words import plural

__all__ = ["RETRY_FIRST", "RETRY_FOR", "RETRY_MOST", "fetch_full_texts", "note_full_texts"]

log = logging.getLogger("digest")

RETRY_FIRST = timedelta(minutes=30)
RETRY_MOST = timedelta(hours=12)
RETRY_FOR = timedelta(days=3)
"""A teaser's page is tried again after `RETRY_FIRST`, then after twice as long each time up
to `RETRY_MOST`, for `RETRY_FOR` after the first try: long enough for a site that is down
for a day or a source whose settings are fixed the next morning, short enough that a page
gone for good is not asked for forever."""


def fetch_full_texts(
    gathered: Gathered,
    teasers: list[WaitingText],
    fetcher: Fetcher,
    language: str,
    make_article: ArticleMaker,
    workers: Workers,
    limits: Limits,
) -> None:
    """Fetch and prepare the page behind each teaser; a teaser whose page does not come
    waits for the next run, and its teaser is prepared once it has waited long enough."""
    source, now = gathered.source, limits.now
    pages: list[FeedItem] = []
    shown: list[FeedItem] = []  # teasers to store as they are, marked as teasers
    for entry in teasers:
        try:
            pages.append(read.fetch_full_text(entry.item, source, fetcher))
            gathered.done_waiting.append(entry.item.guid)
            continue
        except Exception as exc:  # this page's failure only
            if not isinstance(exc, DigestError):
                log.debug("page %s failed", entry.item.url, exc_info=True)
            reason = describe(exc)
            if isinstance(exc, PrivateAddressRefused):
                gathered.refused = exc.detail
        gathered.full_text_failures.append(Failure(entry.item.url, reason))
        show = not entry.teaser_stored and now - entry.first_tried >= limits.full_text_wait
        if now - entry.first_tried >= RETRY_FOR:
            gathered.done_waiting.append(entry.item.guid)  # asked long enough
            show = not entry.teaser_stored
        else:
            attempts = entry.attempts + 1
            pause = min(RETRY_FIRST * 2 ** min(attempts - 1, 10), RETRY_MOST)
            gathered.waiting.append(
                replace(
                    entry,
                    attempts=attempts,
                    next_attempt=now + pause,
                    last_error=reason,
                    teaser_stored=entry.teaser_stored or show,
                )
            )
        if show:
            shown.append(entry.item)
    if pages:
        prepared = workers.run(prepare_items, pages, language, make_article)
        gathered.add(prepared)
        # A page with no article in it (a paywall, a consent wall): its teaser beats nothing.
        unread = set(prepared.skipped)
        shown.extend(
            entry.item for entry in teasers if entry.item.guid in unread and not entry.teaser_stored
        )
    if shown:
        gathered.add(workers.run(prepare_items, shown, language, make_article, teaser=True))


def note_full_texts(gathered: Gathered, limits: Limits, report: CollectionReport) -> None:
    """Say once for the source why pages behind its teasers were not fetched, and what
    happens to them."""
    failures = gathered.full_text_failures
    if not failures:
        return
    report.full_text_failures.extend(failures)
    name = gathered.source.name
    count = plural(len(failures), "page")
    if gathered.refused:
        why = (
            f"{gathered.refused}, a private or local address; set allow_private = true "
            f"for source {name!r} to allow it"
        )
    else:
        why = failures[0].reason.rstrip(".")
    hours = limits.full_text_wait.total_seconds() / 3600
    note = (
        f"{count} behind teasers not fetched ({why}). Tried again on later runs; after "
        f"{hours:g} h the digest shows the feed's teaser, marked as such."
    )
    log.warning("full text of source %s: %s", name, note)
    report.full_text_notes.append(Failure(name, note))
