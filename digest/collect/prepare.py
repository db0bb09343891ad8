"""The CPU-bound half of collection: read sources' bytes into clean, fingerprinted articles.

Pure: no I/O. These functions take what `read` read and return records, so the collection
pass can run them in worker processes (they and their arguments pickle), while the network
waits happen in threads. Turning one item into an article is the extraction stage's work:
the pass hands these functions an `ArticleMaker` (`digest.extract.article_from_item`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from digest.collect import fingerprint, read
from digest.collect.urls import canonical_url
from digest.errors import DigestError
from digest.models import Article, CollectedArticle, FeedItem

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


def prepare_source(
    raw: read.RawSource, seen: frozenset[str], language: str, make_article: ArticleMaker
) -> Prepared:
    """Parse a read source and prepare the items it has not yielded before.

    Items whose entry is only a teaser (per the source's ``full_text`` mode) come back in
    `Prepared.waiting`, unprepared. Raises `FeedError` when feed bytes are not a feed.
    """
    new: list[FeedItem] = []
    waiting: list[FeedItem] = []
    identities = set(seen)
    for item in read.source_items(raw):
        if item.guid in identities:
            continue
        identities.add(item.guid)  # a feed listing one entry twice yields it once
        if read.needs_full_text(item, raw.source.full_text):
            waiting.append(item)
        else:
            new.append(item)
    return replace(prepare_items(new, language, make_article), waiting=tuple(waiting))


def prepare_items(items: Iterable[FeedItem], language: str, make_article: ArticleMaker) -> Prepared:
    """Turn items into articles with canonical URLs and fingerprints; an item that fails is
    skipped, with its reason."""
    articles: list[CollectedArticle] = []
    skipped: list[str] = []
    failures: list[tuple[str, str]] = []
    for item in items:
        try:
            article = make_article(item, language)
        except DigestError as exc:
            failures.append((item.url or item.guid, str(exc)))
            skipped.append(item.guid)
            continue
        article = replace(article, url=canonical_url(article.url))
        exact, near = fingerprint.fingerprints(article.text)
        articles.append(CollectedArticle(item.guid, article, exact, near))
    return Prepared(tuple(articles), tuple(skipped), tuple(failures))
