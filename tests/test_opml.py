"""OPML import and export: a realistic reader export, malformed and hostile XML, escaping."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta, timezone
from xml.etree import ElementTree as ET

import pytest

from digest.collect.opml import OpmlFeed, OpmlImport, parse_opml, render_opml
from digest.errors import FeedError

from .conftest import DATA

OPML = DATA / "opml"
ARS = "https://feeds.arstechnica.com/arstechnica/index"


def opml(body: str, *, version: str = "2.0") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="{version}">'
        f"<head><title>t</title></head><body>{body}</body></opml>"
    ).encode()


# --- import -------------------------------------------------------------------------------


def test_parse_opml_reads_a_reader_export() -> None:
    """Nested categories, a duplicate, non-http feeds, a nameless feed and a bookmark."""
    result = parse_opml((OPML / "reader-export.opml").read_bytes())
    assert result == OpmlImport(
        feeds=(
            OpmlFeed("Ars Technica", ARS, "https://arstechnica.com", "Tech"),
            OpmlFeed(
                "Python Insider",
                "https://blog.python.org/feeds/posts/default",
                "https://blog.python.org/",
                "Tech/Python",
            ),
            OpmlFeed(
                "The PyPI Blog", "https://blog.pypi.org/feed_rss_created.xml", "", "Tech/Python"
            ),
            OpmlFeed(
                "BBC News",
                "http://feeds.bbci.co.uk/news/rss.xml",
                "https://www.bbc.co.uk/news",
                "News & Politics",
            ),
            OpmlFeed("https://nameless.example/feed.xml", "https://nameless.example/feed.xml"),
            OpmlFeed("Uncategorised", "https://plain.example/rss"),
        ),
        skipped=("itpc://podcasts.example.com/show.xml", "file:///etc/passwd"),
    )


def test_parse_opml_reads_opml_1_0_in_latin_1() -> None:
    """An old export: a declared ISO-8859-1 encoding and attribute names in other cases."""
    result = parse_opml((OPML / "opml-1.0-latin1.opml").read_bytes())
    assert result == OpmlImport(
        feeds=(
            OpmlFeed("Café Journal", "https://cafe.example.fr/rss", "https://cafe.example.fr/"),
            OpmlFeed("Le Quotidien", "https://quotidien.example.fr/feed", "", "Presse"),
        )
    )


@pytest.mark.parametrize(
    ("outline", "name"),
    [
        ('<outline title="Title" text="Text" xmlUrl="https://a.example/f"/>', "Title"),
        ('<outline title=" " text="Text" xmlUrl="https://a.example/f"/>', "Text"),
        ('<outline text="  Two\n   lines " xmlUrl="https://a.example/f"/>', "Two lines"),
        ('<outline xmlUrl="https://a.example/f"/>', "https://a.example/f"),
    ],
    ids=["title", "text", "collapsed", "url"],
)
def test_parse_opml_names_a_feed_by_title_then_text_then_url(outline: str, name: str) -> None:
    assert parse_opml(opml(outline)).feeds[0].name == name


def test_parse_opml_category_skips_feed_outlines_and_unnamed_outlines() -> None:
    """A feed nested in a feed, or in an outline with no label, keeps the outer category."""
    body = (
        '<outline text="A"><outline text="">'
        '<outline text="Outer" xmlUrl="https://a.example/1">'
        '<outline text="Inner" xmlUrl="https://a.example/2"/>'
        "</outline></outline></outline>"
    )
    assert [(f.name, f.category) for f in parse_opml(opml(body)).feeds] == [
        ("Outer", "A"),
        ("Inner", "A"),
    ]


def test_parse_opml_accepts_an_empty_body() -> None:
    assert parse_opml(opml("")) == OpmlImport(feeds=())


def test_parse_opml_ignores_elements_other_than_outline() -> None:
    body = '<item xmlUrl="https://a.example/x"/><outline text="f" xmlUrl="https://a.example/y"/>'
    assert [f.url for f in parse_opml(opml(body)).feeds] == ["https://a.example/y"]


@pytest.mark.parametrize(
    "url",
    ["feed://a.example/rss", "javascript:alert(1)", "https://", "http://[::1/x", "/relative.xml"],
)
def test_parse_opml_skips_urls_that_are_not_http(url: str) -> None:
    body = f'<outline text="bad" xmlUrl="{url}"/><outline text="ok" xmlUrl="https://a.example/"/>'
    result = parse_opml(opml(body))
    assert result == OpmlImport((OpmlFeed("ok", "https://a.example/"),), (url,))


def test_parse_opml_survives_deep_nesting() -> None:
    """Nesting deeper than Python's recursion limit is walked without recursion."""
    depth = 20_000
    body = '<outline text="c">' * depth + '<outline text="f" xmlUrl="https://a.example/"/>'
    result = parse_opml(opml(body + "</outline>" * depth))
    assert result.feeds[0].category == "/".join(["c"] * depth)


# --- import errors ------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<opml version="2.0"><body><outline text="&lol3;" xmlUrl="https://a.example/"/></body></opml>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&secret;" xmlUrl="https://a.example/"/></body></opml>
"""
UTF16_DOCTYPE = (
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE opml [<!ENTITY x "y">]>'
    '<opml version="2.0"><body/></opml>'
).encode("utf-16")


@pytest.mark.parametrize(
    "content",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        UTF16_DOCTYPE,
        b'<!DOCTYPE opml SYSTEM "http://example.com/opml.dtd"><opml><body/></opml>',
        b"<!DOCTYPE opml><opml><body/></opml>",
    ],
    ids=["billion-laughs", "external-entity", "utf-16", "external-dtd", "bare-doctype"],
)
def test_parse_opml_refuses_doctype_and_entities(content: bytes) -> None:
    """A DTD is refused before any entity is declared or expanded, in any encoding."""
    with pytest.raises(FeedError, match=r"contains a <!DOCTYPE> or <!ENTITY> declaration"):
        parse_opml(content, location="subs.opml")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "it is empty"),
        (b"  \n", "it is empty"),
        (b"not xml at all", "the XML is malformed (syntax error: line 1, column 0)"),
        (b"<opml><body><outline></body></opml>", "the XML is malformed (mismatched tag"),
        (b'<opml><body><outline text="&nope;"/></body></opml>', "undefined entity"),
        (b'<opml version="2.0"><body/></opml><opml/>', "junk after document element"),
        (b'<?xml version="1.0" encoding="x-no-such"?><opml/>', "unknown encoding"),
        (b'<rss version="2.0"><channel/></rss>', "its root element is <rss>"),
        (b"<html><body><p>hi</p></body></html>", "its root element is <html>"),
        (b'<opml version="2.0"><head><title>t</title></head></opml>', "it has no <body> element"),
    ],
    ids=[
        "empty",
        "blank",
        "text",
        "mismatched",
        "undefined-entity",
        "two-roots",
        "unknown-encoding",
        "rss",
        "html",
        "no-body",
    ],
)
def test_parse_opml_raises_feed_error(content: bytes, reason: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_opml(content, location="/home/sam/subs.opml")
    message = str(caught.value)
    assert message.startswith("/home/sam/subs.opml is not an OPML file")
    assert reason in message
    assert "\n" not in message


def test_parse_opml_error_names_the_input_by_default() -> None:
    with pytest.raises(FeedError, match=r"^The input is not an OPML file: it is empty\.$"):
        parse_opml(b"")


# --- export -------------------------------------------------------------------------------


def test_render_opml_writes_opml_2_0() -> None:
    feeds = [
        OpmlFeed("Ars Technica", ARS, "https://arstechnica.com", "Tech"),
        OpmlFeed("Python Insider", "https://blog.python.org/feeds", "", "Tech/Python"),
        OpmlFeed("Plain", "https://plain.example/rss"),
    ]
    created = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
    assert render_opml(feeds, title="My feeds", created=created) == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<opml version="2.0">\n'
        "  <head>\n"
        "    <title>My feeds</title>\n"
        "    <dateCreated>Mon, 06 May 2024 08:00:00 GMT</dateCreated>\n"
        "  </head>\n"
        "  <body>\n"
        '    <outline text="Tech" title="Tech">\n'
        '      <outline type="rss" text="Ars Technica" title="Ars Technica"'
        f' xmlUrl="{ARS}" htmlUrl="https://arstechnica.com" />\n'
        '      <outline text="Python" title="Python">\n'
        '        <outline type="rss" text="Python Insider" title="Python Insider"'
        ' xmlUrl="https://blog.python.org/feeds" />\n'
        "      </outline>\n"
        "    </outline>\n"
        '    <outline type="rss" text="Plain" title="Plain" xmlUrl="https://plain.example/rss" />\n'
        "  </body>\n"
        "</opml>\n"
    )


def test_render_opml_without_feeds_or_date() -> None:
    root = ET.fromstring(render_opml([]))
    assert root.findtext("head/title") == "digest subscriptions"
    assert root.find("head/dateCreated") is None
    assert root.find("body") is not None and len(root.find("body") or []) == 0


@pytest.mark.parametrize(
    ("created", "text"),
    [
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "Tue, 02 Jan 2024 03:04:05 GMT"),
        (
            datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
            "Tue, 02 Jan 2024 01:04:05 GMT",
        ),
        (datetime(2024, 1, 2, 3, 4, 5), "Tue, 02 Jan 2024 03:04:05 GMT"),
    ],
    ids=["utc", "offset", "naive-is-utc"],
)
def test_render_opml_date_created_is_rfc_822(created: datetime, text: str) -> None:
    assert ET.fromstring(render_opml([], created=created)).findtext("head/dateCreated") == text


def test_render_opml_escapes_names_and_urls() -> None:
    feed = OpmlFeed(
        name="Fish & <Chips> \"Daily\" 'news'",
        url="https://a.example/feed?x=1&y=<2>",
        html_url='https://a.example/?q="x"&r=1',
        category="R&D/<Labs>",
    )
    text = render_opml([feed], title="Tom & Jerry's <feeds>")
    assert "text=\"Fish &amp; &lt;Chips&gt; &quot;Daily&quot; 'news'\"" in text
    assert "<title>Tom &amp; Jerry's &lt;feeds&gt;</title>" in text
    assert parse_opml(text.encode()).feeds == (feed,)


def test_render_opml_drops_characters_xml_cannot_carry() -> None:
    feed = OpmlFeed(name="Bell\x07 and null\x00", url="https://a.example/\x01f")
    assert parse_opml(render_opml([feed]).encode()).feeds == (
        OpmlFeed("Bell and null", "https://a.example/f"),
    )


def test_render_opml_names_a_nameless_feed_by_its_url() -> None:
    outline = ET.fromstring(render_opml([OpmlFeed("", "https://a.example/f")])).find("body/outline")
    assert outline is not None
    assert outline.get("text") == outline.get("title") == "https://a.example/f"


def test_render_opml_groups_feeds_by_category_in_first_seen_order() -> None:
    feeds = [
        OpmlFeed("a1", "https://a.example/1", category="A"),
        OpmlFeed("b1", "https://b.example/1", category="B"),
        OpmlFeed("a2", "https://a.example/2", category="A"),
        OpmlFeed("a-sub", "https://a.example/3", category=" A / Sub /"),
    ]
    result = parse_opml(render_opml(feeds).encode())
    assert [(f.name, f.category) for f in result.feeds] == [
        ("a1", "A"),
        ("a2", "A"),
        ("a-sub", "A/Sub"),
        ("b1", "B"),
    ]


ROUND_TRIPS = {
    "empty": [],
    "flat": [OpmlFeed("One", "https://one.example/rss"), OpmlFeed("Two", "http://two.example/")],
    "nested": [
        OpmlFeed("Top", "https://top.example/rss", "https://top.example/"),
        OpmlFeed("T1", "https://t1.example/rss", category="Tech"),
        OpmlFeed("P1", "https://p1.example/rss", "https://p1.example/", "Tech/Python"),
        OpmlFeed("P2", "https://p2.example/rss", category="Tech/Python"),
        OpmlFeed("N1", "https://n1.example/rss", category="News & Politics"),
    ],
    "hostile-text": [
        OpmlFeed('<script>alert("x")</script>', "https://x.example/?a=1&b=2", category="a&b"),
        OpmlFeed("Ünïcødé — ✓ 🙂", "https://u.example/ü", "https://u.example/", "Café"),
    ],
}


@pytest.mark.parametrize("feeds", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_render_then_parse_round_trips(feeds: list[OpmlFeed]) -> None:
    rendered = render_opml(feeds, created=datetime(2024, 5, 6, tzinfo=UTC))
    assert parse_opml(rendered.encode("utf-8")) == OpmlImport(tuple(feeds))


def test_parse_then_render_round_trips_the_reader_export() -> None:
    imported = parse_opml((OPML / "reader-export.opml").read_bytes())
    assert parse_opml(render_opml(imported.feeds).encode()).feeds == imported.feeds


def test_opml_feed_is_frozen() -> None:
    feed = OpmlFeed("n", "https://a.example/")
    with pytest.raises(FrozenInstanceError):
        feed.name = "other"  # type: ignore[misc]
