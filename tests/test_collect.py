"""Tests for digest.collect: feeds, local files, and HTTP against a real local server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest import __version__
from digest.collect import (
    Fetcher,
    collect_source,
    load_document,
    parse_feed,
    read_files,
    split_title,
)
from digest.errors import FeedError, FetchError
from digest.models import Source, SourceKind

from .conftest import DATA, HttpServer, Route

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


def test_entries_without_guid_fall_back_to_link_then_hash() -> None:
    feed = b"""<rss version="2.0"><channel><title>t</title>
    <item><title>One</title><link>https://e.org/1</link><description>a</description></item>
    <item><title>Two</title><description>b</description></item></channel></rss>"""
    first, second = parse_feed(feed, feed_source())
    assert first.guid == "https://e.org/1"
    assert second.guid.startswith("sha256:")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b"<!DOCTYPE html><html><body><p>Hello</p></body></html>", "is not an RSS or Atom feed"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "is not an RSS or Atom feed"),
    ],
)
def test_parse_feed_rejects_what_is_not_a_feed(content: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(content, feed_source())


def test_read_files_reads_a_folder_recursively_in_order(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("Title B\n\nBody of b.", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("# Title A\n\nBody of a.", encoding="utf-8")
    (tmp_path / "page.html").write_text("<html><body><p>x</p></body></html>", encoding="utf-8")
    (tmp_path / "skip.pdf").write_bytes(b"%PDF")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.txt").write_text("hidden", encoding="utf-8")
    items = read_files(Source("notes", SourceKind.FILES, str(tmp_path)))
    assert [Path(item.guid).name for item in items] == ["b.txt", "page.html", "a.md"]
    assert [item.content_type for item in items] == ["text", "html", "markdown"]
    assert items[0].title == "Title B"
    assert items[0].content == "Body of b."
    assert items[2].title == "Title A"
    assert items[1].is_full_page


def test_read_files_reports_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="does not exist"):
        read_files(Source("notes", SourceKind.FILES, str(tmp_path / "nope")))


@pytest.mark.parametrize(
    ("text", "markdown", "expected"),
    [
        ("A title\n\nBody.", False, ("A title", "Body.")),
        ("A sentence that ends.\n\nBody.", False, ("", "A sentence that ends.\n\nBody.")),
        ("No blank line\nBody.", False, ("", "No blank line\nBody.")),
        ("# Heading #\n\nBody.", True, ("Heading", "Body.")),
        ("Body only.", True, ("", "Body only.")),
    ],
)
def test_split_title(text: str, markdown: bool, expected: tuple[str, str]) -> None:
    assert split_title(text, markdown=markdown) == expected


def test_local_feed_file_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(RSS)
    with Fetcher() as fetcher:
        collected = collect_source(feed_source(str(path)), fetcher)
    assert len(collected.items) == 2


def test_fetch_sends_user_agent_and_uses_conditional_get(http_server: HttpServer) -> None:
    http_server.routes["/feed.xml"] = Route(RSS, headers={"ETag": '"v1"'})
    source = feed_source(http_server.url("/feed.xml"))
    with Fetcher() as fetcher:
        first = collect_source(source, fetcher)
        second = collect_source(source, fetcher, etag=first.etag)
    assert len(first.items) == 2 and first.etag == '"v1"'
    assert second.not_modified and second.items == ()
    (_, headers), (_, conditional) = http_server.requests
    assert headers["User-Agent"].startswith(f"digest/{__version__}")
    assert conditional["If-None-Match"] == '"v1"'


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (None, "answered HTTP 404"),
        (Route(b"oops", status=500), "answered HTTP 500"),
        (Route(b"x" * 5000), "sent more than 1,000 bytes"),
    ],
)
def test_fetch_failures_are_one_line_errors(
    http_server: HttpServer, route: Route | None, message: str
) -> None:
    if route is not None:
        http_server.routes["/feed.xml"] = route
    with Fetcher(max_bytes=1000) as fetcher, pytest.raises(FetchError, match=message):
        fetcher.fetch(http_server.url("/feed.xml"))


def test_fetch_reports_a_refused_connection() -> None:
    from .conftest import free_port

    with Fetcher(timeout=2) as fetcher, pytest.raises(FetchError, match="Cannot fetch"):
        fetcher.fetch(f"http://127.0.0.1:{free_port()}/feed.xml")


def test_load_document_reads_a_page_over_http(http_server: HttpServer) -> None:
    http_server.routes["/story"] = Route(b"<html><body><p>Hi</p></body></html>", "text/html")
    with Fetcher() as fetcher:
        item = load_document(http_server.url("/story"), fetcher)
    assert item.is_full_page and item.url == http_server.url("/story")


def test_load_document_rejects_unknown_files(tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF")
    with Fetcher() as fetcher, pytest.raises(FetchError, match="not a document"):
        load_document(str(path), fetcher)
