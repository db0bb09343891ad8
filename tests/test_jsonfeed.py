"""JSON Feed 1.0/1.1 parsing: fixtures, every field fallback, errors and hostile input."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from digest.collect.feeds.jsonfeed import looks_like_json_feed, parse_json_feed
from digest.errors import FeedError
from digest.models import FeedItem, Source, SourceKind

from .conftest import DATA

FEEDS = DATA / "jsonfeed"
SOURCE = Source(name="Notes", kind=SourceKind.FEED, location="https://notes.example.org/feed.json")
V11 = "https://jsonfeed.org/version/1.1"
V1 = b'{"version": "https://jsonfeed.org/version/1"'
SITE = "https://site.example"
HOME = "https://home.example"


def feed_bytes(*items: Any, **fields: Any) -> bytes:
    """A JSON Feed 1.1 document with `items` and any extra feed-level `fields`."""
    return json.dumps({"version": V11, "title": "T", **fields, "items": list(items)}).encode()


def parse_one(item: Any, **fields: Any) -> FeedItem:
    items = parse_json_feed(feed_bytes(item, **fields), SOURCE)
    assert len(items) == 1
    return items[0]


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


# --- fixtures -----------------------------------------------------------------------------


def test_parse_json_feed_reads_a_1_1_feed() -> None:
    items = parse_json_feed((FEEDS / "feed-1.1.json").read_bytes(), SOURCE)
    assert items == [
        FeedItem(
            source="Notes",
            guid="https://notes.example.org/blog/2024/tides",
            url="https://notes.example.org/blog/2024/tides",
            title="Reading the tides",
            content="<p>The tide tables for <b>May</b> are out, with two spring tides.</p>",
            content_type="html",
            published=datetime(2024, 5, 1, 7, 30, tzinfo=UTC),
            author="Ada Lovelace",
        ),
        FeedItem(
            source="Notes",
            guid="1042",
            url="https://notes.example.org/blog/2024/moss",
            title="Moss on the north wall",
            content="Moss grows where the sun does not reach.",
            content_type="text",
            published=datetime(2024, 5, 3, 8, 15, 0, 250000, tzinfo=UTC),
            author="Field Notes Team",
        ),
        FeedItem(
            source="Notes",
            guid="ext-7",
            url="https://elsewhere.example.com/story?id=7",
            title="",
            content="A linked story, shared without a title.",
            content_type="text",
            published=None,
            author="Field Notes Team",
        ),
    ]


def test_parse_json_feed_reads_a_1_0_feed() -> None:
    """1.0 uses singular `author` objects; a longer summary wins over a short content_html."""
    source = Source(name="Mill", kind=SourceKind.FEED, location="/srv/feeds/mill.json")
    items = parse_json_feed((FEEDS / "feed-1.0.json").read_bytes(), source)
    assert items == [
        FeedItem(
            source="Mill",
            guid="week-19",
            url="https://mill.example.net/weeks/19",
            title="Week 19",
            content=(
                "Flour prices held steady this week while the river ran high and the wheel "
                "turned day and night."
            ),
            content_type="text",
            published=datetime(2024, 5, 10, 12, 0, tzinfo=UTC),
            author="Miller's apprentice",
        ),
        FeedItem(
            source="Mill",
            guid="week-18",
            url="https://mill.example.net/weeks/18",
            title="Week 18",
            content="The wheel was repaired.",
            content_type="text",
            published=datetime(2024, 5, 3, 12, 0, tzinfo=UTC),
            author="The Miller",
        ),
    ]


def test_parse_json_feed_reads_escaped_slashes() -> None:
    items = parse_json_feed((FEEDS / "escaped-slashes.json").read_bytes(), SOURCE)
    assert [(item.guid, item.url) for item in items] == [("1", "https://php.example/posts/1")]


# --- the sniff ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        (FEEDS / "feed-1.1.json").read_bytes(),
        (FEEDS / "feed-1.0.json").read_bytes(),
        (FEEDS / "escaped-slashes.json").read_bytes(),
        b'\xef\xbb\xbf{"version": "https://jsonfeed.org/version/1.1", "items": []}',
        b' \r\n\t{"version":"https://jsonfeed.org/version/1","items":[]}',
        b'{"items": [], "title": "sorted keys", "version": "https://jsonfeed.org/version/1.1"}',
    ],
    ids=["1.1", "1.0", "escaped-slashes", "bom", "leading-whitespace", "version-last"],
)
def test_looks_like_json_feed_accepts_json_feeds(content: bytes) -> None:
    assert looks_like_json_feed(content)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   ",
        (DATA / "feeds" / "rss.xml").read_bytes(),
        b"<html><body>jsonfeed.org/version/1</body></html>",
        b'[{"version": "https://jsonfeed.org/version/1.1"}]',
        b'{"version": "1.0", "items": []}',
        b'{"title": "no version", "items": []}',
        b'x{"version": "https://jsonfeed.org/version/1.1"}',
    ],
    ids=["empty", "blank", "rss", "html", "array", "other-version", "no-version", "junk-first"],
)
def test_looks_like_json_feed_rejects_everything_else(content: bytes) -> None:
    assert not looks_like_json_feed(content)


# --- field fallbacks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "guid"),
    [
        ({"id": "abc", "url": "https://a.example/1", "title": "t"}, "abc"),
        ({"id": 7, "title": "t"}, "7"),
        ({"id": 0, "title": "t"}, "0"),
        ({"id": 2.5, "title": "t"}, "2.5"),
        ({"id": "", "url": "https://a.example/1", "title": "t"}, "https://a.example/1"),
        ({"id": "  ", "url": "https://a.example/1", "title": "t"}, "https://a.example/1"),
        ({"id": True, "url": "https://a.example/1", "title": "t"}, "https://a.example/1"),
        ({"id": None, "url": "https://a.example/1", "title": "t"}, "https://a.example/1"),
        ({"id": ["x"], "external_url": "https://b.example/", "title": "t"}, "https://b.example/"),
        ({"title": "Title", "content_text": "Body"}, sha("TitleBody")),
        ({"content_html": "<p>Only a body</p>"}, sha("<p>Only a body</p>")),
        ({"title": "Only a title"}, sha("Only a title")),
    ],
    ids=[
        "string-id",
        "int-id",
        "zero-id",
        "float-id",
        "empty-id",
        "blank-id",
        "bool-id",
        "null-id",
        "list-id",
        "hash-title-content",
        "hash-content",
        "hash-title",
    ],
)
def test_parse_json_feed_guid_falls_back_from_id_to_url_to_hash(
    item: dict[str, Any], guid: str
) -> None:
    assert parse_one(item).guid == guid


@pytest.mark.parametrize(
    ("item", "feed_fields", "base_url", "url"),
    [
        ({"url": "https://a.example/x"}, {}, "", "https://a.example/x"),
        ({"external_url": "https://b.example/y"}, {}, "", "https://b.example/y"),
        (
            {"url": "https://a.example/x", "external_url": "https://b.example/y"},
            {},
            "",
            "https://a.example/x",
        ),
        ({"url": "posts/1"}, {}, f"{SITE}/blog/feed.json", f"{SITE}/blog/posts/1"),
        ({"url": "/posts/1"}, {}, f"{SITE}/blog/feed.json", f"{SITE}/posts/1"),
        (
            {"url": "posts/1"},
            {"home_page_url": f"{HOME}/news/"},
            f"{SITE}/f.json",
            f"{HOME}/news/posts/1",
        ),
        (
            {"url": "posts/1"},
            {"home_page_url": "/news/"},
            f"{SITE}/feed.json",
            f"{SITE}/news/posts/1",
        ),
        ({"url": "posts/1"}, {"home_page_url": 12}, f"{SITE}/feed.json", f"{SITE}/posts/1"),
        ({"url": "posts/1"}, {}, "", ""),
        ({"url": "javascript:alert(1)", "external_url": f"{HOME}/y"}, {}, "", f"{HOME}/y"),
        ({"url": "javascript:alert(1)"}, {}, f"{SITE}/", ""),
        ({"url": "http://[::1/broken"}, {}, "", ""),
        ({"url": "posts/1"}, {}, "file:///srv/feeds/feed.json", ""),
        ({"url": 42, "external_url": ["x"]}, {}, f"{SITE}/", ""),
    ],
    ids=[
        "url",
        "external-url",
        "url-wins",
        "relative-to-base",
        "root-relative-to-base",
        "relative-to-home-page",
        "home-page-relative-to-base",
        "home-page-not-a-string",
        "relative-without-base",
        "javascript-falls-back",
        "javascript-dropped",
        "broken-ipv6",
        "relative-to-a-file",
        "wrong-types",
    ],
)
def test_parse_json_feed_resolves_urls(
    item: dict[str, Any], feed_fields: dict[str, Any], base_url: str, url: str
) -> None:
    """Item URLs resolve against home_page_url, else base_url; only http(s) URLs survive."""
    item = {"id": "1", "title": "t", **item}
    items = parse_json_feed(feed_bytes(item, **feed_fields), SOURCE, base_url=base_url)
    assert items[0].url == url


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Plain", "Plain"),
        ("  Spread \n over\tlines  ", "Spread over lines"),
        ("Fish & <chips>", "Fish & <chips>"),
        (None, ""),
        (404, ""),
        (["a"], ""),
        ({"text": "a"}, ""),
    ],
)
def test_parse_json_feed_title_is_plain_text_on_one_line(title: Any, expected: str) -> None:
    assert parse_one({"id": "1", "title": title, "content_text": "x"}).title == expected


@pytest.mark.parametrize(
    ("fields", "content", "content_type"),
    [
        ({"content_html": "<p>H</p>"}, "<p>H</p>", "html"),
        ({"content_text": "T"}, "T", "text"),
        ({"summary": "S"}, "S", "text"),
        ({"content_html": "<p>H</p>", "content_text": "Longer text body"}, "<p>H</p>", "html"),
        ({"content_html": "<p>Full body</p>", "summary": "Short"}, "<p>Full body</p>", "html"),
        ({"content_html": "<p>H</p>", "summary": "A longer summary"}, "A longer summary", "text"),
        ({"content_text": "T", "summary": "A longer summary"}, "A longer summary", "text"),
        ({"content_html": "  ", "content_text": "T"}, "T", "text"),
        ({"content_html": 5, "content_text": {"x": 1}, "summary": "S"}, "S", "text"),
        ({}, "", "text"),
    ],
    ids=[
        "html",
        "text",
        "summary",
        "html-before-text",
        "html-fuller-than-summary",
        "summary-fuller-than-html",
        "summary-fuller-than-text",
        "blank-html",
        "wrong-types",
        "none",
    ],
)
def test_parse_json_feed_picks_the_content(
    fields: dict[str, Any], content: str, content_type: str
) -> None:
    item = parse_one({"id": "1", "title": "t", **fields})
    assert (item.content, item.content_type) == (content, content_type)


@pytest.mark.parametrize(
    ("fields", "published"),
    [
        ({"date_published": "2024-05-01T09:30:00+02:00"}, utc(2024, 5, 1, 7, 30)),
        ({"date_published": "2024-05-01T07:30:00Z"}, utc(2024, 5, 1, 7, 30)),
        ({"date_published": "2024-05-01t07:30:00z"}, utc(2024, 5, 1, 7, 30)),
        ({"date_published": "2024-05-01 07:30:00-00:00"}, utc(2024, 5, 1, 7, 30)),
        ({"date_published": "2024-05-01T07:30:00.5Z"}, utc(2024, 5, 1, 7, 30, 0, 500000)),
        ({"date_published": "2016-12-31T23:59:60Z"}, utc(2016, 12, 31, 23, 59, 59)),
        ({"date_published": "2024-05-01T07:30:00"}, utc(2024, 5, 1, 7, 30)),
        ({"date_modified": "2024-05-02T00:00:00Z"}, utc(2024, 5, 2)),
        (
            {"date_published": "2024-05-01T00:00:00Z", "date_modified": "2024-05-02"},
            utc(2024, 5, 1),
        ),
        ({"date_published": "soon", "date_modified": "2024-05-02T00:00:00Z"}, utc(2024, 5, 2)),
        ({"date_published": "last Tuesday"}, None),
        ({"date_published": "2024-13-45T25:00:00Z"}, None),
        ({"date_published": "Wed, 01 May 2024 07:30:00 GMT"}, None),
        ({"date_published": "0001-01-01T00:00:00+01:00"}, None),
        ({"date_published": "9999-12-31T23:59:59-01:00"}, None),
        ({"date_published": ""}, None),
        ({"date_published": 1714548600}, None),
        ({"date_published": ["2024-05-01T07:30:00Z"]}, None),
        ({}, None),
    ],
    ids=[
        "offset",
        "zulu",
        "lower-case",
        "space-and-unknown-offset",
        "fraction",
        "leap-second",
        "no-offset-is-utc",
        "modified-only",
        "published-wins",
        "bad-published-then-modified",
        "words",
        "out-of-range",
        "rfc-822",
        "underflow",
        "overflow",
        "empty",
        "number",
        "list",
        "missing",
    ],
)
def test_parse_json_feed_reads_dates_as_utc(
    fields: dict[str, Any], published: datetime | None
) -> None:
    """RFC 3339 dates become aware UTC datetimes; anything unreadable becomes None."""
    assert parse_one({"id": "1", "title": "t", **fields}).published == published


@pytest.mark.parametrize(
    ("item_fields", "feed_fields", "author"),
    [
        ({"authors": [{"name": "Ada"}, {"name": "Bo"}]}, {}, "Ada"),
        ({"authors": [{"url": "https://x.example"}, {"name": " Bo  B "}]}, {}, "Bo B"),
        ({"author": {"name": "Cy"}}, {}, "Cy"),
        ({"authors": [{"name": "Ada"}], "author": {"name": "Cy"}}, {}, "Ada"),
        ({}, {"authors": [{"name": "Feed team"}]}, "Feed team"),
        ({}, {"author": {"name": "Feed owner"}}, "Feed owner"),
        ({"authors": []}, {"author": {"name": "Feed owner"}}, "Feed owner"),
        ({"authors": "Ada"}, {}, None),
        ({"authors": [1, None, "Ada", {"name": 5}, {"name": ""}]}, {}, None),
        ({"author": "Ada"}, {"authors": {"name": "x"}}, None),
        ({}, {}, None),
    ],
    ids=[
        "1.1-first",
        "first-named",
        "1.0",
        "authors-before-author",
        "feed-1.1",
        "feed-1.0",
        "empty-list-then-feed",
        "authors-a-string",
        "authors-junk",
        "author-a-string",
        "none",
    ],
)
def test_parse_json_feed_finds_the_author(
    item_fields: dict[str, Any], feed_fields: dict[str, Any], author: str | None
) -> None:
    assert parse_one({"id": "1", "title": "t", **item_fields}, **feed_fields).author == author


def test_parse_json_feed_skips_malformed_and_empty_items() -> None:
    """Non-objects and objects with nothing to show or identify are dropped; order is kept."""
    content = feed_bytes(
        {"id": "a", "title": "A"},
        1,
        "b",
        None,
        [],
        {},
        {"tags": ["x"], "date_published": "2024-05-01T00:00:00Z"},
        {"summary": "Only a summary"},
        {"id": "c"},
    )
    items = parse_json_feed(content, SOURCE)
    assert [item.guid for item in items] == ["a", sha("Only a summary"), "c"]
    assert {item.source for item in items} == {"Notes"}


def test_parse_json_feed_accepts_an_empty_items_list() -> None:
    assert parse_json_feed(feed_bytes(), SOURCE) == []


@pytest.mark.parametrize(
    "version",
    [
        "https://jsonfeed.org/version/1",
        "https://jsonfeed.org/version/1.1",
        "http://jsonfeed.org/version/1",
        " https://jsonfeed.org/version/1.1/ ",
    ],
)
def test_parse_json_feed_accepts_known_versions(version: str) -> None:
    content = json.dumps({"version": version, "items": [{"id": "1", "title": "t"}]}).encode()
    assert len(parse_json_feed(content, SOURCE)) == 1


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty"),
        (b" \n ", "is empty"),
        (b"<rss version='2.0'></rss>", "invalid JSON at line 1, column 1"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [}', "invalid JSON"),
        (b"\xff\xfe\xfa{}", "not UTF-8 text"),
        (b'{"version": ' + b"[" * 100_000, "nested too deeply"),
        (b'{"id": ' + b"9" * 5000 + b"}", "is not a JSON Feed"),
        (b'[{"version": "https://jsonfeed.org/version/1.1"}]', "it is a list, not an object"),
        (b'"https://jsonfeed.org/version/1.1"', "it is a string, not an object"),
        (b"null", "it is null, not an object"),
        (b"3", "it is a number, not an object"),
        (b'{"items": []}', 'it has no "version"'),
        (b'{"version": "", "items": []}', 'it has no "version"'),
        (b'{"version": 1.1, "items": []}', 'it has no "version"'),
        (b'{"version": "https://jsonfeed.org/version/2", "items": []}', "unknown JSON Feed"),
        (b'{"version": "1.1", "items": []}', "unknown JSON Feed version '1.1'"),
        (V1 + b"}", 'it has no "items"'),
        (V1 + b', "items": null}', 'it has no "items"'),
        (V1 + b', "items": {}}', '"items" is an object, not a list'),
        (V1 + b', "items": "x"}', '"items" is a string, not a list'),
        (V1 + b', "items": true}', '"items" is a boolean, not a list'),
    ],
    ids=[
        "empty",
        "blank",
        "xml",
        "broken-json",
        "not-utf8",
        "too-deep",
        "huge-number",
        "array",
        "string",
        "null",
        "number",
        "no-version",
        "empty-version",
        "number-version",
        "future-version",
        "bare-version",
        "no-items",
        "null-items",
        "object-items",
        "string-items",
        "boolean-items",
    ],
)
def test_parse_json_feed_raises_feed_error(content: bytes, reason: str) -> None:
    """Each failure is one line naming the source's location and name."""
    with pytest.raises(FeedError) as caught:
        parse_json_feed(content, SOURCE)
    message = str(caught.value)
    assert reason in message
    assert "https://notes.example.org/feed.json (source 'Notes')" in message
    assert "\n" not in message


def test_parse_json_feed_error_shortens_a_hostile_version() -> None:
    content = json.dumps({"version": "v\n" * 500, "items": []}).encode()
    with pytest.raises(FeedError) as caught:
        parse_json_feed(content, SOURCE)
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 300


# --- hostile input ------------------------------------------------------------------------

HOSTILE_VALUES: list[Any] = [
    None,
    True,
    0,
    -1.5,
    1e308,
    "",
    " ",
    "\ud800",
    "javascript:alert(1)",
    "http://[::1",
    [],
    [None, 1, "x", [], {}],
    {},
    {"name": ["x"], "url": 3},
]
ITEM_KEYS = [
    "id",
    "url",
    "external_url",
    "title",
    "content_html",
    "content_text",
    "summary",
    "date_published",
    "date_modified",
    "author",
    "authors",
    "tags",
]
FEED_KEYS = ["title", "home_page_url", "feed_url", "author", "authors", "expired", "hubs"]


@pytest.mark.parametrize("key", ITEM_KEYS)
def test_parse_json_feed_survives_wrong_types_in_items(key: str) -> None:
    """Every hostile value in every item field yields a well-typed item (or none)."""
    for value in HOSTILE_VALUES:
        for item in parse_json_feed(feed_bytes({"title": "t", key: value}), SOURCE):
            assert isinstance(item.guid, str) and item.guid
            assert isinstance(item.url, str) and isinstance(item.title, str)
            assert isinstance(item.content, str) and item.content_type in {"html", "text"}
            assert item.author is None or isinstance(item.author, str)
            assert item.published is None or item.published.tzinfo is UTC
            (item.guid + item.url + item.title + item.content).encode("utf-8")


@pytest.mark.parametrize("key", FEED_KEYS)
def test_parse_json_feed_survives_wrong_types_at_feed_level(key: str) -> None:
    for value in HOSTILE_VALUES:
        content = feed_bytes({"id": "1", "url": "p", "title": "t"}, **{key: value})
        items = parse_json_feed(content, SOURCE, base_url="https://site.example/")
        assert [item.guid for item in items] == ["1"]


def test_parse_json_feed_replaces_lone_surrogates() -> None:
    """A JSON escape for half a surrogate pair must not break encoding later on."""
    content = b'{"version": "%s", "items": [{"title": "a\\ud800b"}]}' % V11.encode()
    [item] = parse_json_feed(content, SOURCE)
    assert item.title == "a\ufffdb"
    assert item.guid == sha("a\ufffdb")
