"""OPML 1.0/2.0 subscription lists: import (bytes in, `OpmlImport` out) and export (text out).

Pure: no I/O. The caller reads or writes the file; this module only turns bytes into
records and records into a document.

The XML is parsed with the stdlib expat parser, which is told to refuse any document type
declaration the moment it starts, before an entity can be declared or expanded (billion
laughs, external entities). This works whatever the document's encoding, unlike a byte search
for ``<!DOCTYPE``, and costs no extra dependency. OPML never needs a DTD.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET
from xml.parsers import expat

from digest.errors import FeedError

_NOT_XML_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One subscription.

    `category` is the path of enclosing category outlines joined with ``"/"`` (``""`` when
    the feed sits directly in the body), e.g. ``"Tech/Python"``.
    """

    name: str
    url: str  # the feed's http(s) URL (OPML's xmlUrl)
    html_url: str = ""  # the site's http(s) URL (OPML's htmlUrl), or ""
    category: str = ""


@dataclass(frozen=True, slots=True)
class OpmlImport:
    """What an OPML document yielded, in document order."""

    feeds: tuple[OpmlFeed, ...]
    skipped: tuple[str, ...] = ()  # xmlUrls refused because they are not http(s) URLs


class _Refused(Exception):
    """Raised from inside the expat callbacks to stop at a DTD."""


def parse_opml(content: bytes, *, location: str = "The input") -> OpmlImport:
    """Read the subscriptions in an OPML 1.0 or 2.0 document. Pure: nothing is fetched.

    Every ``<outline>`` with an ``xmlUrl`` (attribute names are matched case-insensitively)
    becomes an `OpmlFeed`, named by its ``title``, else ``text``, else the URL. Outlines
    without an ``xmlUrl`` are categories: their titles (else texts) make up the `category`
    of the feeds inside them. A URL seen before is skipped silently; one that is not http(s)
    (``feed:``, ``file:``, ...) is listed in `OpmlImport.skipped`. A non-http(s) ``htmlUrl``
    is dropped.

    `location` names the document in error messages (a path or URL). Raises `FeedError`
    ("<location> is not an OPML file: ...") when the bytes are empty, are not well-formed
    XML, contain a ``<!DOCTYPE``, have a root other than ``<opml>``, or have no ``<body>``.
    """
    root = _parse_xml(content, location)
    if root.tag != "opml":
        raise FeedError(f"{location} is not an OPML file: its root element is <{root.tag}>.")
    body = root.find("body")
    if body is None:
        raise FeedError(f"{location} is not an OPML file: it has no <body> element.")

    feeds: list[OpmlFeed] = []
    skipped: list[str] = []
    seen: set[str] = set()
    # Depth-first with an explicit stack, so hostile nesting cannot exhaust the call stack.
    stack: list[tuple[ET.Element, tuple[str, ...]]] = [(child, ()) for child in reversed(body)]
    while stack:
        element, path = stack.pop()
        if element.tag != "outline":
            continue
        attrs = {key.lower(): value for key, value in element.attrib.items()}
        label = _collapse(attrs.get("title", "")) or _collapse(attrs.get("text", ""))
        xml_url = attrs.get("xmlurl", "").strip()
        if not xml_url:
            if label:
                path = (*path, label)
        elif xml_url in seen:
            pass
        elif not _is_web_url(xml_url):
            seen.add(xml_url)
            skipped.append(xml_url)
        else:
            seen.add(xml_url)
            html_url = attrs.get("htmlurl", "").strip()
            feeds.append(
                OpmlFeed(
                    name=label or xml_url,
                    url=xml_url,
                    html_url=html_url if _is_web_url(html_url) else "",
                    category="/".join(path),
                )
            )
        stack.extend((child, path) for child in reversed(element))
    return OpmlImport(tuple(feeds), tuple(skipped))


def render_opml(
    feeds: Iterable[OpmlFeed],
    *,
    title: str = "digest subscriptions",
    created: datetime | None = None,
) -> str:
    """An OPML 2.0 document listing `feeds`, as text with a UTF-8 XML declaration.

    The head holds `title` and, when `created` is given, ``dateCreated`` in RFC 822 form (a
    naive `created` is taken as UTC). Each feed is an ``<outline type="rss">`` with ``text``
    and ``title`` set to its name (its URL when the name is empty), ``xmlUrl`` and, when
    set, ``htmlUrl``. Feeds with a `category` are nested in category outlines, one level per
    ``"/"``-separated part; categories appear in the order first met. Names and URLs are
    escaped, and characters XML cannot carry (control characters) are dropped, so
    `parse_opml` reads the result back. Raises nothing.
    """
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _xml_text(title)
    if created is not None:
        ET.SubElement(head, "dateCreated").text = _rfc822(created)
    body = ET.SubElement(root, "body")
    categories: dict[tuple[str, ...], ET.Element] = {(): body}
    for feed in feeds:
        name = _xml_text(feed.name) or _xml_text(feed.url)
        attrs = {"type": "rss", "text": name, "title": name, "xmlUrl": _xml_text(feed.url)}
        if feed.html_url:
            attrs["htmlUrl"] = _xml_text(feed.html_url)
        ET.SubElement(_category_outline(categories, feed.category), "outline", attrs)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _parse_xml(content: bytes, location: str) -> ET.Element:
    if not content.strip():
        raise FeedError(f"{location} is not an OPML file: it is empty.")
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.StartElementHandler = lambda tag, attrs: builder.start(tag, dict(attrs))
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(content, True)
    except _Refused as exc:
        raise FeedError(
            f"{location} is not an OPML file digest will read: it contains a <!DOCTYPE> or "
            "<!ENTITY> declaration, which is refused for safety; remove it and try again."
        ) from exc
    except expat.ExpatError as exc:
        raise FeedError(f"{location} is not an OPML file: the XML is malformed ({exc}).") from exc
    except (LookupError, ValueError) as exc:  # an unknown or undecodable declared encoding
        raise FeedError(f"{location} is not an OPML file: {exc}.") from exc
    return builder.close()


def _refuse_dtd(*args: object) -> None:
    raise _Refused


def _category_outline(categories: dict[tuple[str, ...], ET.Element], category: str) -> ET.Element:
    """The outline for a "/"-separated category path, creating the missing levels."""
    path: tuple[str, ...] = ()
    parent = categories[path]
    for part in category.split("/"):
        label = _collapse(_xml_text(part))
        if not label:
            continue
        path = (*path, label)
        if path not in categories:
            categories[path] = ET.SubElement(parent, "outline", {"text": label, "title": label})
        parent = categories[path]
    return parent


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.netloc)


def _rfc822(when: datetime) -> str:
    aware = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return format_datetime(aware, usegmt=True)


def _xml_text(text: str) -> str:
    return _NOT_XML_CHARS.sub("", text)


def _collapse(text: str) -> str:
    return " ".join(text.split())
