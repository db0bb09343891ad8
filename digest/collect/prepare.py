"""The CPU-bound half of collection: read sources' bytes into clean, fingerprinted articles.

Pure: no I/O. These functions take what `read` read and return records, so the collection
pass can run them in worker processes (they and their arguments pickle), while the network
waits happen in threads. Turning one item into an article is the extraction stage's work:
the pass hands these functions an `ArticleMaker` (`digest.extract.article_from_item`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from digest.collect import fingerprint, read
from digest.collect.urls import canonical_url
from digest.errors import DigestError
from digest.models import Article, CollectedArticle, FeedItem

log = logging.getLogger("digest")

MAX_TITLE = 500
"""Characters of a title kept: a feed may send megabytes of title, which would crowd every
other article out of the digest."""

ArticleMaker = Callable[[FeedItem, str | None], Article]
"""Turns an item into an article with clean text, given the language to assume; raises
`DigestError` (usually `ExtractError`) for an item that yields none. It must pickle (a
module-level function), since worker processes run it."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """New items of one source, made ready to store."""

    articles: tuple[CollectedArticle, ...] = ()
    skipped: tuple[str, ...] = ()  # identities of items that yielded no article
    failures: tuple[tuple[str, str], ...] = ()  # (item URL or identity, one-line reason)
    waiting: tuple[FeedItem, ...] = ()  # teasers whose linked page is still to be fetched
    left: int = 0  # new items beyond the per-source cap, left for the next collection


def describe(exc: BaseException) -> str:
    """One line saying what went wrong: a `DigestError`'s message as it is; anything else
    (a bug, or input nobody foresaw) by its type and the first line of its message."""
    if isinstance(exc, DigestError):
        text = str(exc)
    else:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        text = f"unexpected {type(exc).__name__}" + (f": {first}" if first else "")
    text = " ".join(text.split())
    return text if len(text) <= 500 else text[:499] + "\u2026"


def prepare_source(
    raw: read.RawSource,
    seen: frozenset[str],
    language: str,
    make_article: ArticleMaker,
    max_items: int | None = None,
) -> Prepared:
    """Parse a read source and prepare the items it has not yielded before, at most
    `max_items` of them, newest first (`Prepared.left` counts the rest).

    Items whose entry is only a teaser (per the source's ``full_text`` mode) come back in
    `Prepared.waiting`, unprepared. Raises `FeedError` when feed bytes are not a feed.
    """
    items = read.source_items(raw)
    return prepare_new(items, raw.source.full_text, seen, language, make_article, max_items)


def parse_items(raw: read.RawSource) -> list[FeedItem]:
    """The items of a read source (`read.source_items`), for a worker to parse."""
    return read.source_items(raw)


def prepare_new(
    items: list[FeedItem],
    full_text: str,
    seen: frozenset[str],
    language: str,
    make_article: ArticleMaker,
    max_items: int | None = None,
) -> Prepared:
    """Prepare the items of one source whose identities are not in `seen` (see
    `prepare_source`; `full_text` is the source's mode)."""
    fresh: list[FeedItem] = []
    identities = set(seen)
    for item in items:
        if item.guid in identities:
            continue
        identities.add(item.guid)  # a feed listing one entry twice yields it once
        fresh.append(item)
    left = 0
    if max_items is not None and len(fresh) > max_items:
        fresh = newest_first(fresh)
        fresh, left = fresh[:max_items], len(fresh) - max_items
    new: list[FeedItem] = []
    waiting: list[FeedItem] = []
    for item in fresh:
        if read.needs_full_text(item, full_text):
            waiting.append(item)
        else:
            new.append(item)
    prepared = prepare_items(new, language, make_article)
    return replace(prepared, waiting=tuple(waiting), left=left)


def _short(title: str) -> str:
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "\u2026"


_UNDATED = datetime.min.replace(tzinfo=UTC)


def newest_first(items: list[FeedItem]) -> list[FeedItem]:
    """Items by publication time, newest first; undated ones after the dated, in the
    source's order (feeds list their newest first)."""
    return sorted(items, key=lambda item: _when(item.published), reverse=True)


def _when(published: datetime | None) -> datetime:
    if published is None:
        return _UNDATED
    return published if published.tzinfo else published.replace(tzinfo=UTC)


def prepare_items(
    items: Iterable[FeedItem], language: str, make_article: ArticleMaker, *, teaser: bool = False
) -> Prepared:
    """Turn items into articles with canonical URLs and fingerprints; an item that fails, for
    whatever reason, is skipped, with its reason. With `teaser`, the articles are marked as
    made of feed teasers alone."""
    articles: list[CollectedArticle] = []
    skipped: list[str] = []
    failures: list[tuple[str, str]] = []
    for item in items:
        try:
            article = make_article(item, language)
            article = replace(
                article, url=canonical_url(article.url), title=_short(article.title), teaser=teaser
            )
            exact, near = fingerprint.fingerprints(article.text)
        except Exception as exc:  # one item's failure, whatever it is, is that item's only
            if not isinstance(exc, DigestError):
                log.debug("item %s failed", item.url or item.guid, exc_info=True)
            failures.append((item.url or item.guid, describe(exc)))
            skipped.append(item.guid)
            continue
        articles.append(CollectedArticle(item.guid, article, exact, near))
    return Prepared(tuple(articles), tuple(skipped), tuple(failures))
