"""Collection: read sources into raw `FeedItem` records.

This is the only module that makes HTTP requests (one pooled client, timeouts, a size cap
enforced while streaming, a bounded number of redirects, a User-Agent naming digest, and
conditional GET with ETag / Last-Modified). It also reads local source files. Parsing is
kept pure: `parse_feed` turns bytes into items and never lets feedparser fetch anything.
"""

from __future__ import annotations

import hashlib
import io
import re
from calendar import timegm
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

import feedparser
import httpx

from digest import __version__
from digest.errors import FeedError, FetchError
from digest.models import FeedItem, Source, SourceKind

USER_AGENT = f"digest/{__version__} (self-hosted article digest)"
DOCUMENT_SUFFIXES = {".html": "html", ".htm": "html", ".txt": "text", ".md": "markdown"}
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf")


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One HTTP response, read in full (or not modified)."""

    url: str  # the final URL, after redirects
    status: int
    content: bytes
    content_type: str
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class Collected:
    """What one source yielded in one collection."""

    source: Source
    items: tuple[FeedItem, ...]
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None


class Fetcher:
    """An HTTP client for one run: pooled connections, timeouts and a size cap.

    Use as a context manager. `fetch` raises `FetchError` with a one-line reason for every
    failure: timeouts, refused connections, HTTP errors, too many redirects, oversize bodies.
    """

    def __init__(
        self, *, timeout: float = 20.0, max_bytes: int = 10_000_000, max_redirects: int = 5
    ) -> None:
        self.max_bytes = max_bytes
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=True,
            max_redirects=max_redirects,
            headers={"User-Agent": USER_AGENT},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET `url`; with `etag`/`last_modified`, a 304 answer yields an empty result."""
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return _result(response, b"")
                if response.status_code >= 400:
                    reason = response.reason_phrase or "error"
                    raise FetchError(f"{url} answered HTTP {response.status_code} {reason}.")
                return _result(response, self._read_capped(url, response.iter_bytes()))
        except httpx.TooManyRedirects as exc:
            raise FetchError(f"{url} redirected too many times.") from exc
        except httpx.TimeoutException as exc:
            raise FetchError(f"{url} timed out.") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"Cannot fetch {url}: {_reason(exc)}.") from exc

    def _read_capped(self, url: str, chunks: Iterator[bytes]) -> bytes:
        body = bytearray()
        for chunk in chunks:
            body.extend(chunk)
            if len(body) > self.max_bytes:
                raise FetchError(
                    f"{url} sent more than {self.max_bytes:,} bytes; raise [http] max_bytes "
                    "to accept it."
                )
        return bytes(body)


def _result(response: httpx.Response, content: bytes) -> FetchResult:
    return FetchResult(
        url=str(response.url),
        status=response.status_code,
        content=content,
        content_type=response.headers.get("content-type", ""),
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
    )


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc).strip()
    return text.rstrip(".") if text else type(exc).__name__


def collect_source(
    source: Source,
    fetcher: Fetcher,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Collected:
    """Read every item a source currently offers.

    Remote sources are fetched conditionally with the stored validators. Raises `FetchError`
    or `FeedError` when the source as a whole cannot be read.
    """
    if source.kind is SourceKind.FILES:
        return Collected(source, tuple(read_files(source)))
    if source.is_remote:
        result = fetcher.fetch(source.location, etag=etag, last_modified=last_modified)
        if result.not_modified:
            return Collected(source, (), not_modified=True, etag=etag, last_modified=last_modified)
        content, base_url = result.content, result.url
    else:
        content, base_url = _read_bytes(Path(source.location)), Path(source.location).as_uri()
    if source.kind is SourceKind.PAGE:
        items: tuple[FeedItem, ...] = (_page_item(source, base_url, content),)
    else:
        items = tuple(parse_feed(content, source, base_url=base_url))
    validators = (result.etag, result.last_modified) if source.is_remote else (None, None)
    return Collected(source, items, etag=validators[0], last_modified=validators[1])


def load_document(location: str, fetcher: Fetcher) -> FeedItem:
    """Read one document (a web page URL, or an .html/.htm/.txt/.md file) as an item."""
    if location.startswith(("http://", "https://")):
        result = fetcher.fetch(location)
        source = Source(name=location, kind=SourceKind.PAGE, location=location)
        return _page_item(source, result.url, result.content)
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
    kind = DOCUMENT_SUFFIXES[path.suffix.lower()]
    text = decode(_read_bytes(path))
    published = datetime.fromtimestamp(path.stat().st_mtime, UTC)
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
    title, body = split_title(text, markdown=kind == "markdown")
    return FeedItem(
        source=source.name,
        guid=str(path),
        url=path.as_uri(),
        title=title or path.stem.replace("-", " ").replace("_", " ").strip().capitalize(),
        content=body,
        content_type=kind,
        published=published,
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FetchError(f"Cannot read {path}: {exc.strerror}.") from exc


def decode(content: bytes) -> str:
    """Bytes of a local document as text: UTF-8 (with or without BOM), else Windows-1252."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


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


# --- feeds and pages ----------------------------------------------------------------------


def _page_item(source: Source, url: str, content: bytes) -> FeedItem:
    return FeedItem(
        source=source.name,
        guid=url,
        url=url,
        title="",
        content=decode(content),
        content_type="html",
        is_full_page=True,
    )


def parse_feed(content: bytes, source: Source, *, base_url: str = "") -> list[FeedItem]:
    """Parse RSS or Atom bytes into items, in feed order. Pure: nothing is fetched.

    Raises `FeedError` when the bytes are not a feed (empty, HTML, binary, broken XML with
    no recoverable entries).
    """
    if not content.strip():
        raise FeedError(f"The feed {source.location} (source {source.name!r}) is empty.")
    parsed: Any = feedparser.parse(
        io.BytesIO(content), sanitize_html=False, resolve_relative_uris=False
    )
    version = parsed.get("version", "")
    if not version and not parsed.entries:
        reason = parsed.get("bozo_exception")
        detail = f" ({reason})" if reason else ""
        raise FeedError(
            f"{source.location} (source {source.name!r}) is not an RSS or Atom feed{detail}."
        )
    return [_entry_item(entry, source, base_url) for entry in parsed.entries]


def _entry_item(entry: Any, source: Source, base_url: str) -> FeedItem:
    link = urljoin(base_url, entry.get("link", "")) if entry.get("link") else ""
    content, content_type = _entry_content(entry)
    guid = entry.get("id") or link or _hash(entry.get("title", "") + content)
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
            return datetime.fromtimestamp(timegm(value), UTC)
    return None


_TAG = re.compile(r"<[^>]+>")


def _plain(title: str) -> str:
    """Feed titles sometimes carry markup; keep only the text, on one line."""
    return " ".join(_TAG.sub("", title).split())


def _hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
