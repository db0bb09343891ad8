"""An item collected from a source into an `Article` with clean text.

Pure: no I/O. A full page goes through main-text extraction (`page`); a feed entry's HTML,
a Markdown note and plain text go through `cleanup`. The collection pass calls
`article_from_item` in its worker processes, so it and its arguments pickle.
"""

from __future__ import annotations

from dataclasses import replace

from digest.errors import ExtractError
from digest.extract import cleanup, page
from digest.extract.limits import cap_article
from digest.models import Article, FeedItem

__all__ = ["article_from_item"]


def article_from_item(item: FeedItem, language: str | None = None) -> Article:
    """Turn a raw item into an article with clean text.

    The article keeps the item's source, identity, and (where the page gives none) its
    title, date and author; `language` is the language to assume when the page declares
    none. Title, author and text are cut to the caps of `digest.extract.limits`. Raises
    `ExtractError` when no text is left.
    """
    if item.is_full_page:
        found = page.extract_article(item.content, item.url or None)
        url = found.url if found.url.startswith(("http://", "https://")) else item.url
        article = replace(found, url=url or item.url, title=found.title or item.title)
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
    article = replace(
        article,
        source=item.source,
        guid=item.guid,
        title=article.title or item.title or _title_from_text(article.text),
        published=article.published or item.published,
        author=article.author or item.author,
        language=article.language or language,
    )
    return cap_article(article)


def _title_from_text(text: str) -> str:
    words = text.strip().split("\n", 1)[0].split()
    return " ".join(words[:12]) + (" ..." if len(words) > 12 else "")
