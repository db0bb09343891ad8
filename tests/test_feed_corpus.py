"""digest's feed reading against feedparser, on feedparser's own test corpus.

tests/data/feedparser-tests/ is a copy of feedparser's test files (BSD-2-Clause, see its
LICENSE): about 2,100 small feeds, well-formed and broken, in every dialect and encoding
feedparser knows. Every file goes through `parse_feed` (digest's reading) and through
`feedparser.parse` directly, and each entry is compared field by field: title, link, id,
date, author and text. feedparser is the reference for what a feed means; where digest
answers differently on purpose, the difference is listed in tests/data/feed-differences.toml
with the reason digest's answer is the better one. A test fails on a difference that is not
listed, and on a listed one that no longer occurs, so the list stays honest.

The same files also check digest's two readers against each other: wherever the fast lxml
reader accepts a file, it must give exactly the items the feedparser path gives.

Finally, corpus files are mutated (truncated, bytes flipped, values made huge, nesting made
deep, entities multiplied) and `parse_feed` must never let anything but a `DigestError` out.

`bench/feeds.py` loads this module by its path and prints the same comparison as a table.
"""

from __future__ import annotations

import fnmatch
import functools
import html
import io
import random
import re
import tomllib
from calendar import timegm
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import feedparser
import pytest

from digest.collect.feeds import fast
from digest.collect.feeds.parse import parse_feed, parse_with_feedparser
from digest.errors import DigestError
from digest.models import FeedItem, Source, SourceKind

DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "feedparser-tests"
REVIEWED = DATA / "feed-differences.toml"
# feedparser's own test server serves the corpus from here; relative links resolve against it.
SERVER = "http://127.0.0.1:8097/tests/"
SOURCE = Source("corpus", SourceKind.FEED, "https://example.com/feed")
FIELDS = ("title", "link", "id", "date", "author", "text")
# What a reviewed difference may be about; a crash, or the two readers disagreeing, never is.
LISTABLE = {*FIELDS, "missing", "extra", "refused"}
TITLE_CAP, AUTHOR_CAP = 300, 100  # digest's documented caps (digest.collect.feeds.entries)
_HEADER = re.compile(rb"^Header:\s*([A-Za-z-]+):\s*(.*?)\s*$", re.MULTILINE)
_HTML_TYPES = {"text/html", "application/xhtml+xml", "html", "xhtml"}
_EMPTY = "an empty entry (no title, link, id or text)"


def corpus_files() -> list[str]:
    return sorted(
        str(path.relative_to(CORPUS))
        for path in CORPUS.rglob("*")
        if path.is_file() and path.name != "LICENSE"
    )


@dataclass(frozen=True)
class Case:
    """One corpus file as a server would send it: bytes, URL and response headers."""

    name: str
    content: bytes
    url: str
    headers: dict[str, str]

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def load_case(name: str) -> Case:
    content = (CORPUS / name).read_bytes()
    # Like feedparser's test server: "Header: Name: value" lines in the leading comment.
    headers = {
        match[1].decode().lower(): match[2].decode("latin-1")
        for match in _HEADER.finditer(content[:2000])
    }
    url = SERVER + name
    if headers.get("content-location"):
        url = urljoin(url, headers["content-location"])
    return Case(name, content, url, headers)


# --- feedparser's answer, in digest's terms ---------------------------------------------


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(markup: str) -> str:
    """The text an HTML fragment shows, whitespace collapsed."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return collapse("".join(parser.parts))


def collapse(text: str) -> str:
    return " ".join(text.split())


def capped(text: str, cap: int) -> str:
    """digest's documented cap, written out again: cut on a word, then an ellipsis."""
    if len(text) <= cap:
        return text
    cut = text[:cap]
    if not text[cap].isspace() and " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "…"


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(timegm(value), UTC) if value else None
    except (OverflowError, ValueError, OSError):
        return None


def _join(base: str, link: str) -> str:
    try:
        return urljoin(base, link) if link else ""
    except ValueError:
        return ""


def reference(case: Case) -> list[dict[str, Any]]:
    """feedparser's entries for `case`, each as the six compared fields.

    Like feedparser's own test suite, a file named ``http*`` or with ``Header:`` lines is
    read as an HTTP response from `case.url` (with those headers), any other as a local
    file, whose relative links are then resolved against `case.url`.
    """
    served = bool(case.headers) or case.name.rpartition("/")[2].startswith("http")
    parsed: Any = feedparser.parse(
        io.BytesIO(case.content),
        response_headers={**case.headers, "content-location": case.url} if served else None,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    entries = []
    for entry in parsed.entries:
        title = entry.get("title", "")
        if (entry.get("title_detail") or {}).get("type") in _HTML_TYPES:
            title = html_text(title)
        bodies = [
            (part.get("value", ""), part.get("type", "")) for part in entry.get("content", [])
        ]
        if entry.get("summary"):
            bodies.append((entry["summary"], (entry.get("summary_detail") or {}).get("type", "")))
        body, kind = max(bodies, key=lambda body: len(body[0])) if bodies else ("", "")
        dates = (
            dict.get(entry, key) for key in ("published_parsed", "updated_parsed", "created_parsed")
        )
        link = entry.get("link", "") if served else _join(case.url, entry.get("link", ""))
        entries.append(
            {
                "title": capped(collapse(title), TITLE_CAP),
                "link": link,
                "id": entry.get("id", "") or link,
                "date": next((when for when in map(_when, dates) if when), None),
                "author": capped(collapse(entry.get("author", "")), AUTHOR_CAP),
                "text": collapse(body) if kind == "text/plain" else html_text(body),
            }
        )
    return entries


def fields(item: FeedItem) -> dict[str, Any]:
    """digest's item as the six compared fields."""
    return {
        "title": item.title,
        "link": item.url,
        "id": "" if item.guid.startswith("sha256:") else item.guid,
        "date": item.published,
        "author": item.author or "",
        "text": collapse(item.content) if item.content_type == "text" else html_text(item.content),
    }


# --- the comparison ---------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    file: str
    field: str
    detail: str


def _key(entry: dict[str, Any]) -> str:
    return str(entry["id"] or entry["link"] or entry["title"])


def compare(case: Case) -> list[Difference]:
    """Every way digest's reading of `case` differs from feedparser's."""
    found: list[Difference] = []

    def differ(field: str, detail: str) -> None:
        found.append(Difference(case.name, field, detail))

    expected = reference(case)
    try:
        items = parse_feed(case.content, SOURCE, base_url=case.url, content_type=case.content_type)
    except DigestError as exc:
        if expected:
            differ("refused", f"{len(expected)} entries; digest: {exc}")
        return found
    except Exception as exc:
        differ("crash", f"{type(exc).__name__}: {exc}")
        return found
    got = [fields(item) for item in items]
    if len(got) == len(expected):
        pairs = list(zip(expected, got, strict=True))
    else:
        matcher = SequenceMatcher(None, [_key(e) for e in expected], [_key(g) for g in got])
        pairs = []
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                pairs.extend(zip(expected[i1:i2], got[j1:j2], strict=True))
                continue
            for entry in expected[i1:i2]:
                differ(
                    "missing",
                    _key(entry)[:80] or _EMPTY
                    if entry["text"] == ""
                    else _key(entry)[:80] or "an entry with text only",
                )
            for entry in got[j1:j2]:
                differ("extra", _key(entry)[:80])
    for want, have in pairs:
        for field in FIELDS:
            if field == "id" and not have["id"] and not want["id"]:
                continue
            if want[field] != have[field]:
                differ(
                    field, f"feedparser {str(want[field])[:80]!r}, digest {str(have[field])[:80]!r}"
                )
    return found


def readers_disagree(case: Case, base_url: str) -> str:
    """Where the fast reader accepts `case`, how its items differ from the feedparser path's."""
    try:
        quick = fast.parse(case.content, SOURCE, base_url, case.content_type)
    except Exception as exc:  # the fast reader must step aside, never fail
        return f"the fast reader raised {type(exc).__name__}: {exc}"
    if quick is None:
        return ""
    try:
        slow = parse_with_feedparser(
            case.content, SOURCE, base_url=base_url, content_type=case.content_type
        )
    except DigestError as exc:
        return f"the fast reader read {len(quick)} items, feedparser's path refused: {exc}"
    if quick == slow:
        return ""
    if len(quick) != len(slow):
        return f"the fast reader read {len(quick)} items, feedparser's path {len(slow)}"
    for one, other in zip(quick, slow, strict=True):
        for name in FeedItem.__slots__:
            if getattr(one, name) != getattr(other, name):
                return f"{name}: fast {getattr(one, name)!r}, feedparser {getattr(other, name)!r}"
    return "the items differ"


@functools.cache
def differences(name: str) -> tuple[Difference, ...]:
    case = load_case(name)
    found = compare(case)
    for base_url in (case.url, ""):
        disagreement = readers_disagree(case, base_url)
        if disagreement:
            found.append(Difference(name, "readers", f"base {base_url!r}: {disagreement}"))
    return tuple(found)


@dataclass(frozen=True)
class Reviewed:
    file: str  # a path under the corpus, or a glob pattern
    field: str
    reason: str
    detail: str = "*"  # a glob pattern on the difference's description

    def covers(self, difference: Difference) -> bool:
        return (
            self.field == difference.field
            and fnmatch.fnmatchcase(difference.file, self.file)
            and fnmatch.fnmatchcase(difference.detail, self.detail)
        )


@functools.cache
def reviewed() -> tuple[Reviewed, ...]:
    document = tomllib.loads(REVIEWED.read_text(encoding="utf-8"))
    return tuple(Reviewed(**entry) for entry in document.get("difference", []))


def unlisted(found: tuple[Difference, ...]) -> list[Difference]:
    return [d for d in found if not any(entry.covers(d) for entry in reviewed())]


# --- the tests ----------------------------------------------------------------------------


FILES = corpus_files()


def test_the_corpus_is_here_with_its_licence() -> None:
    assert len(FILES) > 2000
    assert "Kurt McKee" in (CORPUS / "LICENSE").read_text()


@pytest.mark.parametrize("name", FILES)
def test_digest_reads_the_file_as_feedparser_does(name: str) -> None:
    left = unlisted(differences(name))
    assert not left, "\n".join(f"{d.field}: {d.detail}" for d in left)


def test_every_reviewed_difference_is_well_formed() -> None:
    for entry in reviewed():
        assert entry.field in LISTABLE, entry
        assert len(entry.reason.split()) >= 5, entry
        assert any(fnmatch.fnmatchcase(name, entry.file) for name in FILES), entry


def test_every_reviewed_difference_still_occurs() -> None:
    every = [d for name in FILES for d in differences(name)]
    stale = [entry for entry in reviewed() if not any(entry.covers(d) for d in every)]
    assert not stale, "no longer occurs, remove from feed-differences.toml:\n" + "\n".join(
        f"{entry.file} {entry.field}" for entry in stale
    )


# --- mutations: nothing but a DigestError leaves parse_feed -------------------------------


def _mutations(content: bytes, rng: random.Random) -> Iterator[bytes]:
    yield content[: rng.randrange(len(content) + 1)]
    flipped = bytearray(content)
    for _ in range(1 + len(content) // 200):
        flipped[rng.randrange(len(flipped))] = rng.randrange(256)
    yield bytes(flipped)
    for tag in (b"<title>", b"<link>", b"<guid>", b"<pubDate>", b"<id>", b"<updated>"):
        if tag in content:
            at = content.index(tag) + len(tag)
            yield (
                content[:at]
                + rng.choice([b"x" * 200_000, b"&amp;" * 50_000, b"\xff" * 1000])
                + content[at:]
            )
    odd_values = [
        (b"<pubDate>", b"Fri, 31 Dec 9999 23:59:59 -1200"),
        (b"<updated>", b"9999-12-31T23:59:59-12:00"),
        (b"<link>", b"http://[::1/post"),
        (b"<guid>", b"http://[::1/post"),
    ]
    for tag, value in odd_values:
        if tag in content:
            at = content.index(tag) + len(tag)
            end = content.find(b"<", at)
            yield content[:at] + value + content[end:]
    depth = rng.choice([100, 3000])
    at = content.find(b"<item>") + 6 if b"<item>" in content else len(content) // 2
    yield content[:at] + b"<div>" * depth + b"deep" + b"</div>" * depth + content[at:]
    bomb = (
        b'<!DOCTYPE rss [<!ENTITY a "'
        + b"x" * 1000
        + b'">'
        + b"".join(
            b'<!ENTITY %c "%s">' % (98 + level, (b"&%c;" % (97 + level)) * 10) for level in range(6)
        )
        + b"]>"
    )
    yield bomb + content.replace(b"<title>", b"<title>&g;", 1)


MUTATED = [name for index, name in enumerate(FILES) if index % 7 == 0]


@pytest.mark.parametrize("name", MUTATED)
def test_mutated_files_raise_only_digest_errors(name: str) -> None:
    rng = random.Random(name)
    content = (CORPUS / name).read_bytes()
    for mutant in _mutations(content, rng):
        try:
            items = parse_feed(
                mutant,
                SOURCE,
                base_url=SERVER + name,
                content_type=rng.choice(
                    ["", "application/rss+xml; charset=iso-8859-1", "text/xml", "text/html"]
                ),
            )
        except DigestError:
            continue
        for item in items:
            assert len(item.title) <= TITLE_CAP + 1
            assert item.author is None or len(item.author) <= AUTHOR_CAP + 1
            html.escape(item.title)  # a str, usable by the templates
