"""The CPU-bound half of collection: read sources' bytes into clean, fingerprinted articles.

Pure: no I/O. These functions take what `digest.collect` read and return records, so the
collection pass can run them in worker processes (they and their arguments pickle), while
the network waits happen in threads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from digest import cleanup, collect, extract, fingerprint
from digest.errors import DigestError, ExtractError
from digest.models import Article, CollectedArticle, FeedItem
from digest.urls import canonical_url


@dataclass(frozen=True, slots=True)
class Prepared:
    """New items of one source, made ready to store."""

    articles: tuple[CollectedArticle, ...] = ()
    skipped: tuple[str, ...] = ()  # identities of items that yielded no article
    failures: tuple[tuple[str, str], ...] = ()  # (item URL or identity, one-line reason)
    waiting: tuple[FeedItem, ...] = ()  # teasers whose linked page is still to be fetched


def prepare_source(raw: collect.RawSource, seen: frozenset[str], language: str) -> Prepared:
    """Parse a read source and prepare the items it has not yielded before.

    Items whose entry is only a teaser (per the source's ``full_text`` mode) come back in
    `Prepared.waiting`, unprepared. Raises `FeedError` when feed bytes are not a feed.
    """
    new: list[FeedItem] = []
    waiting: list[FeedItem] = []
    identities = set(seen)
    for item in collect.source_items(raw):
        if item.guid in identities:
            continue
        identities.add(item.guid)  # a feed listing one entry twice yields it once
        if collect.needs_full_text(item, raw.source.full_text):
            waiting.append(item)
        else:
            new.append(item)
    return replace(prepare_items(new, language), waiting=tuple(waiting))


def prepare_items(items: Iterable[FeedItem], language: str) -> Prepared:
    """Turn items into articles with fingerprints; an item that fails is skipped."""
    articles: list[CollectedArticle] = []
    skipped: list[str] = []
    failures: list[tuple[str, str]] = []
    for item in items:
        try:
            article = article_from_item(item, language=language)
        except DigestError as exc:
            failures.append((item.url or item.guid, str(exc)))
            skipped.append(item.guid)
            continue
        exact, near = fingerprint.fingerprints(article.text)
        articles.append(CollectedArticle(item.guid, article, exact, near))
    return Prepared(tuple(articles), tuple(skipped), tuple(failures))


def article_from_item(item: FeedItem, *, language: str | None = None) -> Article:
    """Turn a raw item into an article with clean text. Raises `ExtractError`."""
    if item.is_full_page:
        page = extract.extract_article(item.content, item.url or None)
        url = page.url if page.url.startswith(("http://", "https://")) else item.url
        article = replace(page, url=url or item.url, title=page.title or item.title)
    else:
        if item.content_type == "html":
            text = cleanup.html_to_text(item.content)  # cleaned already
        elif item.content_type == "markdown":
            text = cleanup.markdown_to_text(item.content)  # cleaned already
        else:
            text = cleanup.clean_text(item.content)
        article = Article(url=item.url, title=item.title, text=text)
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


def content_hash(text: str) -> str:
    """A fingerprint of an article's words, blind to case, spacing and punctuation."""
    return fingerprint.fingerprints(text)[0]


def _title_from_text(text: str) -> str:
    words = text.strip().split("\n", 1)[0].split()
    return " ".join(words[:12]) + (" ..." if len(words) > 12 else "")
