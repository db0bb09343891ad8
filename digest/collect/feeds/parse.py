"""Feed parsing: RSS 0.9x/1.0/2.0, Atom and JSON Feed bytes in, `FeedItem` records out.

Pure: no I/O. Well-formed RSS 2.0 and Atom go through a fast lxml reader (`fast`);
everything else goes to feedparser, which is handed bytes, never a URL or a file name, so it
cannot fetch anything. JSON Feed (which feedparser does not read) goes to `jsonfeed`. Feed
HTML is kept as it is here and only ever turned into plain text later
(`digest.extract.cleanup`).
"""

from __future__ import annotations

import hashlib
import io
import re
from calendar import timegm
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from digest.collect.feeds import fast
from digest.collect.feeds.jsonfeed import looks_like_json_feed, parse_json_feed
from digest.errors import FeedError
from digest.models import FeedItem, Source

_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b",
                         re.IGNORECASE | re.DOTALL)  # fmt: skip
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json",
               "application/json")  # fmt: skip
_TAG = re.compile(r"<[^>]+>")


def parse_feed(
    content: bytes, source: Source, *, base_url: str = "", content_type: str = ""
) -> list[FeedItem]:
    """Parse feed bytes into items, in feed order.

    `content_type` is the HTTP Content-Type, whose charset feedparser takes into account;
    `base_url` resolves relative links. Raises `FeedError` with a one-line reason when the
    bytes are not a feed: empty, binary, a web page (naming the feed it links to, if any),
    or XML too broken to yield any entry.
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
    items = fast.parse(content, source, base_url)
    if items is not None:
        return items
    return parse_with_feedparser(content, source, base_url=base_url, content_type=content_type)


def parse_with_feedparser(
    content: bytes, source: Source, *, base_url: str = "", content_type: str = ""
) -> list[FeedItem]:
    """Parse with feedparser, which copes with every dialect and most broken XML."""
    where = f"{source.location} (source {source.name!r})"
    headers = {"content-type": content_type} if content_type else None
    parsed: Any = feedparser.parse(
        io.BytesIO(content),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    entries = [entry for entry in parsed.entries if _has_substance(entry)]
    if not entries and (not parsed.get("version") or parsed.get("bozo")):
        # No entry, and either no feed at all or XML too broken to trust: an empty feed
        # that parses cleanly is fine, a broken one with nothing to recover is an error.
        reason = parsed.get("bozo_exception")
        detail = f" ({_one_line(str(reason))})" if reason else ""
        raise FeedError(f"{where} is not an RSS, Atom or JSON feed{detail}.")
    base = base_url or parsed.feed.get("link", "")
    return [_entry_item(entry, source, base) for entry in entries]


def _has_substance(entry: Any) -> bool:
    """An entry with a title, a link or a body; broken XML can leave empty husks."""
    return bool(entry.get("title") or entry.get("link") or _entry_content(entry)[0].strip())


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
            found.append(urljoin(base_url, attributes["href"]))
    return list(dict.fromkeys(found))


def _entry_item(entry: Any, source: Source, base_url: str) -> FeedItem:
    link = urljoin(base_url, entry.get("link", "")) if entry.get("link") else ""
    content, content_type = _entry_content(entry)
    guid = entry.get("id") or link or content_hash_id(entry.get("title", "") + content)
    return FeedItem(
        source=source.name,
        guid=str(guid),
        url=link,
        title=_plain(entry.get("title", "")),
        content=content,
        content_type=content_type,
        published=_entry_time(entry),
        author=entry.get("author") or None,
    )


def _entry_content(entry: Any) -> tuple[str, str]:
    """The fullest body an entry has, and whether it is HTML or text."""
    candidates = [
        (part.get("value", ""), part.get("type", "")) for part in entry.get("content", [])
    ]
    if entry.get("summary"):
        detail = entry.get("summary_detail") or {}
        candidates.append((entry["summary"], detail.get("type", "text/html")))
    if not candidates:
        return "", "text"
    value, mime = max(candidates, key=lambda candidate: len(candidate[0]))
    return value, "text" if mime == "text/plain" else "html"


def _entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(timegm(value), UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _plain(title: str) -> str:
    """Feed titles sometimes carry markup; keep only the text, on one line."""
    return " ".join(_TAG.sub("", title).split())


def _one_line(text: str) -> str:
    return " ".join(text.split()).rstrip(".")


def content_hash_id(text: str) -> str:
    """An item identity for entries with neither GUID nor link: a hash of their text."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
