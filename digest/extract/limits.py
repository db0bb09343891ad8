"""Limits: how much of a huge page extraction reads, and the length of what it hands on.

Pure: no I/O. Pages and feeds are written by strangers; a title of megabytes or a page of
a whole book would be carried through the store, the summariser and every digest. The
caps on an article's title, author and text sit far above anything a real article has, so
they only ever cut what is not one; each cut falls between words (between paragraphs for
the text, when one ends late enough) and is marked with an ellipsis. Before extraction, a
page's over-long metadata is cut (`bound_metadata`) and a huge page's bare wrapper
elements unwrapped (`unwrap_if_huge`), so that a page of megabytes costs time and memory
in proportion to its text.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lxml import etree

from digest.extract.cleanup import replace_surrogates
from digest.models import Article

__all__ = [
    "HUGE_TREE",
    "MAX_AUTHOR_CHARS",
    "MAX_METADATA_CHARS",
    "MAX_TEXT_CHARS",
    "MAX_TITLE_CHARS",
    "RAW_TEXT_CHARS",
    "bound_metadata",
    "cap_article",
    "cut",
    "unwrap_if_huge",
]

MAX_TITLE_CHARS = 300
"""A headline is rarely over 150 characters; 300 leaves room for a subtitle."""
MAX_AUTHOR_CHARS = 200
"""Room for a list of several authors' names."""
MAX_TEXT_CHARS = 200_000
"""About 30,000 words: longer than nearly any article, while summarising stays quick."""
MAX_METADATA_CHARS = 2_000
"""How much of a page's ``<title>`` or meta tag is read at all (before the caps above)."""

RAW_TEXT_CHARS = 5 * MAX_TEXT_CHARS
"""How much of a page's raw text is cleaned. Cleaning removes furniture and repeats, never
adds: this much fills the text cap on any page but one made mostly of repeats, and it
bounds the cleaning (time and memory) of a page of megabytes."""
HUGE_TREE = 50_000
"""A page of more elements than this is no hand-made article (the extraction dev set's
largest has 1,600): its bare wrappers are unwrapped (`unwrap_if_huge`)."""

_ELLIPSIS = "\u2026"
_WRAPPERS = ("div", "span", "section")
_UNWRAP = "digest-unwrap"  # a tag no page uses


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


def bound_metadata(tree: Any) -> None:
    """Cut an over-long ``<title>`` or meta tag of a parsed page to `MAX_METADATA_CHARS`,
    in place.

    A title is capped anyway; cutting it first spares trafilatura's metadata search and
    ours copying and splitting megabytes of it.
    """
    for title in tree.iter("title"):
        if title.text and len(title.text) > MAX_METADATA_CHARS:
            title.text = title.text[:MAX_METADATA_CHARS]
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if content and len(content) > MAX_METADATA_CHARS:
            meta.set("content", content[:MAX_METADATA_CHARS])


def unwrap_if_huge(tree: Any) -> None:
    """On a parsed page of over `HUGE_TREE` elements, unwrap each bare wrapper, in place.

    A bare wrapper is a ``<div>``, ``<span>`` or ``<section>`` without attributes, text or
    a second child. Chains of them (framework markup, or a page written to choke parsers)
    carry nothing trafilatura reads, but it pays for each level in time and memory: a
    10 MB page nested 200 deep took 19 s and 700 MB, against 2 s for the same text flat.
    """
    if sum(1 for _ in tree.iter()) <= HUGE_TREE:
        return
    bare = [
        element
        for element in tree.iter(*_WRAPPERS)
        if len(element) == 1
        and not element.attrib
        and not (element.text or "").strip()
        and not (element[0].tail or "").strip()
    ]
    # Renamed, then unwrapped in one pass: unwrapping one by one looks each up among its
    # parent's children, which is slow when a huge flat page has thousands of them.
    for element in bare:
        element.tag = _UNWRAP
    etree.strip_tags(tree, _UNWRAP)
