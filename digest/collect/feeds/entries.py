"""From a feed entry, as feedparser would report it, to a `FeedItem`: one place for both readers.

Both readers (the fast lxml reader, `fast`, and feedparser, `parse`) describe each entry as an
`Entry`, the handful of values feedparser reports that digest uses. `item` turns it into a
`FeedItem` by the same rules whichever reader found it, so an item has the same fields and,
above all, the same identity (its ``guid``) on either path:

- title: plain text, on one line. A title feedparser marks as HTML (an Atom ``type="html"``
  title, or an RSS title that looks like markup, such as ``That&amp;#8217;s``) loses its tags
  and has its entities decoded, once; a plain-text title is kept as it is (``A & B`` stays
  ``A & B``: the HTML templates escape it once, when they show it). At most `TITLE_CAP`
  characters;
- author: on one line, at most `AUTHOR_CAP` characters; None when there is none;
- url: the entry's link, resolved against the feed's URL (feedparser has already resolved it
  against any ``xml:base``). A link feedparser only guessed from an RSS ``<guid>`` is used
  only when that guid is an absolute http(s) URL, not a bare id like ``1234`` that would
  resolve to a page that does not exist. A link that cannot be parsed (``http://[::1/post``)
  or that uses a scheme other than http(s) (``javascript:``) counts as no link;
- guid: the entry's id, else the url, else ``"sha256:"`` + a hash of the title and content;
- content: the longest of the entry's bodies (content, summary, description...), and
  ``"text"`` when feedparser says it is plain text, ``"html"`` otherwise;
- published: the published date, else the updated one, else the created one, as an aware UTC
  datetime; a date out of range (year 9999 shifted by a time zone) counts as no date.

Caps cut on a word and end with "…". They are applied to a bounded slice of the raw value
(`_WINDOW` characters), so a title of 5 MB costs a few kilobytes here, never a copy of
itself: a title whose first `_WINDOW` characters hold no text (all markup) comes out empty.
"""

from __future__ import annotations

import hashlib
import html
from calendar import timegm
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from time import struct_time
from urllib.parse import urljoin, urlsplit

from digest.models import FeedItem, Source

TITLE_CAP = 300  # characters of a title
AUTHOR_CAP = 100  # characters of an author
_WINDOW = 16 * 1024  # raw characters looked at to make a capped value
_WEB_SCHEMES = {"http", "https"}


@dataclass(slots=True)
class Entry:
    """What digest needs of a feed entry, as feedparser reports it."""

    title: str = ""
    title_is_html: bool = False
    link: str = ""
    link_is_guid: bool = False  # the link is feedparser's guess from an RSS <guid>
    id: str = ""
    dates: tuple[struct_time | None, ...] = ()  # published, updated, created
    author: str = ""
    bodies: list[tuple[str, str]] = field(default_factory=list)  # (value, MIME type)


def item(entry: Entry, source: Source, base_url: str) -> FeedItem | None:
    """The `FeedItem` for `entry`; None for an empty husk (no title, link, id or body)."""
    title = plain_title(entry.title, entry.title_is_html)
    url = _url(entry, base_url)
    content, content_type = _body(entry.bodies)
    if not (title or url or entry.id or content.strip()):
        return None
    return FeedItem(
        source=source.name,
        guid=entry.id or url or content_hash_id(title + content),
        url=url,
        title=title,
        content=content,
        content_type=content_type,
        published=_published(entry.dates),
        author=one_line(entry.author, AUTHOR_CAP) or None,
    )


def plain_title(title: str, is_html: bool) -> str:
    """A title as plain text on one line, capped: markup dropped and entities decoded when
    it is HTML."""
    window = title[:_WINDOW]
    if is_html:
        window = html_text(window) if "<" in window else html.unescape(window)
    return one_line(window, TITLE_CAP, cut=len(title) > _WINDOW)


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(markup: str) -> str:
    """The text an HTML fragment shows (the data between its tags, entities decoded)."""
    parser = _TextOf()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def one_line(text: str, cap: int, *, cut: bool = False) -> str:
    """`text` on one line; past `cap` characters cut on a word, with "…" added.

    Only the first `_WINDOW` characters are looked at; `cut` says `text` is itself already a
    slice of something longer.
    """
    line = " ".join(text[:_WINDOW].split())
    if len(line) > cap:
        head = line[:cap]
        if line[cap] != " " and " " in head:
            head = head[: head.rindex(" ")]
        return head.rstrip() + "…"
    if line and (cut or len(text) > _WINDOW):
        return line + "…"
    return line


def _url(entry: Entry, base_url: str) -> str:
    link = entry.link
    if not link:
        return ""
    if entry.link_is_guid and not _is_web_url(link):
        return ""  # an id, not a web address
    try:
        url = urljoin(base_url, link) if base_url else link
        scheme = urlsplit(url).scheme.lower()
    except ValueError:  # an unbalanced IPv6 bracket, a bad port...
        return ""
    return url if scheme in _WEB_SCHEMES or not scheme else ""


def _is_web_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in _WEB_SCHEMES and bool(parts.netloc)


def _body(bodies: list[tuple[str, str]]) -> tuple[str, str]:
    """The fullest body, and whether it is HTML or text (the first of equal lengths)."""
    if not bodies:
        return "", "text"
    value, mime = max(bodies, key=lambda body: len(body[0]))
    return value, "text" if mime == "text/plain" else "html"


def _published(dates: tuple[struct_time | None, ...]) -> datetime | None:
    for value in dates:
        if value:
            try:
                return datetime.fromtimestamp(timegm(value), UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def content_hash_id(text: str) -> str:
    """An item identity for entries with neither id nor link: a hash of their text."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
