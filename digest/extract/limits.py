"""Length caps on what extraction hands on: an article's title, author and text.

Pure: no I/O. Pages and feeds are written by strangers; a title of megabytes or a page of
a whole book would be carried through the store, the summariser and every digest. The
caps sit far above anything a real article has, so they only ever cut what is not one;
each cut falls between words (between paragraphs for the text, when one ends late enough)
and is marked with an ellipsis.
"""

from __future__ import annotations

from dataclasses import replace

from digest.extract.cleanup import replace_surrogates
from digest.models import Article

__all__ = [
    "MAX_AUTHOR_CHARS",
    "MAX_METADATA_CHARS",
    "MAX_TEXT_CHARS",
    "MAX_TITLE_CHARS",
    "cap_article",
    "cut",
]

MAX_TITLE_CHARS = 300
"""A headline is rarely over 150 characters; 300 leaves room for a subtitle."""
MAX_AUTHOR_CHARS = 200
"""Room for a list of several authors' names."""
MAX_TEXT_CHARS = 200_000
"""About 30,000 words: longer than nearly any article, while summarising stays quick."""
MAX_METADATA_CHARS = 2_000
"""How much of a page's ``<title>`` or meta tag is read at all (before the caps above)."""

_ELLIPSIS = "\u2026"


def cut(text: str, limit: int, *, paragraphs: bool = False) -> str:
    """``text`` when it has at most ``limit`` characters, else its start cut between words
    and ended with an ellipsis, ``limit`` (at least 8) characters at most.

    With ``paragraphs``, the cut falls after the last whole paragraph (paragraphs are
    separated by a blank line) when that keeps at least half of the limit.
    """
    if len(text) <= limit:
        return text
    room = limit - len(_ELLIPSIS)
    if paragraphs:
        end = text.rfind("\n\n", 0, room - 2)  # "\n\n" and the ellipsis follow it
        if end >= room // 2:
            return text[:end].rstrip() + "\n\n" + _ELLIPSIS
    head = text[: room + 1]
    space = max(head.rfind(" "), head.rfind("\n"))
    # A word longer than half the room (letters without a space): cut inside it.
    end = space if space >= room // 2 else room
    return head[:end].rstrip() + _ELLIPSIS


def cap_article(article: Article) -> Article:
    """The article with its title, author and text cut to the caps above (and any lone
    surrogate in the title or author, from a feed, replaced: the text is clean already)."""
    title = replace_surrogates(cut(article.title, MAX_TITLE_CHARS))
    author = article.author and replace_surrogates(cut(article.author, MAX_AUTHOR_CHARS))
    text = cut(article.text, MAX_TEXT_CHARS, paragraphs=True)
    if (title, author, text) == (article.title, article.author, article.text):
        return article
    return replace(article, title=title, author=author, text=text)
