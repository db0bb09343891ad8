"""A fast reader for the common case: well-formed RSS 2.0 (and 0.9x) and Atom 1.0 feeds.

Pure: no I/O. feedparser copes with every feed ever seen, at about a millisecond per entry in
pure Python; most feeds are well-formed, and lxml reads those many times faster. This reader
reports each entry exactly as feedparser would (an `entries.Entry`), and `entries.item`
turns it into a `FeedItem` on either path, so the two readers give the same items with the
same fields and the same identities. To agree with feedparser it uses feedparser's own
pieces where they decide a value: its choice of character encoding (the HTTP charset, the
XML declaration and the byte order mark, weighed by `convert_to_utf8`), its date parser,
its URL joining and its guess of whether an RSS title is HTML.

`parse` returns None, and the caller hands the bytes to feedparser, whenever the document is
anything it does not fully understand: broken XML, a DTD, RSS 1.0/RDF, Atom 0.3, an element
inside an entry that feedparser gives a meaning it does not reproduce (``xhtml:body``,
``itunes:summary``, ``media:title``, an XHTML or base64 text construct, a second
description...), entries outside the channel, an ``xml:base`` below an element without
one (feedparser lets it leak into the following elements), or a relative link with no URL
to resolve it against. Elements feedparser gives no meaning that digest reads (comments,
enclosures, categories, ``slash:comments``, WordPress's ``post-id``...) are skipped.
tests/test_feed_corpus.py checks the two readers against each other on feedparser's own
test corpus.
"""

from __future__ import annotations

import contextlib
import html.entities
import re
from collections.abc import Callable
from time import struct_time
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.encodings import convert_to_utf8
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.sanitizer import _HTMLSanitizer
from feedparser.urls import _urifixer as _URI_FIXER
from feedparser.urls import _urljoin, make_safe_absolute_uri
from lxml import etree

from digest.collect.feeds.entries import Entry, item
from digest.models import FeedItem, Source

_ATOM = "{http://www.w3.org/2005/Atom}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_DCTERMS = "{http://purl.org/dc/terms/}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_MEDIA = "{http://search.yahoo.com/mrss/}"
_MEDIA_HOLDERS = {f"{_MEDIA}content", f"{_MEDIA}group"}
_MEDIA_INNER = {*_MEDIA_HOLDERS, f"{_MEDIA}title", f"{_MEDIA}thumbnail", f"{_MEDIA}credit"}
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_XML_ATTRIBUTES = {_XML_BASE, "{http://www.w3.org/XML/1998/namespace}lang"}
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
)
# feedparser's name for each namespace it knows ('' for the feed formats' own).
_PREFIXES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
# Keys of feedparser's entries that digest reads: an unknown element of that name would
# set them, so it is not skipped.
_READ_KEYS = {"title", "title_detail", "link", "links", "guidislink", "id", "author",
              "authors", "author_detail", "content", "summary", "summary_detail",
              "published", "published_parsed", "updated", "updated_parsed", "created",
              "created_parsed"}  # fmt: skip
# Elements feedparser has a handler for that touch nothing digest reads (when empty of
# child elements).
_HARMLESS = {"category", "dc_subject", "enclosure", "media_content", "media_thumbnail",
             "itunes_image", "itunes_explicit", "itunes_block", "itunes_keywords"}  # fmt: skip
_CLOSE_TAG = re.compile(r"</(\w+)>")
_TAG_NAME = re.compile(r"</?(\w+)")
_CHARACTER_REFERENCE = re.compile(r"&#?\w+;")
_ENTITY_NAME = re.compile(r"&(\w+);")
_ACCEPTABLE_ELEMENTS = frozenset(_HTMLSanitizer.acceptable_elements)


class _Unsupported(Exception):
    """Something only feedparser should judge."""


def parse(
    content: bytes, source: Source, base_url: str, content_type: str = ""
) -> list[FeedItem] | None:
    """The items of a well-formed RSS 2.0 or Atom 1.0 feed, or None to let feedparser decide.

    None also for a feed with no items, so that feedparser judges whether it is a feed.
    """
    entries = read(content, content_type)
    if not entries:
        return None
    if not base_url and any(entry.link for entry in entries):
        return None  # feedparser's path resolves links against the feed's own link
    items = [item(entry, source, base_url) for entry in entries]
    return [found for found in items if found is not None]


def read(content: bytes, content_type: str = "") -> list[Entry] | None:
    """The entries of `content` as feedparser would report them, or None."""
    result: dict[str, Any] = {}
    headers = {"content-type": content_type} if content_type else {}
    data = convert_to_utf8(headers, content, result)
    if not result.get("encoding"):
        return None  # feedparser reads it with its loose parser
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root.getroottree().docinfo.doctype or not isinstance(root.tag, str):
        return None  # a DTD may declare entities: feedparser's job
    base = _base("", root)
    if not base and b"base" in data and root.xpath("boolean(//@xml:base | //@base)"):
        return None  # feedparser lets an xml:base leak past its element
    try:
        if root.tag == "rss":
            return _rss(root, base)
        if root.tag == f"{_ATOM}feed":
            return _atom(root, base)
    except _Unsupported:
        return None
    return None


# --- RSS ------------------------------------------------------------------------------------


def _rss(root: etree._Element, base: str) -> list[Entry]:
    channels = [child for child in root if child.tag == "channel"]
    if len(channels) != 1 or set(channels[0].attrib) - _XML_ATTRIBUTES:
        raise _Unsupported
    channel = channels[0]
    _no_entries_in(child for child in root if child is not channel)
    base = _base(base, channel)
    entries = []
    for child in channel:
        if child.tag == "item":
            entries.append(_rss_item(child, base))
        else:
            _no_entries_in((child,))
    return entries


def _rss_item(element: etree._Element, base: str) -> Entry:
    _only_xml_attributes(element)
    base = _base(base, element)
    state = _State()
    descriptions = 0
    media_title = False
    for child in element:
        tag = child.tag
        if tag in _MEDIA_HOLDERS:
            media_title = _media(child) or media_title
            continue
        if not isinstance(tag, str) or len(child):
            raise _Unsupported  # a comment, or markup inside a field
        if tag in ("title", f"{_DC}title"):
            _only_xml_attributes(child)
            value = _value(child.text)
            is_html = _looks_like_html(value)
            state.title(_fix(value), is_html)
        elif tag == "link" or tag == f"{_ATOM}link":
            state.link_element(child, _base(base, child))
        elif tag == "guid":
            attributes = _attributes(child)
            if set(attributes) - {"ispermalink"}:
                raise _Unsupported
            permalink = attributes.get("ispermalink", "true") == "true"
            value = _value(child.text)
            if permalink and value:
                value = _join(_base(base, child), value)
            state.guid(_fix(value), permalink)
        elif tag in ("description", f"{_DC}description"):
            _only_xml_attributes(child)
            descriptions += 1
            if descriptions > 1:
                raise _Unsupported  # a second one becomes content in feedparser
            state.summary = (_fix(_value(child.text)), "text/html")
        elif tag == _CONTENT:
            _only_xml_attributes(child)
            state.content(_fix(_value(child.text)), "text/html")
        elif tag in ("pubDate", f"{_DCTERMS}issued"):
            state.published = _date(child.text)
        elif tag in (f"{_DC}date", f"{_DCTERMS}modified"):
            state.updated = _date(child.text)
        elif tag == f"{_DCTERMS}created":
            state.created = _date(child.text)
        elif tag in ("author", f"{_DC}creator", f"{_DC}author"):
            state.author = _fix(_value(child.text))
        else:
            _skippable(child)
    if media_title and not state.has_title:
        raise _Unsupported  # feedparser would take the media:title as the entry's title
    return state.entry()


def _media(element: etree._Element) -> bool:
    """Check a media:content or media:group holds only what cannot change the entry, and
    say whether it holds a media:title (which feedparser takes as the entry's title when the
    entry has none of its own)."""
    titled = False
    for inner in element.iter():
        if inner.tag not in _MEDIA_INNER:
            raise _Unsupported  # media:description, media:keywords... or a comment
        titled = titled or inner.tag == f"{_MEDIA}title"
    return titled


# --- Atom -----------------------------------------------------------------------------------


def _atom(root: etree._Element, base: str) -> list[Entry]:
    entries = []
    for child in root:
        if child.tag == f"{_ATOM}entry":
            entries.append(_atom_entry(child, base))
        else:
            _no_entries_in((child,))
    return entries


def _atom_entry(element: etree._Element, base: str) -> Entry:
    _only_xml_attributes(element)
    base = _base(base, element)
    state = _State()
    summaries = 0
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            raise _Unsupported
        if tag == f"{_ATOM}author":
            state.author = _atom_author(child)
            continue
        if len(child):
            raise _Unsupported  # XHTML, or markup where text belongs
        if tag == f"{_ATOM}title":
            value, mime = _atom_text(child)
            state.title(value, mime in _HTML_TYPES)
        elif tag == f"{_ATOM}link":
            state.link_element(child, _base(base, child))
        elif tag == f"{_ATOM}id":
            _only_xml_attributes(child)
            value = _value(child.text)
            state.guid(_fix(_join(_base(base, child), value) if value else value), True)
        elif tag == f"{_ATOM}summary":
            summaries += 1
            if summaries > 1:
                raise _Unsupported  # a second one becomes content in feedparser
            state.summary = _atom_text(child)
        elif tag == f"{_ATOM}content":
            state.content(*_atom_text(child))
        elif tag in (f"{_ATOM}published", f"{_ATOM}issued"):
            state.published = _date(child.text)
        elif tag in (f"{_ATOM}updated", f"{_ATOM}modified"):
            state.updated = _date(child.text)
        elif tag == f"{_ATOM}created":
            state.created = _date(child.text)
        else:
            _skippable(child)
    return state.entry()


def _atom_text(element: etree._Element) -> tuple[str, str]:
    """An Atom text construct's value and MIME type; plain text and HTML only."""
    if set(element.attrib) - {"type", *_XML_ATTRIBUTES}:
        raise _Unsupported  # src, mode...
    mime = _FeedParserMixin.map_content_type(element.get("type", "text").lower())
    if mime not in ("text/plain", "text/html"):
        raise _Unsupported  # XHTML, base64, XML
    return _fix(_value(element.text)), mime


def _atom_author(element: etree._Element) -> str:
    """feedparser's author: "name (email)", the name, the email, or the text."""
    _only_xml_attributes(element)
    if not len(element):
        return _fix(_value(element.text))
    if _value(element.text):
        raise _Unsupported
    found: dict[str, str] = {}
    for child in element:
        if child.tag not in (f"{_ATOM}name", f"{_ATOM}email", f"{_ATOM}uri") or len(child):
            raise _Unsupported
        if _value(child.tail):
            raise _Unsupported
        found[child.tag[len(_ATOM) :]] = _value(child.text)  # feedparser keeps these raw
    name, email = found.get("name"), found.get("email")
    if name and email:
        return f"{name} ({email})"
    return name or email or ""


# --- what an entry's elements add up to, in feedparser's order of precedence ------------------


class _State:
    """An entry being read, element by element, with feedparser's rules of precedence."""

    def __init__(self) -> None:
        self._title = ""
        self._title_is_html = False
        self._has_title = False  # a non-empty title was seen: later ones are ignored
        self._link: str | None = None
        self._id = ""
        self._guid_is_link: bool | None = None
        self._contents: list[tuple[str, str]] = []
        self.summary: tuple[str, str] | None = None
        self.published: struct_time | None = None
        self.updated: struct_time | None = None
        self.created: struct_time | None = None
        self.author = ""

    @property
    def has_title(self) -> bool:
        return self._has_title

    def title(self, value: str, is_html: bool) -> None:
        if not self._has_title:
            self._title, self._title_is_html = value, is_html
            self._has_title = bool(value)

    def link_element(self, element: etree._Element, base: str) -> None:
        attributes = _attributes(element)
        href = attributes.get("url", attributes.get("uri", attributes.get("href")))
        if href is None:
            if attributes:
                raise _Unsupported
            # A link in text; feedparser undoes `&amp;` escaped twice in query strings.
            value = _value(element.text)
            value = _fix(_join(base, value)) if value else ""
            if "&" in value:
                value = _ENTITY_LIKE.sub(r"&\g<1>", value.replace("&amp;", "&"))
            self._link = value
            return
        if any(attributes.get(key) == "" for key in ("url", "uri", "href")):
            raise _Unsupported  # feedparser makes an empty href the base URI
        rel = attributes.get("rel", "alternate").lower()
        kind = attributes.get("type", "application/atom+xml" if rel == "self" else "text/html")
        if rel == "alternate" and _map_type(kind.lower()) in _HTML_TYPES:
            self._link = _join(base, href)

    def guid(self, value: str, is_permalink: bool) -> None:
        self._id = value
        if self._guid_is_link is None:
            self._guid_is_link = is_permalink and self._link is None
        if is_permalink and self._link is None:
            self._link = value

    def content(self, value: str, mime: str) -> None:
        self._contents.append((value, mime))
        if self.summary is None:
            self.summary = (value, "")  # feedparser copies the first content to the summary

    def entry(self) -> Entry:
        bodies = list(self._contents)
        if self.summary is not None and self.summary[0]:
            value, mime = self.summary
            bodies.append((value, mime or "text/html"))
        link = self._link or ""
        return Entry(
            title=self._title,
            title_is_html=self._title_is_html,
            link=link,
            link_is_guid=bool(self._guid_is_link) and link == self._id,
            id=self._id,
            dates=(self.published, self.updated, self.created),
            author=self.author,
            bodies=bodies,
        )


# --- values as feedparser makes them ---------------------------------------------------------

_ENTITY_LIKE = re.compile(r"&([A-Za-z0-9_]+);")
_map_type: Callable[[str], str] = _FeedParserMixin.map_content_type


def _looks_like_html(value: str) -> bool:
    """feedparser's guess that an RSS title is HTML (`looks_like_html`), without making a
    list of every tag in it: a close tag or an entity, and only tags and entities of HTML."""
    if not (_CLOSE_TAG.search(value) or _CHARACTER_REFERENCE.search(value)):
        return False
    if any(m[1].lower() not in _ACCEPTABLE_ELEMENTS for m in _TAG_NAME.finditer(value)):
        return False
    return all(m[1] in html.entities.entitydefs for m in _ENTITY_NAME.finditer(value))


def _value(text: str | None) -> str:
    return text.strip() if text else ""


def _fix(value: str) -> str:
    """feedparser's last touches on every value: text that is UTF-8 read as Latin-1 is read
    again, and C1 control characters become the windows-1252 characters they stand for."""
    if value.isascii():
        return value
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    return value.translate(_cp1252)


def _date(text: str | None) -> struct_time | None:
    value = _fix(_value(text))
    return _parse_date(value) if value else None


def _join(base: str, uri: str) -> str:
    """feedparser's URL joining (`_urljoin`), quicker when there is no base."""
    return _urljoin(base, uri) if base else _URI_FIXER.sub(r"\1\3", uri)  # type: ignore[no-any-return]


def _base(parent: str, element: etree._Element) -> str:
    """The base URI feedparser holds inside `element` (its xml:base, resolved)."""
    own = element.get(_XML_BASE) or element.get("base") or parent
    if not own:
        return ""
    if parent:
        return str(make_safe_absolute_uri(parent, own) or parent)
    return str(_urljoin(parent, own))


def _attributes(element: etree._Element) -> dict[str, str]:
    """Attributes as feedparser sees them: names in lower case, xml:base and xml:lang aside."""
    return {
        str(key).lower(): str(value)
        for key, value in element.attrib.items()
        if key not in _XML_ATTRIBUTES
    }


def _only_xml_attributes(element: etree._Element) -> None:
    if any(key not in _XML_ATTRIBUTES for key in element.attrib):
        raise _Unsupported  # rdf:about, type, lastmod, href...


def _feedparser_name(element: etree._Element) -> str:
    """The name feedparser dispatches `element` under, e.g. ``dc_creator``."""
    name = etree.QName(element)
    namespace, local = (name.namespace or "").lower(), name.localname
    prefix = ""
    if namespace and "backend.userland.com/rss" not in namespace:
        prefix = _PREFIXES.get(namespace, element.prefix or "")
    return f"{prefix}_{local.lower()}" if prefix else local.lower()


def _skippable(element: etree._Element) -> None:
    """Raise `_Unsupported` unless feedparser gives `element` no meaning digest reads."""
    name = _feedparser_name(element)
    if name in _HARMLESS:
        return
    if name in _READ_KEYS or name.endswith(("_parsed", "_detail")):
        raise _Unsupported
    if hasattr(_FeedParserMixin, f"_start_{name}") or hasattr(_FeedParserMixin, f"_end_{name}"):
        raise _Unsupported  # itunes_summary, media_title, xhtml_body, source...


def _no_entries_in(elements: Any) -> None:
    """Raise `_Unsupported` if an item or entry hides where this reader does not look."""
    for element in elements:
        for inner in element.iter():
            if isinstance(inner.tag, str) and _feedparser_name(inner) in ("item", "entry"):
                raise _Unsupported
