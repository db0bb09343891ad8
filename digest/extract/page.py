"""Main-text extraction: a web page's HTML in, an `Article` out.

This module is pure: it does no I/O. It reads no files, opens no sockets and never
fetches a URL (the ``url`` argument is only used to resolve links and as a fallback
address), so every function here can be tested on literal strings.

The extractor was chosen by measurement (``bench/extraction.py``): trafilatura with
``favor_precision`` and without comments scored best on the development set. Its fast
mode (no second, comparison extractor) takes about half the time and gives the same text
on 90 of the 91 dev pages. Each pass's text goes through
`digest.extract.cleanup.clean_text`; when the page's own signals doubt the result (little
prose, mostly link text, or little of the page's JSON-LD ``articleBody``), the next pass
is tried: precision without fast mode, recall on the page without its furniture, recall
on the whole page, the JSON-LD ``articleBody``. `digest.extract.candidates` judges them.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import trafilatura
from htmldate import find_date
from lxml import etree
from trafilatura import metadata as page_metadata

from digest.errors import ExtractError
from digest.extract import candidates, images, limits
from digest.extract.candidates import Signals
from digest.extract.cleanup import clean_text, text_key
from digest.extract.limits import MAX_METADATA_CHARS
from digest.language import detect_language
from digest.models import Article

__all__ = ["extract_article", "lead_image"]

# Measured on the development set: precision mode drops most related-story lists and
# keeps recall; comments are never part of an article. Fast mode skips trafilatura's
# readability/justext comparison, which changed the text of one dev page in 91 (a short
# one, which the recall pass below then recovers) and cost half the time.
_PRECISE: dict[str, Any] = {"favor_precision": True, "include_comments": False, "fast": True}
_PRECISE_FULL: dict[str, Any] = {**_PRECISE, "fast": False}
_RECALL: dict[str, Any] = {"favor_recall": True, "include_comments": False}
# The meta and OpenGraph descriptions are not among them: measured on the dev set, they
# are most often the standfirst, which the article's text does not repeat, so holding
# none of their words says nothing of a candidate (a paywalled page's lead scored 0.11).
_DESCRIPTIONS = ("ld:articlebody",)

# Where pages state their publication time, most specific first ("ld:" is JSON-LD).
_DATE_KEYS = (
    "article:published_time", "ld:datepublished", "datepublished", "og:published_time",
    "pubdate", "publishdate", "publish-date", "parsely-pub-date", "sailthru.date",
    "dc.date.issued", "dcterms.issued", "dc.date", "date",
)  # fmt: skip
# Publication years outside this range are placeholders, not dates.
_EARLIEST_YEAR, _LATEST_YEAR = 1991, 2200
_SPACES = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
# Elements trafilatura deletes, content and all, before it looks for the text (they are
# in its MANUALLY_CLEANED list). Deleting them first, with the page furniture below,
# spares it copying and searching them: a quarter of its time on the dev set, for the same
# text on every page. Scripts go too, except JSON-LD, which trafilatura reads to recognise
# a forum thread.
_NEVER_TEXT = (
    *("style", "noscript", "svg", "iframe", "link", "button", "select", "picture"),
    *("video", "audio", "canvas", "object", "embed", "input", "textarea", "option"),
)
_SCRIPTS = "//script[not(@type='application/ld+json')]"
# Also in that list, and deleted before the precise pass only: trafilatura's recall mode
# keeps them when they hold the page's only paragraphs, so that pass gets the whole page.
_PAGE_FURNITURE = ("aside", "footer", "nav", "menu", "map", "fieldset", "label", "dialog")


def extract_article(html: str, url: str | None = None) -> Article:
    """Find the main text and the metadata of a whole web page.

    ``html`` is the page as text; ``url`` is where it came from (only used to resolve a
    relative canonical link and as the fallback address; nothing is fetched). The
    returned `Article` has the cleaned main text (paragraphs separated by one blank
    line, without the headline), the title, the author, the publication time (an aware
    datetime, UTC when the page gives no offset), the canonical URL (``<link
    rel=canonical>``, then ``og:url``, then ``url``, else ``""``), the ISO 639-1
    language code (declared by the page, else detected from the text, else None) and
    the lead image (`lead_image`). Title, author and text are cut to the caps of
    `digest.extract.limits`.

    Raises `ExtractError` naming the page when no article text can be found.
    """
    where = f"the page at {url}" if url else "the page"
    if not html.strip():
        raise ExtractError(f"No article text found: {where} is empty.")
    markup, tree = _parse(html)
    if tree is None:
        raise ExtractError(f"No article text found: {where} could not be parsed as HTML.")
    limits.bound_metadata(tree)
    limits.unwrap_if_huge(tree)
    head = _head_metadata(tree)
    try:
        # What the page says of itself, read before anything is stripped: its links (menus
        # and related stories are link text) and its JSON-LD copy of the article.
        signals = Signals.of(
            (a.text_content() for a in tree.iter("a")),
            (head[key] for key in _DESCRIPTIONS if key in head),
        )
        info = _metadata(tree)
        # Everything that reads the <head>, scripts or images comes before the strip.
        found = Article(
            url=_canonical_url(tree, url),
            title="",
            text="",
            published=_published(head) or _page_date(tree, url),
            language=_declared_language(tree, head),
            image=images.lead_image_of(tree, head, url),
        )
        etree.strip_elements(tree, *_NEVER_TEXT, with_tail=False)
        for script in tree.xpath(_SCRIPTS):
            script.drop_tree()
        # A byline in the page's body, when no meta tag names the author: looked for on
        # the smaller tree, as trafilatura copies the whole tree to do it.
        author = info.author or page_metadata.extract_author(tree)
        title = _clean_title(info.title or head.get("title") or "", info.sitename)
        # The headline often opens the extracted body; the title is kept separately.
        titles = (title, info.title, head.get("title"), head.get("h1"))
        headlines = {text_key(t) for t in titles if t}
        paragraphs = _main_text(tree, markup, url, signals, headlines, head)
    except Exception as exc:  # lxml or trafilatura choking on hostile HTML: one bad page
        raise ExtractError(f"Could not extract the article from {where}: {exc}") from exc
    if paragraphs is None:
        raise ExtractError(
            f"No article text found in {where}; it may be a JavaScript-only page, a "
            "paywall or a list of links."
        )
    text = "\n\n".join(paragraphs)
    article = replace(
        found,
        title=title,
        text=text,
        author=author.replace("; ", ", ") if author else None,
        language=found.language or detect_language(text),
    )
    return limits.cap_article(article)


def _parse(html: str) -> tuple[str, Any]:
    """The markup that parsed and its tree, or None for the tree when nothing did."""
    if not html.strip():
        return html, None
    tree = trafilatura.load_html(html)
    if tree is not None:
        return html, tree
    # trafilatura takes a lone fragment ("<p>...</p>") for non-HTML; wrapped, it parses.
    markup = f"<html><body>{html}</body></html>"
    return markup, trafilatura.load_html(markup)


def _main_text(
    tree: Any,
    markup: str,
    url: str | None,
    signals: Signals,
    headlines: set[str],
    head: dict[str, str],
) -> list[str] | None:
    """The cleaned paragraphs of the main text, or None when every pass found next to none.

    ``tree`` is the parsed ``markup`` without the elements that are never text; it loses
    its page furniture here. The passes run most precise first, until the signals accept
    one; when none is accepted, the best supported is kept (`digest.extract.candidates`).
    """
    etree.strip_elements(tree, *_PAGE_FURNITURE, with_tail=False)
    passes: tuple[Callable[[], str | None], ...] = (
        lambda: trafilatura.extract(tree, url=url, **_PRECISE),
        lambda: trafilatura.extract(_reparse(markup, furniture=True), url=url, **_PRECISE_FULL),
        lambda: trafilatura.extract(_reparse(markup, furniture=True), url=url, **_RECALL),
        # Recall keeps an <aside> or a <footer> when it holds the page's only paragraphs.
        lambda: trafilatura.extract(_reparse(markup, furniture=False), url=url, **_RECALL),
        lambda: head.get("ld:articlebody", ""),
    )
    found: list[tuple[list[str], candidates.Measure]] = []
    for run in passes:
        paragraphs = _cleaned(run() or "", headlines)
        measured = signals.measure(paragraphs)
        if not signals.is_weak(measured):
            return paragraphs
        found.append((paragraphs, measured))
    return candidates.best(found)


def _reparse(markup: str, *, furniture: bool) -> Any:
    """A fresh tree of the page, bounded as the first, without what is never text (and
    without the page's furniture when ``furniture``)."""
    tree = trafilatura.load_html(markup)
    if tree is None:
        return None
    limits.bound_metadata(tree)
    limits.unwrap_if_huge(tree)
    etree.strip_elements(tree, *_NEVER_TEXT, with_tail=False)
    for script in tree.xpath(_SCRIPTS):
        script.drop_tree()
    if furniture:
        etree.strip_elements(tree, *_PAGE_FURNITURE, with_tail=False)
    return tree


def _cleaned(text: str, headlines: set[str]) -> list[str]:
    """A pass's text (one paragraph a line) as clean paragraphs, without a leading headline."""
    text = limits.cut(text.replace("\n", "\n\n"), limits.RAW_TEXT_CHARS, paragraphs=True)
    paragraphs = [p for p in clean_text(text).split("\n\n") if p]
    while paragraphs and text_key(paragraphs[0]) in headlines:
        del paragraphs[0]
    return paragraphs


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
            for key in ("datePublished", "inLanguage", "articleBody"):
                value = item.get(key)
                if isinstance(value, str) and value.strip():
                    found.setdefault(f"ld:{key.lower()}", value.strip())
            image = images.json_ld_image(item.get("image"))
            if image and images.ARTICLE_TYPE.search(str(item.get("@type", ""))):
                found.setdefault("ld:image", image)
    for heading in tree.iter("h1"):
        found["h1"] = " ".join(heading.text_content()[:MAX_METADATA_CHARS].split())
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


def _metadata(tree: Any) -> Any:
    """Title, site name and the author from the metadata, as trafilatura's
    ``extract_metadata`` finds them.

    The same steps without the ones whose result we don't use (tags, categories, licence,
    URL, date): those scan the whole page and took most of its time (dev set: median
    10 ms a page, against 1.5 ms for these). The byline search in the body, its slowest
    step, is left to the caller.
    """
    info = page_metadata.examine_meta(tree)
    if info.author and " " not in info.author:  # a lone word in a meta tag is not a name
        info.author = None
    with contextlib.suppress(Exception):  # trafilatura guards it so too: odd JSON-LD
        info = page_metadata.extract_meta_json(tree, info)
    info.title = info.title or page_metadata.extract_title(tree)
    info.sitename = info.sitename or page_metadata.extract_sitename(tree)
    info.clean_and_trim()
    return info


def _published(head: dict[str, str]) -> datetime | None:
    """The publication time the page's metadata states, most specific key first."""
    for key in _DATE_KEYS:
        value = _parse_datetime(head.get(key, ""))
        if value is not None:
            return value
    return None


def _page_date(tree: Any, url: str | None) -> datetime | None:
    """htmldate's reading of the page (a day, taken as 00:00 UTC), when the metadata has none."""
    # htmldate's extensive search scans the whole page for date-like strings; the page's
    # metadata is enough for us, and skipping the scan halves the date's time.
    found = find_date(tree, url=url, extensive_search=False, original_date=True)
    try:
        day = date.fromisoformat(found) if found else None
    except ValueError:
        return None
    if day is None or not _EARLIEST_YEAR <= day.year <= _LATEST_YEAR:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


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


def _declared_language(tree: Any, head: dict[str, str]) -> str | None:
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


def lead_image(html: str, url: str | None = None) -> str | None:
    """The lead image of a page as an absolute http(s) URL, or None.

    Looks at ``og:image``, ``twitter:image``, the article's JSON-LD ``image`` and then the
    first large ``<img>`` in the main content (``<article>``, else ``<main>``, ...),
    resolving each against ``url``. Never returns a ``data:`` or ``javascript:`` address.
    """
    tree = _parse(html)[1]
    return None if tree is None else images.lead_image_of(tree, _head_metadata(tree), url)
