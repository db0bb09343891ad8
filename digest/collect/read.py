"""Collection: read sources into raw `FeedItem` records.

Feeds and pages come over HTTP through `digest.collect.fetch` (the only network code) and are
parsed by `digest.collect.feeds`; local files and folders are read here. For a feed entry that
carries only a teaser, `fetch_full_text` fetches the page it links to, through the guard
against private addresses unless the source allows them.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import charset_normalizer

from digest.collect.feeds.parse import parse_feed
from digest.collect.fetch import Fetcher, FetchResult
from digest.errors import FetchError
from digest.models import FeedItem, Source, SourceKind

DOCUMENT_SUFFIXES = {".html": "html", ".htm": "html", ".txt": "text", ".md": "markdown"}
MAX_FILE_BYTES = 10_000_000
"""The largest local file read (a document or a feed), as large as the default ``[http]
max_bytes`` of a download. A bigger file is refused unread: it is no article, and would
cost minutes and gigabytes to extract."""


@dataclass(frozen=True, slots=True)
class RawSource:
    """What reading a source brought back, before parsing: a feed's or page's bytes, or
    the items of local files (which are read as they are listed)."""

    source: Source
    content: bytes = b""
    base_url: str = ""
    content_type: str = ""
    items: tuple[FeedItem, ...] = ()
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None


def read_source(
    source: Source,
    fetcher: Fetcher,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> RawSource:
    """Fetch or read a source. Remote sources are fetched conditionally.

    Raises `FetchError` (or `RetryLater`) when the source cannot be read.
    """
    if source.kind is SourceKind.FILES:
        return RawSource(source, items=tuple(read_files(source)))
    if not source.is_remote:
        path = Path(source.location)
        if source.kind is SourceKind.PAGE:
            return RawSource(source, items=(_file_item(source, path),))
        return RawSource(source, content=_read_bytes(path))
    result = fetcher.fetch(
        source.location,
        etag=etag,
        last_modified=last_modified,
        owned=True,
        allow_private=source.allow_private,
    )
    if result.not_modified:
        return RawSource(source, not_modified=True, etag=etag, last_modified=last_modified)
    if source.kind is SourceKind.PAGE:
        page = _page_item(source, result)
        return RawSource(
            source, items=(page,), etag=result.etag, last_modified=result.last_modified
        )
    return RawSource(
        source,
        content=result.content,
        base_url=result.url,
        content_type=result.content_type,
        etag=result.etag,
        last_modified=result.last_modified,
    )


def source_items(raw: RawSource) -> list[FeedItem]:
    """The items of a read source: its files or page as read, or its feed parsed.

    Pure. Raises `FeedError` when feed bytes are not a feed.
    """
    if raw.items or raw.not_modified or raw.source.kind is not SourceKind.FEED:
        return list(raw.items)
    return parse_feed(raw.content, raw.source, base_url=raw.base_url, content_type=raw.content_type)


def load_document(location: str, fetcher: Fetcher) -> FeedItem:
    """Read one document (a web page URL, or an .html/.htm/.txt/.md file) as an item."""
    if location.startswith(("http://", "https://")):
        source = Source(name=location, kind=SourceKind.PAGE, location=location)
        return _page_item(source, fetcher.fetch(location, owned=True))
    path = Path(location).expanduser()
    if not path.is_file():
        raise FetchError(f"{location} is neither a readable file nor an http(s) URL.")
    if path.suffix.lower() not in DOCUMENT_SUFFIXES:
        raise FetchError(
            f"{path} is not a document digest can read (use .html, .htm, .txt or .md)."
        )
    source = Source(name=str(path), kind=SourceKind.FILES, location=str(path.resolve()))
    return _file_item(source, path.resolve())


# --- local files --------------------------------------------------------------------------


def read_files(source: Source) -> list[FeedItem]:
    """Items for a local file or for every document in a folder (recursively, sorted)."""
    root = Path(source.location)
    if root.is_file():
        if root.suffix.lower() not in DOCUMENT_SUFFIXES:
            raise FetchError(f"{root} (source {source.name!r}) is not an .html, .txt or .md file.")
        return [_file_item(source, root)]
    if not root.is_dir():
        raise FetchError(f"{root} (source {source.name!r}) does not exist.")
    paths = sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and path.suffix.lower() in DOCUMENT_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )
    return [_file_item(source, path) for path in paths]


def _file_item(source: Source, path: Path) -> FeedItem:
    kind = DOCUMENT_SUFFIXES.get(path.suffix.lower(), "html")
    content = _read_bytes(path)
    text = decode_html(content) if kind == "html" else decode(content)
    if kind == "html":
        return FeedItem(
            source=source.name,
            guid=str(path),
            url=path.as_uri(),
            title="",
            content=text,
            content_type="html",
            published=None,
            is_full_page=True,
        )
    matter, text = split_front_matter(text)
    scraped = split_scraped_page(text) if kind == "text" else None
    author = None
    if scraped is not None:
        heading, author, body = scraped
    else:
        heading, body = split_title(text, markdown=kind == "markdown")
    title = matter.get("title") or heading
    published = (
        _front_matter_date(matter.get("date", ""))
        or _heading_date(heading)
        or datetime.fromtimestamp(path.stat().st_mtime, UTC)
    )
    return FeedItem(
        source=source.name,
        guid=str(path),
        url=path.as_uri(),
        title=title or path.stem.replace("-", " ").replace("_", " ").strip().capitalize(),
        content=body,
        content_type=kind,
        published=published,
        author=author,
    )


def _read_bytes(path: Path) -> bytes:
    """The file's bytes; `FetchError` when it cannot be read or is over `MAX_FILE_BYTES`."""
    try:
        size = path.stat().st_size
        if size <= MAX_FILE_BYTES:
            with path.open("rb") as file:
                content = file.read(MAX_FILE_BYTES + 1)  # it may have grown since
            size = len(content)
    except OSError as exc:
        raise FetchError(f"Cannot read {path}: {exc.strerror}.") from exc
    if size > MAX_FILE_BYTES:
        raise FetchError(
            f"{path} is not read: at {size:,} bytes it is over the {MAX_FILE_BYTES:,} bytes "
            "digest reads of a local file; move it out of the source's folder."
        )
    return content


def decode(content: bytes) -> str:
    """Bytes of a local document as text: UTF-8 (with or without BOM), else Windows-1252."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


_FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n(?P<block>.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M
)
_FRONT_MATTER_LINE = re.compile(r"^(?P<key>[A-Za-z][\w-]*)[ \t]*:[ \t]*(?P<value>.*?)[ \t]*$", re.M)
_HEADING_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split a leading ``---`` block of ``key: value`` lines (a note's front matter) from a
    document: its keys (lower case, values unquoted) and the text after it.

    Returns ``({}, text)`` when the document does not open with one.
    """
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    lines = match.group("block").splitlines() if match else []
    # A Markdown rule may open a note too: only "key: value" lines (and YAML's nested
    # values, lists and comments) make front matter.
    if match is None or not all(
        not line.strip() or line[0] in " \t-#" or _FRONT_MATTER_LINE.match(line) for line in lines
    ):
        return {}, text
    found: dict[str, str] = {}
    for line in _FRONT_MATTER_LINE.finditer(match.group("block")):
        value = line.group("value")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        found.setdefault(line.group("key").lower(), value.strip())
    return found, text.lstrip("\ufeff")[match.end() :].lstrip("\r\n")


def _front_matter_date(value: str) -> datetime | None:
    """A front matter ``date:``, an ISO 8601 date or time (taken as UTC without an offset)."""
    try:
        found = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _heading_date(heading: str) -> datetime | None:
    """A date written ``YYYY-MM-DD`` in a note's heading, as midnight UTC of that day."""
    match = _HEADING_DATE.search(heading)
    if match is None:
        return None
    try:
        year, month, day = map(int, match.groups())
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:  # 2024-13-45
        return None


_MD_TITLE = re.compile(r"\A\s*#\s+(?P<title>[^\n]+?)\s*#*\s*(?:\n|\Z)")


def split_title(text: str, *, markdown: bool) -> tuple[str, str]:
    """Split a leading title line from a plain-text or Markdown document.

    Markdown: a first ``# Heading``. Plain text: a short first line without sentence-ending
    punctuation, followed by a blank line. Returns ``("", text)`` when there is none.
    """
    if markdown:
        match = _MD_TITLE.match(text)
        if match:
            return match.group("title").strip(), text[match.end() :].lstrip("\n")
        return "", text
    stripped = text.lstrip()
    first, sep, rest = stripped.partition("\n")
    looks_like_title = 0 < len(first.strip()) <= 150 and not first.rstrip().endswith(
        (".", "!", "?", ":", ";", ",")
    )
    if sep and rest.startswith(("\n", "\r\n")) and looks_like_title:
        return first.strip(), rest.lstrip("\r\n")
    return "", text


# A scraped page's byline: "By Jane Doe | Updated: 10:32 EST, 12 March 2024", "By Jane Doe".
_BYLINE = re.compile(
    r"^by\s+(?P<author>[^|\u2022\n]{2,80}?)\s*(?:[|\u2022]\s*(?:last )?"
    r"(?:updated|published|posted)\b.*)?$",
    re.IGNORECASE,
)
_MENU_SEPARATOR = re.compile(r"\s+[|\u2022\u00b7\u00bb\u203a>/]\s+")
_NAVIGATION_LINES = 40  # a byline further down is the article's, not under its headline
_NAVIGATION_WORDS = 6


def split_scraped_page(text: str) -> tuple[str, str, str] | None:
    """The headline, the author and the body of a plain-text copy of a web page.

    Such a page opens with the site's navigation (short lines, or items between
    separators), then the headline, then a byline ("By Jane Doe | Updated: ..."). The
    body is what follows the byline. Returns None when the text does not open so.
    """
    lines = text.splitlines()
    before: list[str] = []
    for at, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            continue
        byline = _BYLINE.match(line)
        if byline and before:
            headline, navigation = before[-1], before[:-1]
            if _is_headline(headline) and all(map(_is_navigation, navigation)):
                body = "\n".join(lines[at + 1 :]).strip("\r\n")
                return headline, byline.group("author").strip(), body
            return None
        before.append(line)
        if len(before) > _NAVIGATION_LINES:
            return None
    return None


def _is_headline(line: str) -> bool:
    words = len(line.split())
    return 3 <= words <= 30 and len(line) <= 150 and not line.endswith((".", ":", ";", ","))


def _is_navigation(line: str) -> bool:
    """A menu's line: a few words, or short items between separators; never a sentence."""
    # "U.S." is a menu entry; "The council met." a sentence.
    if line.endswith((".", "!", "?", ":", ";", ",")) and len(line.split()) > 2:
        return False
    items = _MENU_SEPARATOR.split(line)
    return all(0 < len(item.split()) <= _NAVIGATION_WORDS for item in items)


# --- pages and full text -----------------------------------------------------------------

_TEASER_END = re.compile(
    r"(?:\u2026|\.\.\.|\[\s*(?:\u2026|\.\.\.)\s*\]|\b(?:read|continue reading|read more|more)\W*)$"
    r"|appeared first on\b",
    re.IGNORECASE,
)
_TAGS = re.compile(r"<[^>]+>")
TEASER_WORDS = 150
"""In ``auto`` mode a feed entry with fewer words than this is taken for a teaser."""


def needs_full_text(item: FeedItem, mode: str) -> bool:
    """Whether to fetch the page an entry links to instead of using its feed content.

    ``never`` keeps the feed content; ``always`` fetches every http(s) link; ``auto`` fetches
    when the content is short or ends like a teaser ("...", "Read more", "[...]").
    """
    if item.is_full_page or mode == "never" or not item.url.startswith(("http://", "https://")):
        return False
    if mode == "always":
        return True
    text = " ".join(_TAGS.sub(" ", item.content).split())
    return len(text.split()) < TEASER_WORDS or bool(_TEASER_END.search(text))


def fetch_full_text(item: FeedItem, source: Source, fetcher: Fetcher) -> FeedItem:
    """The item with the linked page in place of its feed content. Raises `FetchError`.

    The link comes from a third-party feed, so it is fetched through the address guard
    unless the source allows private addresses.
    """
    result = fetcher.fetch(item.url, allow_private=source.allow_private)
    return FeedItem(
        source=item.source,
        guid=item.guid,
        url=result.url,
        title=item.title,
        content=decode_html(result.content, result.charset),
        content_type="html",
        published=item.published,
        author=item.author,
        is_full_page=True,
    )


def _page_item(source: Source, result: FetchResult) -> FeedItem:
    return FeedItem(
        source=source.name,
        guid=result.url if source.kind is not SourceKind.PAGE else source.location,
        url=result.url,
        title="",
        content=decode_html(result.content, result.charset),
        content_type="html",
        is_full_page=True,
    )


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def decode_html(content: bytes, charset: str | None = None) -> str:
    """Decode a web page: BOM, then UTF-8, then the HTTP charset, then ``<meta charset>``,
    then detection; a declared charset that does not decode the bytes is ignored."""
    if content.startswith(codecs.BOM_UTF8):
        return content[3:].decode("utf-8", errors="replace")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16", errors="replace")
    meta = _META_CHARSET.search(content[:4096])
    # Valid UTF-8 beyond ASCII is almost never anything else, whatever a header claims; a
    # single-byte charset, in contrast, decodes any bytes, so it is tried after UTF-8.
    declared = ["utf-8", charset, meta.group(1).decode("ascii", "replace") if meta else None]
    for name in declared:
        if not name:
            continue
        try:
            return content.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    best = charset_normalizer.from_bytes(content).best()
    return str(best) if best is not None else content.decode("cp1252", errors="replace")
