"""Tests for digest.collect.feeds.fast: it agrees with feedparser, or steps aside."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digest.collect.feeds import fast
from digest.collect.feeds.entries import AUTHOR_CAP, TITLE_CAP
from digest.collect.feeds.parse import parse_with_feedparser
from digest.models import Source, SourceKind

from .conftest import DATA, DEMO_CONFIG

SOURCE = Source("test", SourceKind.FEED, "https://example.com/feed")

FEEDS = {
    "rss": (DATA / "feeds" / "rss.xml").read_bytes(),
    "atom": (DATA / "feeds" / "atom.xml").read_bytes(),
    "demo": (DEMO_CONFIG.parent / "demo" / "feed.xml").read_bytes(),
    "relative-links": b"""<rss version="2.0"><channel><title>t</title><link>https://e.org/</link>
        <item><title>A &amp; B</title><link>/news/1</link><author>ed@e.org (Ed)</author>
        <description>&lt;p&gt;Body&lt;/p&gt;</description>
        <pubDate>Tue, 24 Nov 2026 08:00:00 +0100</pubDate></item></channel></rss>""",
    "atom-summary-only": b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
        <author><name>Feed Author</name></author><link href="https://e.net/"/>
        <entry><title>Plain title</title><id>urn:1</id><link href="/p/1"/>
        <updated>2026-11-25T20:00:00+02:00</updated>
        <summary>Just text, no markup.</summary></entry></feed>""",
    "entities-in-titles": b"""<rss version="2.0"><channel><title>t</title>
        <item><title>That&amp;#8217;s &amp;amp; more</title><link>https://e.org/1</link></item>
        <item><title>Fish &amp; chips &lt; 5</title><link>https://e.org/2</link></item>
        <item><title>&lt;b&gt;Bold&lt;/b&gt; move</title><link>https://e.org/3</link></item>
        </channel></rss>""",
    "xml-base": b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://e.org/blog/">
        <entry xml:base="2026/"><title>t</title><id>tag:e.org,2026:1</id>
        <link href="post-1"/></entry></feed>""",
    "dc-date-and-atom-link": b"""<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
        xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>t</title>
        <item><dc:title>Only a dc:title</dc:title><dc:date>2026-11-24T08:00:00Z</dc:date>
        <atom:link rel="alternate" href="https://e.org/atom-link"/></item></channel></rss>""",
    "permalink-guid": b"""<rss version="2.0"><channel><title>t</title>
        <item><title>One</title><guid>https://e.org/p/1</guid></item>
        <item><title>Two</title><guid>2</guid></item>
        <item><title>Three</title><guid isPermaLink="false">https://e.org/p/3</guid></item>
        </channel></rss>""",
    "no-guid-no-link": b"""<rss version="2.0"><channel><title>t</title>
        <item><title>Caf&#233; &amp; co</title><description>Body</description></item>
        <item><guid isPermaLink="false">only-a-guid</guid></item></channel></rss>""",
    "year-9999": b"""<rss version="2.0"><channel><title>t</title><item><title>x</title>
        <link>https://e.org/1</link><pubDate>Fri, 31 Dec 9999 23:59:59 -1200</pubDate>
        </item></channel></rss>""",
    "bad-date": b"""<rss version="2.0"><channel><title>t</title><item><title>x</title>
        <pubDate>the day after tomorrow</pubDate></item></channel></rss>""",
    "unparseable-link": b"""<rss version="2.0"><channel><title>t</title><item><title>x</title>
        <link>http://[::1/post</link></item></channel></rss>""",
    "windows-1252": (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel><title>t'
        "</title><item><title>\u201cQuoted\u201d caf\u00e9</title><link>https://e.org/1</link>"
        "</item></channel></rss>"
    ).encode("windows-1252"),
}


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_fast_reader_agrees_with_feedparser(name: str) -> None:
    content = FEEDS[name]
    items = fast.parse(content, SOURCE, "https://e.org/feed.xml")
    assert items is not None
    assert items == parse_with_feedparser(content, SOURCE, base_url="https://e.org/feed.xml")


def test_titles_are_plain_text_with_entities_decoded_once() -> None:
    items = fast.parse(FEEDS["entities-in-titles"], SOURCE, "https://e.org/")
    assert items is not None
    assert [item.title for item in items] == [
        "That\u2019s & more",  # HTML (`&#8217;` once the XML is read), decoded once
        "Fish & chips < 5",  # plain text: kept as it is, escaped once when shown
        "Bold move",
    ]


def test_relative_links_resolve_against_xml_base_then_the_feed_url() -> None:
    (item,) = fast.parse(FEEDS["xml-base"], SOURCE, "https://other.org/feed") or []
    assert item.url == "https://e.org/blog/2026/post-1"


def test_dc_title_dc_date_and_atom_link_are_read_in_rss() -> None:
    (item,) = fast.parse(FEEDS["dc-date-and-atom-link"], SOURCE, "https://e.org/") or []
    assert (item.title, item.url) == ("Only a dc:title", "https://e.org/atom-link")
    assert item.published == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_a_permalink_guid_is_the_link_only_when_it_is_a_web_address() -> None:
    items = fast.parse(FEEDS["permalink-guid"], SOURCE, "https://e.org/feed") or []
    assert [(item.guid, item.url) for item in items] == [
        ("https://e.org/p/1", "https://e.org/p/1"),
        ("2", ""),
        ("https://e.org/p/3", ""),
    ]


def test_an_entry_with_only_a_guid_is_kept_and_identities_match_across_readers() -> None:
    items = fast.parse(FEEDS["no-guid-no-link"], SOURCE, "https://e.org/") or []
    assert [item.guid for item in items][1] == "only-a-guid"
    assert items[0].guid.startswith("sha256:")
    assert items[0].title == "Caf\u00e9 & co"


def test_out_of_range_dates_and_unparseable_links_are_absent_not_errors() -> None:
    (dated,) = fast.parse(FEEDS["year-9999"], SOURCE, "https://e.org/") or []
    assert dated.published is None or dated.published.year == 9999
    (linked,) = fast.parse(FEEDS["unparseable-link"], SOURCE, "https://e.org/") or []
    assert linked.url == ""


def test_a_declared_iso_8859_1_is_read_as_windows_1252() -> None:
    (item,) = fast.parse(FEEDS["windows-1252"], SOURCE, "https://e.org/") or []
    assert item.title == "\u201cQuoted\u201d caf\u00e9"


def test_the_http_charset_is_weighed_as_feedparser_does() -> None:
    content = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>Caf\u00e9</title><link>https://e.org/1</link></item></channel></rss>"
    ).encode("iso-8859-1")
    kind = "application/rss+xml; charset=iso-8859-1"
    (item,) = fast.parse(content, SOURCE, "https://e.org/", kind) or []
    assert item.title == "Caf\u00e9"
    assert [item] == parse_with_feedparser(
        content, SOURCE, base_url="https://e.org/", content_type=kind
    )


def test_titles_and_authors_are_capped_on_a_word() -> None:
    content = (
        b'<rss version="2.0"><channel><title>t</title><item><title>'
        + b"word " * 1_000_000
        + b"</title><link>https://e.org/1</link><author>"
        + b"Name " * 100
        + b"</author></item></channel></rss>"
    )
    (item,) = fast.parse(content, SOURCE, "https://e.org/") or []
    assert len(item.title) <= TITLE_CAP + 1 and item.title.endswith("word\u2026")
    assert item.author is not None and len(item.author) <= AUTHOR_CAP + 1
    assert item.author.endswith("Name\u2026")


@pytest.mark.parametrize(
    "content",
    [
        b"<rss version='2.0'><channel><title>broken</channel></rss>",
        b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
            xmlns="http://purl.org/rss/1.0/"><channel><title>t</title></channel></rdf:RDF>""",
        b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><title>t</title>
            <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Hi</div></content>
            </entry></feed>""",
        b"""<rss version="2.0"><channel><title>t</title><item><title>x <b>y</b></title>
            </item></channel></rss>""",
        b"""<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">]><rss version="2.0"><channel><title>&a;
            </title></channel></rss>""",
        b"""<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
            <channel><item><itunes:summary>Only here</itunes:summary></item></channel></rss>""",
        b"""<rss version="2.0"><channel><item><title>t</title><description>a</description>
            <description>b</description></item></channel></rss>""",
        b"""<rss version="2.0"><channel><title>Nothing yet</title></channel></rss>""",
    ],
    ids=[
        "broken",
        "rss-1.0",
        "xhtml",
        "markup-in-title",
        "entities",
        "itunes-summary",
        "two-descriptions",
        "no-items",
    ],
)
def test_anything_unusual_is_left_to_feedparser(content: bytes) -> None:
    assert fast.parse(content, SOURCE, "https://e.org/") is None
