"""Feed parsing: RSS 0.9x/1.0/2.0, Atom and JSON Feed bytes in, `FeedItem` records out.

Pure: no I/O. Well-formed RSS 2.0 and Atom go through a fast lxml reader (`fast`);
everything else goes to feedparser, which is handed bytes, never a URL or a file name, so it
cannot fetch anything. JSON Feed (which feedparser does not read) goes to `jsonfeed`. Feed
HTML is kept as it is here and only ever turned into plain text later
(`digest.extract.cleanup`).
"""

from __future__ import annotations

import io
import logging
import re
from time import struct_time
from typing import Any
from urllib.parse import urljoin

import feedparser
from feedparser.exceptions import CharacterEncodingOverride, NonXMLContentType

from digest.collect.feeds import entries, fast
from digest.collect.feeds.jsonfeed import looks_like_json_feed, parse_json_feed
from digest.errors import FeedError
from digest.models import FeedItem, Source

_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b",
                         re.IGNORECASE | re.DOTALL)  # fmt: skip
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
               "application/json")  # fmt: skip
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
logger = logging.getLogger(__name__)


def parse_feed(
    content: bytes, source: Source, *, base_url: str = "", content_type: str = ""
) -> list[FeedItem]:
    """Parse feed bytes into items, in feed order.

    `content_type` is the HTTP Content-Type, whose charset is weighed against the XML
    declaration as feedparser does; `base_url` (the feed's URL) resolves relative links,
    after any ``xml:base``. Raises `FeedError` with a one-line reason when the bytes are not a
    feed: empty, binary, a web page (naming the feed it links to, if any), or XML too broken
    to yield any entry. Nothing else leaves it: a feed that trips up a reader is refused
    with a `FeedError`, never with a bare exception that would stop a collection pass.
    `digest.collect.feeds.entries` says how each field of an item is made.
    """
    where = f"{source.location} (source {source.name!r})"
    if not content.strip():
        raise FeedError(f"The feed {where} is empty.")
    if looks_like_json_feed(content):
        return parse_json_feed(content, source, base_url=base_url)
    if b"\x00" in content[:1024]:
        raise FeedError(f"{where} is binary data, not a feed.")
    if _HTML_START.match(content[:4096]):
        raise FeedError(f"{where} is a web page, not a feed.{_feed_hint(content, base_url)}")
    try:
        items = fast.parse(content, source, base_url, content_type)
    except RecursionError:
        items = None
    except MemoryError:
        raise
    except Exception:  # a fast-reader bug must not lose the feed: feedparser reads it
        logger.exception("The fast feed reader failed on %s; feedparser reads it", where)
        items = None
    if items is not None:
        return items
    return parse_with_feedparser(content, source, base_url=base_url, content_type=content_type)


def parse_with_feedparser(
    content: bytes, source: Source, *, base_url: str = "", content_type: str = ""
) -> list[FeedItem]:
    """Parse with feedparser, which copes with every dialect and most broken XML."""
    where = f"{source.location} (source {source.name!r})"
    headers = {"content-type": content_type} if content_type else None
    try:
        parsed: Any = feedparser.parse(
            io.BytesIO(content),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except MemoryError:
        raise
    except Exception as exc:  # RecursionError on absurd nesting, or a feedparser bug
        raise FeedError(
            f"{where} could not be read as a feed ({type(exc).__name__}: {_one_line(str(exc))})."
        ) from exc
    base = base_url or _feed_link(parsed)
    found = (entries.item(_entry(entry), source, base) for entry in parsed.entries)
    items = [found_item for found_item in found if found_item is not None]
    if not items and (not parsed.get("version") or _broken(parsed)):
        # No entry, and either no feed at all or XML too broken to trust: an empty feed
        # that parses cleanly is fine, a broken one with nothing to recover is an error.
        # (Broken XML often leaves empty husks of entries, which do not count.)
        reason = parsed.get("bozo_exception")
        detail = f" ({_one_line(str(reason))})" if reason else ""
        raise FeedError(f"{where} is not an RSS, Atom or JSON feed{detail}.")
    return items


def _broken(parsed: Any) -> bool:
    """Whether feedparser had to repair the XML (not merely doubt the declared charset)."""
    reason = parsed.get("bozo_exception")
    return bool(parsed.get("bozo")) and not isinstance(
        reason, CharacterEncodingOverride | NonXMLContentType
    )


def _feed_link(parsed: Any) -> str:
    link = parsed.feed.get("link", "") if isinstance(parsed.feed, dict) else ""
    return link if isinstance(link, str) else ""


def _entry(entry: Any) -> entries.Entry:
    """feedparser's entry as an `entries.Entry`."""
    title_detail = entry.get("title_detail") or {}
    bodies = [
        (_text(part.get("value")), _text(part.get("type")))
        for part in entry.get("content") or []
        if isinstance(part, dict)
    ]
    if entry.get("summary"):
        detail = entry.get("summary_detail") or {}
        bodies.append((_text(entry["summary"]), _text(detail.get("type", "text/html"))))
    link, guid = _text(entry.get("link")), _text(entry.get("id"))
    return entries.Entry(
        title=_text(entry.get("title")),
        title_is_html=title_detail.get("type") in _HTML_TYPES,
        link=link,
        link_is_guid=bool(entry.get("guidislink")) and link == guid,
        id=guid,
        dates=tuple(  # dict.get: FeedParserDict maps a missing "updated" to "published"
            _struct(dict.get(entry, key))
            for key in ("published_parsed", "updated_parsed", "created_parsed")
        ),
        author=_text(entry.get("author")),
        bodies=bodies,
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _struct(value: object) -> struct_time | None:
    return value if isinstance(value, struct_time) else None


def _feed_hint(content: bytes, base_url: str) -> str:
    links = alternate_feed_links(content.decode("utf-8", errors="replace"), base_url)
    if links:
        return f" It links to a feed at {links[0]}; use that URL, or set kind = 'page'."
    return " Set kind = 'page' to read it as one article."


def alternate_feed_links(html: str, base_url: str = "") -> list[str]:
    """The feed URLs a web page advertises with ``<link rel="alternate" type="...">``."""
    found: list[str] = []
    for tag in _LINK_TAG.findall(html[:200_000]):
        attributes = {
            match[0].lower(): match[1] or match[2] or match[3] for match in _ATTRIBUTE.findall(tag)
        }
        rel = attributes.get("rel", "").lower().split()
        kind = attributes.get("type", "").lower()
        if "alternate" in rel and kind in _FEED_TYPES and attributes.get("href"):
            try:
                found.append(urljoin(base_url, attributes["href"]))
            except ValueError:  # an address that cannot be parsed is no address
                continue
    return list(dict.fromkeys(found))


def _one_line(text: str) -> str:
    return " ".join(text.split()).rstrip(".")
