"""Tests for digest.collect.feeds.fast: it agrees with feedparser, or steps aside."""

from __future__ import annotations

import pytest

from digest.collect.feeds import fast
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
    "empty": b"""<rss version="2.0"><channel><title>Nothing yet</title></channel></rss>""",
}


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_fast_reader_agrees_with_feedparser(name: str) -> None:
    content = FEEDS[name]
    items = fast.parse(content, SOURCE, "https://e.org/feed.xml")
    assert items is not None
    assert items == parse_with_feedparser(content, SOURCE, base_url="https://e.org/feed.xml")


@pytest.mark.parametrize(
    "content",
    [
        b"<rss version='2.0'><channel><title>broken</channel></rss>",
        b"""<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
            xmlns="http://purl.org/rss/1.0/"><channel><title>t</title></channel></rdf:RDF>""",
        b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><title>t</title>
            <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Hi</div></content>
            </entry></feed>""",
        b"""<rss version="2.0"><channel><title>t</title><item><title>x</title>
            <pubDate>the day after tomorrow</pubDate></item></channel></rss>""",
        b"""<rss version="2.0"><channel><title>t</title><item><title>x <b>y</b></title>
            </item></channel></rss>""",
        b"""<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">]><rss version="2.0"><channel><title>&a;
            </title></channel></rss>""",
        "<rss version='2.0'><channel><title>Caf\u00e9</title></channel></rss>".encode("latin-1"),
    ],
    ids=["broken", "rss-1.0", "xhtml", "bad-date", "markup-in-title", "entities", "wrong-bytes"],
)
def test_anything_unusual_is_left_to_feedparser(content: bytes) -> None:
    assert fast.parse(content, SOURCE, "") is None
