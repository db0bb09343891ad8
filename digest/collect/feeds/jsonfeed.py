"""JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/): bytes in, `FeedItem`s out.

feedparser reads RSS and Atom only, so this module reads JSON Feed the way `collect.parse_feed`
reads those. It is pure: it does no I/O, never fetches a URL and never opens a file. The
caller hands it the bytes and the URL they came from.

Feeds come from strangers, so every field is type-checked before use: a wrong type anywhere
makes that field count as missing, and the only exception raised on purpose is `FeedError`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from digest.collect.feeds.entries import AUTHOR_CAP, TITLE_CAP, one_line
from digest.errors import FeedError
from digest.models import FeedItem, Source

# The sniff: an object (after an optional UTF-8 BOM) with a "version" naming jsonfeed.org.
# Slashes may be escaped (`\/`, as PHP's json_encode writes them), and "version" may come
# after "items" (serialisers that sort keys), so the whole document is searched, not its head.
_OPENS_AN_OBJECT = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*\{")
_VERSION_KEY = re.compile(rb'"version"[ \t\r\n]*:[ \t\r\n]*"[^"]*jsonfeed\.org\\?/version\\?/')
_KNOWN_VERSION = re.compile(r"https?://jsonfeed\.org/version/(?:1|1\.1)/?")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_LEAP_SECOND = re.compile(r"(T\d\d:\d\d:)60")
_JSON_TYPES = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}


def looks_like_json_feed(content: bytes) -> bool:
    """Whether `content` is probably a JSON Feed, without parsing it.

    True when the first byte after an optional UTF-8 BOM and JSON whitespace is ``{`` and the
    document has a ``"version"`` whose value contains ``jsonfeed.org/version/``. A cheap
    regular-expression scan, meant to choose between this module and `collect.parse_feed`;
    `parse_json_feed` still validates everything. Never raises.
    """
    opening = _OPENS_AN_OBJECT.match(content)
    return opening is not None and _VERSION_KEY.search(content, opening.end()) is not None


def parse_json_feed(content: bytes, source: Source, *, base_url: str = "") -> list[FeedItem]:
    """Parse JSON Feed 1.0 or 1.1 bytes into items, in feed order. Pure: nothing is fetched.

    `base_url` is where the bytes came from. Relative item URLs are resolved against the
    feed's ``home_page_url`` (itself resolved against `base_url`), else against `base_url`;
    only http(s) results are kept. Per item:

    - guid: ``id`` (numbers stringified), else the URL, else ``"sha256:"`` + a hash of title
      and content;
    - url: ``url``, else ``external_url``;
    - title: ``title`` with whitespace collapsed, or ``""``, at most `entries.TITLE_CAP`
      characters (cut on a word, as for RSS and Atom);
    - content: ``content_html`` (html), else ``content_text`` (text), replaced by ``summary``
      (text) when that is longer;
    - published: ``date_published``, else ``date_modified``, as an aware UTC datetime (None
      when absent or unreadable);
    - author: the item's first named author (1.1 ``authors``, 1.0 ``author``), else the feed's,
      at most `entries.AUTHOR_CAP` characters.

    Entries that are not objects, and objects with no id, URL, title or content, are skipped.
    Raises `FeedError` naming the source when the bytes are empty, are not JSON, are not an
    object, have a missing or unknown ``version``, or lack an ``items`` list.
    """
    feed = _load(content, source)
    base = _feed_base(feed, base_url)
    feed_author = _author(feed)
    items: list[FeedItem] = []
    for entry in feed["items"]:
        if isinstance(entry, dict):
            item = _item(entry, source, base, feed_author)
            if item is not None:
                items.append(item)
    return items


def _load(content: bytes, source: Source) -> dict[str, Any]:
    """The feed object, checked to have a known version and an items list."""
    where = f"{source.location} (source {source.name!r})"
    if not content.strip():
        raise FeedError(f"The feed {where} is empty.")
    try:
        document = json.loads(content)
    except json.JSONDecodeError as exc:
        raise FeedError(
            f"{where} is not a JSON Feed: invalid JSON at line {exc.lineno}, "
            f"column {exc.colno} ({exc.msg})."
        ) from exc
    except UnicodeDecodeError as exc:
        raise FeedError(f"{where} is not a JSON Feed: it is not UTF-8 text.") from exc
    except ValueError as exc:  # e.g. an integer longer than Python will convert
        raise FeedError(f"{where} is not a JSON Feed: {_one_line(str(exc))}.") from exc
    except RecursionError as exc:
        raise FeedError(f"{where} is not a JSON Feed: it is nested too deeply.") from exc
    if not isinstance(document, dict):
        raise FeedError(f"{where} is not a JSON Feed: it is {_json_type(document)}, not an object.")
    version = document.get("version")
    if not isinstance(version, str) or not version.strip():
        raise FeedError(f'{where} is not a JSON Feed: it has no "version".')
    if not _KNOWN_VERSION.fullmatch(version.strip()):
        raise FeedError(
            f"{where} has an unknown JSON Feed version {_one_line(version)!r}; digest reads "
            "https://jsonfeed.org/version/1 and https://jsonfeed.org/version/1.1."
        )
    items = document.get("items")
    if items is None:
        raise FeedError(f'{where} is not a JSON Feed: it has no "items".')
    if not isinstance(items, list):
        raise FeedError(
            f'{where} is not a JSON Feed: its "items" is {_json_type(items)}, not a list.'
        )
    return document


def _item(
    entry: dict[str, Any], source: Source, base: str, feed_author: str | None
) -> FeedItem | None:
    title = one_line(_string(entry.get("title")), TITLE_CAP)
    content, content_type = _content(entry)
    url = _item_url(entry, base)
    guid = _id(entry.get("id")) or url
    if not guid:
        if not (title or content.strip()):
            return None  # nothing to show and nothing to recognise it by
        guid = _hash(title + content)
    return FeedItem(
        source=source.name,
        guid=guid,
        url=url,
        title=title,
        content=content,
        content_type=content_type,
        published=_published(entry),
        author=_author(entry) or feed_author,
    )


def _id(value: object) -> str:
    # JSON Feed says "string", but numbers are common in the wild; booleans are not ids.
    if isinstance(value, str):
        return _string(value) if value.strip() else ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return ""


def _content(entry: dict[str, Any]) -> tuple[str, str]:
    """The fullest body an item has, and whether it is HTML or text."""
    html = _string(entry.get("content_html"))
    text = _string(entry.get("content_text"))
    summary = _string(entry.get("summary"))
    body, kind = (html, "html") if html.strip() else (text if text.strip() else "", "text")
    if summary.strip() and len(summary) > len(body):
        return summary, "text"
    return body, kind


def _feed_base(feed: dict[str, Any], base_url: str) -> str:
    # A base stated in the document wins over the retrieval URL (RFC 3986, section 5.1).
    home = _string(feed.get("home_page_url")).strip()
    return (_web_url(home, base_url) if home else "") or base_url


def _item_url(entry: dict[str, Any], base: str) -> str:
    for key in ("url", "external_url"):
        raw = _string(entry.get(key)).strip()
        url = _web_url(raw, base) if raw else ""
        if url:
            return url
    return ""


def _web_url(raw: str, base: str) -> str:
    """`raw` resolved against `base` when it is an http(s) URL, else "" (no javascript:)."""
    try:
        url = urljoin(base, raw) if base else raw
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return ""
    return url if parts.scheme.lower() in {"http", "https"} and parts.netloc else ""


def _published(entry: dict[str, Any]) -> datetime | None:
    for key in ("date_published", "date_modified"):
        when = _rfc3339(_string(entry.get(key)))
        if when is not None:
            return when
    return None


def _rfc3339(text: str) -> datetime | None:
    """An RFC 3339 timestamp as an aware UTC datetime; None when it cannot be read.

    Lenient where it costs nothing: lower-case ``t``/``z``, a space separator, a leap second
    (read as :59) and a missing offset (read as UTC, as feedparser does).
    """
    text = _LEAP_SECOND.sub(r"\g<1>59", text.strip().upper())
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except (ValueError, OverflowError):  # overflow: year 1 or 9999 shifted out of range
        return None


def _author(holder: dict[str, Any]) -> str | None:
    """The first named author: 1.1 ``authors`` (a list), else 1.0 ``author`` (an object)."""
    authors = holder.get("authors")
    candidates = authors if isinstance(authors, list) else []
    for candidate in [*candidates, holder.get("author")]:
        if isinstance(candidate, dict):
            name = one_line(_string(candidate.get("name")), AUTHOR_CAP)
            if name:
                return name
    return None


def _string(value: object) -> str:
    """`value` when it is a string, else "". Lone surrogates (``"\\ud800"``) become U+FFFD."""
    # json.loads joins escaped surrogate pairs, so any surrogate left is a lone one, which
    # could not be encoded as UTF-8 later (SQLite, email).
    return _LONE_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else ""


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _one_line(text: str, limit: int = 80) -> str:
    text = _collapse(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), "a number")


def _hash(text: str) -> str:
    # The same identity convention as collect: "sha256:" + the hex digest of title + content.
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
