"""Main-text extraction: a web page's HTML in, an `Article` out, plus plain-text cleanup.

This module is pure: it does no I/O. It reads no files, opens no sockets and never
fetches a URL (the ``url`` argument is only used to resolve links and as a fallback
address), so every function here can be tested on literal strings.

The extractor was chosen by measurement (``bench/extraction.py``): trafilatura with
``favor_precision`` and without comments scored best on the development set, and a
second, recall-oriented trafilatura pass rescues pages where the precise pass finds
almost nothing. `clean_text` is the shared last pass for every text we keep.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import html2text
import trafilatura

from digest.errors import ExtractError
from digest.models import Article

__all__ = ["clean_text", "extract_article", "html_to_text", "markdown_to_text"]

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
_INVISIBLE = re.compile(r"[\u200b\u2060\ufeff\u00ad]")
_LIST_ITEM = re.compile(r"^(?:[-*+\u2022\u00b7\u2013\u2014]\s|\d{1,3}[.)]\s)")
_FULL_STOP = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019\u00bb)\]]*$")
_MIN_SENTENCE_CHARS = 20
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f:;][\"'\u201d\u2019\u00bb)\]]*$")

# Whole paragraphs that are page furniture, never article prose.
_FURNITURE = re.compile(
    r"^(?:advertisement|advertising|sponsored(?: content)?|open in (?:the )?app|"
    r"share(?: (?:this|the))?(?: (?:article|story|post|page))?(?: (?:on|via) \w+)?|"
    r"(?:subscribe|sign up|sign in|log ?in|register)(?: (?:now|today|here))?|"
    r"(?:read|see|view|show|load) (?:more|all|the full (?:article|story)|comments?)|"
    r"continue reading|back to top|skip to (?:main )?content|print(?: this (?:article|page))?|"
    r"(?:\d+ )?comments?|leave a (?:comment|reply)|"
    r"(?:listen to (?:this )?article|\d+ min(?:ute)?s? (?:read|listen))|"
    r"reading time:? \d+ min(?:ute)?s?)[\s.:!…|»>-]*$",
    re.IGNORECASE,
)
# A heading that opens a list of links to other stories.
_RELATED_HEADING = re.compile(
    r"^(?:related(?: (?:articles?|stories|posts|content|coverage|links|reading))?|"
    r"recommended(?: for you)?|trending(?: now)?|most (?:read|popular|viewed|shared)\b.{0,30}|"
    r"top stories|more (?:stories|news|articles|headlines)|more (?:from|on|in) [^.!?]{1,30}|"
    r"you (?:may|might) also (?:like|enjoy)|(?:also|further) read(?:ing)?|read (?:next|also)|"
    r"up next|what to read next|don'?t miss|see also|more|also)[\s:\u2026]*(?:\.\.\.)?$",
    re.IGNORECASE,
)
# "Related: <headline>", "READ MORE: <headline>" and tag lines.
_LABELLED_LINK = re.compile(
    r"^(?:related|read more|see more|more|also read|read also|watch|recommended|"
    r"tags|filed under|posted in|categories|topics)\s*:",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)\s*\d{4}|copyright\s*(?:©|\(c\)|\d{4}))|all rights reserved", re.IGNORECASE
)
_PROMO_START = re.compile(
    r"^(?:subscribe|sign[ -]?up|join|get|download|follow|like us|click|tap|register|"
    r"want|don'?t forget)\b",
    re.IGNORECASE,
)
_PROMO_WORD = re.compile(
    r"newsletter|inbox|subscri|podcast|\b(?:our|the) app\b|"
    r"\b(?:on|us on|our) (?:twitter|facebook|instagram|youtube|tiktok|linkedin|whatsapp|telegram)",
    re.IGNORECASE,
)
_CLICK_HERE = re.compile(r"\bclick here (?:to|for)\b", re.IGNORECASE)
_NAV_SEPARATOR = re.compile(r"\s+[|\u2022\u00b7\u00bb\u203a>/]\s+")

_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_QUOTE = re.compile(r"^(?:>\s?)+")
_MD_RULE = re.compile(r"^(?:(?:[-*_]\s*){3,}|=+|(?:```|~~~).*)$")  # rules, underlines, fences
_MD_BULLET = re.compile(r"^[*+]\s+")
_MD_TABLE_RULE = re.compile(r"^[\s|:-]*-{3,}[\s|:-]*$")
# Inline code and strike-through marks, which html2text writes even with emphasis off.
_MD_INLINE = re.compile(r"(?<!\\)(`+|~~)(.+?)(?<!\\)\1")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|~])")
# Markdown written by people (files), not by html2text: images, links and emphasis.
_MD_IMAGE = re.compile(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])")
_MD_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_MD_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_MD_EMPHASIS = re.compile(r"(?<![\w*\\])(\*{1,3}|_{1,3})(?=\S)(.+?)(?<=\S)(?<!\\)\1(?![\w*])")


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
    headlines = {_key(t) for t in (title, info.title, head.get("title"), head.get("h1")) if t}
    while paragraphs and _key(paragraphs[0]) in headlines:
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


def html_to_text(html: str) -> str:
    """Turn a feed-supplied HTML fragment (RSS or Atom content) into clean plain text.

    Links keep their text but lose their address; emphasis markers, images and other
    Markdown markup are removed; each list item becomes its own paragraph. The result
    goes through `clean_text`, so paragraphs are separated by one blank line.
    """
    converter = html2text.HTML2Text()
    converter.body_width = 0  # never wrap: clean_text joins lines, wrapping only hurts
    converter.ignore_links = True
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.unicode_snob = True
    converter.ul_item_mark = "-"
    converter.pad_tables = True  # "| a | b |" rows, rather than "a| b" and a ruler
    return clean_text(_unmark(converter.handle(html)))


def markdown_to_text(markdown: str) -> str:
    """Turn a Markdown document (a ``.md`` file) into clean plain text.

    Links keep their text, images and link definitions are dropped, and emphasis, code,
    heading, quote and list markup is removed; the result goes through `clean_text`.
    """
    text = _MD_LINK_DEFINITION.sub("", _MD_IMAGE.sub("", markdown))
    text = _MD_EMPHASIS.sub(r"\2", _MD_LINK.sub(r"\1", text))
    return clean_text(_unmark(text))


def _unmark(markdown: str) -> str:
    """Remove line-level Markdown markup; table rows become paragraphs of their own."""
    lines: list[str] = []
    for raw in markdown.splitlines():
        line = _MD_QUOTE.sub("", raw.strip())
        if _MD_RULE.match(line) or _MD_TABLE_RULE.match(line):
            lines.append("")
            continue
        is_table_row = line.startswith("|") and line.endswith("|")
        line = line.strip("|").strip() if is_table_row else _MD_BULLET.sub("- ", line)
        lines.append(_MD_ESCAPE.sub(r"\1", _MD_INLINE.sub(r"\2", _MD_HEADING.sub("", line))))
        if is_table_row:
            lines.append("")
    return "\n".join(lines)


def clean_text(text: str) -> str:
    """Normalise plain text into paragraphs and drop obvious page furniture.

    Whitespace is normalised, the wrapped lines of a paragraph are joined (list items
    and table rows stay apart), a paragraph repeated verbatim is kept once, and short
    furniture is dropped: banners ("Advertisement", "Open in App", share and subscribe
    prompts), "Related"/"Read more" headings with the link list under them, tag lines,
    copyright lines and menu-like lines. A paragraph that reads as an ordinary sentence
    is kept. Returns paragraphs separated by one blank line, or ``""``.
    """
    kept: list[str] = []
    seen: set[str] = set()
    in_related_list = False
    for paragraph in _paragraphs(text):
        if in_related_list and _looks_like_link_title(paragraph):
            continue
        in_related_list = False
        if _RELATED_HEADING.match(paragraph):
            in_related_list = True
            continue
        if _is_furniture(paragraph):
            continue
        key = _key(paragraph)
        if key in seen and _is_prose(paragraph):
            continue
        seen.add(key)
        kept.append(paragraph)
    return "\n\n".join(kept)


def _paragraphs(text: str) -> Iterator[str]:
    """Yield normalised paragraphs: blank lines separate them, wrapped lines are joined."""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    for block in re.split(r"\n\s*\n", text):
        lines = [
            line for line in (_SPACES.sub(" ", raw).strip() for raw in block.split("\n")) if line
        ]
        if len(lines) > 1 and _RELATED_HEADING.match(lines[0]):
            # A heading over a list of links: keep the lines apart so the list can be dropped.
            yield from lines
            continue
        current: list[str] = []
        for line in lines:
            starts_item = _LIST_ITEM.match(line) or _is_table_row(line)
            if current and (starts_item or _is_table_row(current[-1])):
                yield " ".join(current)
                current = []
            current.append(line)
        if current:
            yield " ".join(current)


def _is_table_row(line: str) -> bool:
    return line.startswith("|") or line.count(" | ") >= 2


def _is_furniture(paragraph: str) -> bool:
    words = len(paragraph.split())
    if _FURNITURE.match(paragraph):
        return True
    if words <= 25 and _LABELLED_LINK.match(paragraph):
        return True
    if words <= 30 and _COPYRIGHT.search(paragraph):
        return True
    if words <= 30 and _CLICK_HERE.search(paragraph):
        return True
    if words <= 30 and _PROMO_START.match(paragraph) and _PROMO_WORD.search(paragraph):
        return True
    return _is_menu(paragraph)


def _is_menu(paragraph: str) -> bool:
    """True for a breadcrumb or menu line: three or more short items between separators."""
    if paragraph.startswith("|") or _SENTENCE_END.search(paragraph):
        return False
    items = _NAV_SEPARATOR.split(paragraph)
    return len(items) >= 3 and all(0 < len(item.split()) <= 3 for item in items)


def _looks_like_link_title(paragraph: str) -> bool:
    """A line of a related-stories list: a short headline, not a sentence."""
    return len(paragraph.split()) <= 20 and not _SENTENCE_END.search(paragraph.rstrip("|").strip())


def _is_prose(paragraph: str) -> bool:
    """Long enough, and sentence-like enough, that a verbatim repeat is an accident.

    Labels and list entries ("Meal 1", "Containers: 1 Green, 1 Red, 1 tsp.") legitimately
    repeat in tables and lists, so only paragraphs that read like running text are
    de-duplicated: several words, a sentence ending, and mostly lower-case words (in
    scripts that have case).
    """
    words = paragraph.split()
    if (len(words) < 8 and len(paragraph) < 60) or not _SENTENCE_END.search(paragraph):
        return False
    lower = sum(1 for word in words if word[:1].islower())
    upper = sum(1 for word in words if word[:1].isupper())
    return 2 * lower >= upper


def _key(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


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
        if match and _key(match.group(2)) == _key(sitename):
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
