"""Tests for digest.collect.feeds: RSS, Atom and JSON Feed bytes into items, and what is not
a feed."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest

from digest.collect.feeds.parse import alternate_feed_links, parse_feed
from digest.errors import FeedError
from digest.models import Source, SourceKind

from .conftest import DATA

RSS = (DATA / "feeds" / "rss.xml").read_bytes()
ATOM = (DATA / "feeds" / "atom.xml").read_bytes()


def feed_source(location: str = "https://example.com/feed") -> Source:
    return Source("test", SourceKind.FEED, location)


def test_parse_rss_takes_the_fullest_content_and_metadata() -> None:
    items = parse_feed(RSS, feed_source())
    assert [item.guid for item in items] == ["river-1", "river-2"]
    first = items[0]
    assert first.title == "River authority opens a new fish pass at the old mill weir"
    assert first.url == "https://example.com/news/fish-pass?utm_source=rss"
    assert first.content.startswith("<p>The river authority opened")
    assert first.content_type == "html"
    assert first.published == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert first.author == "Ines Marlow"
    assert "three damaged spans" in items[1].content


def test_parse_atom_strips_markup_from_titles() -> None:
    (item,) = parse_feed(ATOM, feed_source())
    assert item.title == "Comet Hollis brightens ahead of schedule"
    assert item.guid == "urn:example:observatory:comet-hollis"
    assert item.author == "Priya Lund"
    assert "naked eye" in item.content


@pytest.mark.parametrize(
    "feed",
    [
        b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
        xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://e.org/"><title>t</title>
        <link>https://e.org/</link><description>d</description></channel>
        <item rdf:about="https://e.org/1"><title>One</title><link>https://e.org/1</link>
        <description>Body one.</description></item></rdf:RDF>""",
        b"""<?xml version="1.0"?><rss version="0.91"><channel><title>t</title>
        <link>https://e.org/</link><description>d</description><language>en</language>
        <item><title>One</title><link>https://e.org/1</link><description>Body one.</description>
        </item></channel></rss>""",
        b"""{"version": "https://jsonfeed.org/version/1.1", "title": "t",
        "items": [{"id": "https://e.org/1", "url": "https://e.org/1", "title": "One",
        "content_text": "Body one."}]}""",
    ],
    ids=["rss-1.0", "rss-0.91", "json-feed-1.1"],
)
def test_every_feed_format_is_read(feed: bytes) -> None:
    (item,) = parse_feed(feed, feed_source())
    assert (item.title, item.url) == ("One", "https://e.org/1")
    assert "Body one." in item.content


def test_entries_without_guid_fall_back_to_link_then_hash() -> None:
    feed = b"""<rss version="2.0"><channel><title>t</title>
    <item><title>One</title><link>https://e.org/1</link><description>a</description></item>
    <item><title>Two</title><description>b</description></item></channel></rss>"""
    first, second = parse_feed(feed, feed_source())
    assert first.guid == "https://e.org/1"
    assert second.guid.startswith("sha256:")


def test_relative_links_resolve_against_the_feed_url() -> None:
    feed = b"""<rss version="2.0"><channel><title>t</title><link>https://e.org/</link>
    <item><title>One</title><link>/news/1</link><description>a</description></item>
    </channel></rss>"""
    (item,) = parse_feed(feed, feed_source(), base_url="https://e.org/feed.xml")
    assert item.url == "https://e.org/news/1"


def test_malformed_xml_with_recoverable_entries_is_read() -> None:
    feed = b"""<rss version="2.0"><channel><title>t & co</title>
    <item><title>One</title><link>https://e.org/1</link><description>Body & more
    </description></item></channel>"""
    (item,) = parse_feed(feed, feed_source())
    assert item.title == "One"


def test_charset_from_the_http_header_is_used() -> None:
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        "<title>Caf\u00e9 reopens</title><link>https://e.org/1</link><description>x</description>"
        "</item></channel></rss>"
    ).encode("iso-8859-1")
    (item,) = parse_feed(feed, feed_source(), content_type="application/rss+xml; charset=latin-1")
    assert item.title == "Caf\u00e9 reopens"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "is binary data, not a feed"),
        (b"<rss><channel><title>broken", "is not an RSS, Atom or JSON feed"),
        (b"just some words", "is not an RSS, Atom or JSON feed"),
        (b"<!DOCTYPE html><html><body><p>Hello</p></body></html>", "is a web page, not a feed"),
    ],
)
def test_parse_feed_rejects_what_is_not_a_feed(content: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(content, feed_source())


def test_a_web_page_error_names_the_feed_it_links_to() -> None:
    page = b"""<!doctype html><html><head><title>Blog</title>
    <link rel="alternate" type="application/rss+xml" href="/feed.xml" title="RSS">
    </head><body>Hello</body></html>"""
    with pytest.raises(FeedError, match=r"It links to a feed at https://e\.org/feed\.xml"):
        parse_feed(page, feed_source(), base_url="https://e.org/blog/")


def test_alternate_feed_links_finds_every_feed_type() -> None:
    html = """<link rel="alternate" type="application/atom+xml" href="https://e.org/atom">
    <link href='/feed.json' type='application/feed+json' rel='alternate'>
    <link rel="stylesheet" href="/style.css">"""
    assert alternate_feed_links(html, "https://e.org/") == [
        "https://e.org/atom",
        "https://e.org/feed.json",
    ]


RDF_9999 = b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
    <channel rdf:about="https://e.org/"><title>t</title><link>https://e.org/</link></channel>
    <item rdf:about="https://e.org/1"><title>One</title><link>http://[::1/post</link>
    <dc:date>9999-12-31T23:59:59-12:00</dc:date></item></rdf:RDF>"""
RSS_9999 = b"""<rss version="2.0"><channel><title>t</title><item><title>One</title>
    <link>http://[::1/post</link><pubDate>Fri, 31 Dec 9999 23:59:59 -1200</pubDate></item>
    </channel></rss>"""


@pytest.mark.parametrize("feed", [RDF_9999, RSS_9999], ids=["feedparser", "fast"])
def test_an_out_of_range_date_and_an_unparseable_link_do_not_stop_the_feed(feed: bytes) -> None:
    (item,) = parse_feed(feed, feed_source(), base_url="https://e.org/feed")
    assert item.title == "One"
    assert item.url == ""
    assert item.published is None or item.published.year == 9999


def test_an_item_without_guid_or_link_has_the_same_identity_on_either_path() -> None:
    plain = b"""<rss version="2.0"><channel><title>t</title><item><title>Caf&#233; &amp; co
    </title><description>&lt;p&gt;Body&lt;/p&gt;</description></item></channel></rss>"""
    # A comment inside the item sends the same feed to feedparser.
    other = plain.replace(b"<description>", b"<!-- c --><description>")
    (fast_item,) = parse_feed(plain, feed_source())
    (slow_item,) = parse_feed(other, feed_source())
    assert fast_item.guid == slow_item.guid
    assert fast_item.guid.startswith("sha256:")
    assert fast_item == slow_item


def test_a_web_page_linking_to_an_unparseable_feed_address_is_still_a_feed_error() -> None:
    page = b"""<!doctype html><html><head>
    <link rel="alternate" type="application/rss+xml" href="http://[::1/feed">
    </head><body>Hello</body></html>"""
    with pytest.raises(FeedError, match="is a web page"):
        parse_feed(page, feed_source(), base_url="https://e.org/")


@pytest.mark.parametrize(
    "content",
    [
        b"<rss version='2.0'><channel>" + b"<item>" * 100_000,
        b"<rss version='2.0'><channel><item><title>" + b"<b>" * 50_000 + b"deep",
        b'<?xml version="1.0" encoding="no-such-encoding"?><rss><channel><item><title>x',
        b"\xff\xfe<\x00r\x00s\x00s\x00>\x00",
    ],
    ids=["deep-items", "deep-markup", "unknown-encoding", "utf-16-fragment"],
)
def test_nothing_but_a_feed_error_leaves_parse_feed(content: bytes) -> None:
    with contextlib.suppress(FeedError):
        parse_feed(content, feed_source(), base_url="https://e.org/feed")
