"""Main-text extraction: a web page's HTML in, an `Article` out.

This module is pure: it does no I/O. It reads no files, opens no sockets and never
fetches a URL (the ``url`` argument is only used to resolve links and as a fallback
address), so every function here can be tested on literal strings.

The extractor was chosen by measurement (``bench/extraction.py``): trafilatura with
``favor_precision`` and without comments scored best on the development set, and a
second, recall-oriented trafilatura pass rescues pages where the precise pass finds
almost nothing. The text then goes through `digest.cleanup.clean_text`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import trafilatura

from digest.cleanup import clean_text, text_key
from digest.errors import ExtractError
from digest.models import Article

__all__ = ["extract_article"]

# Measured on the development set: precision mode drops most related-story lists and
# keeps recall; comments are never part of an article.
_PRECISE: dict[str, Any] = {"favor_precision": True, "include_comments": False}
_RECALL: dict[str, Any] = {"favor_recall": True, "include_comments": False}
# Below this many words the precise pass probably missed the body: also try recall.
_FALLBACK_WORDS = 50
# htmldate's extensive search scans the whole page for date-like strings; the page's
# metadata is enough for us, and skipping the scan halves the metadata time.
_DATE_PARAMS = {"extensive_search": False, "original_date": True}

# Where pages state their publication time, most specific first ("ld:" is JSON-LD).
_DATE_KEYS = (
    "article:published_time",
    "ld:datepublished",
    "datepublished",
    "og:published_time",
    "pubdate",
    "publishdate",
    "publish-date",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "date",
)
# Publication years outside this range are placeholders, not dates.
_EARLIEST_YEAR, _LATEST_YEAR = 1991, 2200
_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_FULL_STOP = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019\u00bb)\]]*$")
_MIN_SENTENCE_CHARS = 20


def extract_article(html: str, url: str | None = None) -> Article:
    """Find the main text and the metadata of a whole web page.

    ``html`` is the page as text; ``url`` is where it came from (only used to resolve a
    relative canonical link and as the fallback address; nothing is fetched). The
    returned `Article` has the cleaned main text (paragraphs separated by one blank
    line, without the headline), the title, the author, the publication time (an aware
    datetime, UTC when the page gives no offset), the canonical URL (``<link
    rel=canonical>``, then ``og:url``, then ``url``, else ``""``) and the ISO 639
    language code when the page declares one.

    Raises `ExtractError` naming the page when no article text can be found.
    """
    where = f"the page at {url}" if url else "the page"
    if not html.strip():
        raise ExtractError(f"No article text found: {where} is empty.")
    # trafilatura takes a lone fragment ("<p>...</p>") for non-HTML; wrapped, it parses.
    tree = trafilatura.load_html(html)
    if tree is None:
        tree = trafilatura.load_html(f"<html><body>{html}</body></html>")
    if tree is None:
        raise ExtractError(f"No article text found: {where} could not be parsed as HTML.")
    head = _head_metadata(tree)
    try:
        info = trafilatura.extract_metadata(tree, default_url=url, date_config=dict(_DATE_PARAMS))
        text = _main_text(tree, url)
    except Exception as exc:  # lxml or trafilatura choking on hostile HTML: one bad page
        raise ExtractError(f"Could not extract the article from {where}: {exc}") from exc
    title = _clean_title(info.title or head.get("title") or "", info.sitename)
    paragraphs = [p for p in clean_text(text).split("\n\n") if p]
    # The headline often opens the extracted body; the title is kept separately.
    headlines = {text_key(t) for t in (title, info.title, head.get("title"), head.get("h1")) if t}
    while paragraphs and text_key(paragraphs[0]) in headlines:
        del paragraphs[0]
    # Menus and link lists are not an article: ask for at least one real sentence.
    if not any(_FULL_STOP.search(p) and len(p) >= _MIN_SENTENCE_CHARS for p in paragraphs):
        raise ExtractError(
            f"No article text found in {where}; it may be a JavaScript-only page, a "
            "paywall or a list of links."
        )
    return Article(
        url=_canonical_url(tree, url),
        title=title,
        text="\n\n".join(paragraphs),
        published=_published(head, info.date),
        author=info.author.replace("; ", ", ") if info.author else None,
        language=_language(tree, head),
    )


def _main_text(tree: Any, url: str | None) -> str:
    """The main text as trafilatura gives it, one paragraph per line made one per block."""
    text: str = trafilatura.extract(tree, url=url, **_PRECISE) or ""
    if len(_WORD.findall(text)) < _FALLBACK_WORDS:
        recall: str = trafilatura.extract(tree, url=url, **_RECALL) or ""
        if len(recall) > len(text):
            text = recall
    return text.replace("\n", "\n\n")


def _clean_title(title: str, sitename: str | None) -> str:
    """Drop a trailing "| Site name" that repeats the site's name."""
    title = _SPACES.sub(" ", title).strip()
    if sitename:
        match = re.match(r"^(.+?)\s+[|\-\u2013\u2014:\u00b7]\s+(.+)$", title)
        if match and text_key(match.group(2)) == text_key(sitename):
            return match.group(1)
    return title


def _head_metadata(tree: Any) -> dict[str, str]:
    """Collect the metadata we read ourselves: meta tags, JSON-LD, the first <h1>."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        name = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        name = name or (meta.get("http-equiv") or "").lower()
        content = (meta.get("content") or "").strip()
        if name and content:
            found.setdefault(name, content)
    for element in tree.xpath("//*[@itemprop='datePublished'][@datetime]"):
        found.setdefault("datepublished", element.get("datetime"))
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        for item in _json_ld_items(data):
            for key in ("datePublished", "inLanguage"):
                value = item.get(key)
                if isinstance(value, str) and value.strip():
                    found.setdefault(f"ld:{key.lower()}", value.strip())
    for heading in tree.iter("h1"):
        found["h1"] = " ".join(heading.text_content().split())
        break
    title = tree.find(".//title")
    if title is not None and title.text:
        found["title"] = " ".join(title.text.split())
    return found


def _json_ld_items(data: object) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for value in data:
            yield from _json_ld_items(value)
    elif isinstance(data, dict):
        yield data
        yield from _json_ld_items(data.get("@graph"))


def _published(head: dict[str, str], fallback: str | None) -> datetime | None:
    """The publication time from the page's metadata, else trafilatura's date at 00:00 UTC."""
    for key in _DATE_KEYS:
        value = _parse_datetime(head.get(key, ""))
        if value is not None:
            return value
    if fallback:
        try:
            day = date.fromisoformat(fallback)
        except ValueError:
            return None
        if _EARLIEST_YEAR <= day.year <= _LATEST_YEAR:
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return None


def _parse_datetime(value: str) -> datetime | None:
    """Parse an ISO 8601 or RFC 2822 timestamp; a value without an offset is taken as UTC."""
    value = value.strip()
    if not value:
        return None
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if not _EARLIEST_YEAR <= parsed.year <= _LATEST_YEAR:
        return None  # placeholders such as 0001-01-01 or 1970-01-01
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _canonical_url(tree: Any, url: str | None) -> str:
    """``<link rel=canonical>``, then ``og:url``, then the given URL, else ``""``."""
    candidates: list[str] = [
        link.get("href") or ""
        for link in tree.iter("link")
        if "canonical" in (link.get("rel") or "").lower().split()
    ]
    candidates += [
        meta.get("content") or ""
        for meta in tree.iter("meta")
        if (meta.get("property") or meta.get("name") or "").lower() == "og:url"
    ]
    for candidate in candidates:
        absolute = urljoin(url or "", candidate.strip())
        if absolute.startswith(("http://", "https://")):
            return absolute
    return url or ""


def _language(tree: Any, head: dict[str, str]) -> str | None:
    """The primary language subtag declared by the page ("en" for "en-GB"), or None."""
    declared = [
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        head.get("content-language"),
        head.get("language"),
        head.get("dc.language"),
        head.get("ld:inlanguage"),
        head.get("og:locale"),
    ]
    for value in declared:
        match = re.match(r"^\s*([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*\s*(?:,|$)", str(value or ""))
        if match:
            return match.group(1).lower()
    return None
