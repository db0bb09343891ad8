"""Tests for digest.collect: sources into items, local files, full text and page decoding."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.collect.fetch import Fetcher
from digest.collect.read import (
    MAX_FILE_BYTES,
    decode_html,
    fetch_full_text,
    load_document,
    needs_full_text,
    read_files,
    read_source,
    source_items,
    split_front_matter,
    split_scraped_page,
    split_title,
)
from digest.errors import FetchError
from digest.models import FeedItem, Source, SourceKind

from .conftest import DATA, HttpServer, Route

RSS = (DATA / "feeds" / "rss.xml").read_bytes()


def item(content: str, url: str = "https://example.org/story") -> FeedItem:
    return FeedItem("s", "g", url, "Title", content, "html")


def test_read_files_reads_a_folder_recursively_in_order(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("Title B\n\nBody of b.", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("# Title A\n\nBody of a.", encoding="utf-8")
    (tmp_path / "page.html").write_text("<html><body><p>x</p></body></html>", encoding="utf-8")
    (tmp_path / "skip.pdf").write_bytes(b"%PDF")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.txt").write_text("hidden", encoding="utf-8")
    items = read_files(Source("notes", SourceKind.FILES, str(tmp_path)))
    assert [Path(i.guid).name for i in items] == ["b.txt", "page.html", "a.md"]
    assert [i.content_type for i in items] == ["text", "html", "markdown"]
    assert items[0].title == "Title B"
    assert items[0].content == "Body of b."
    assert items[2].title == "Title A"
    assert items[1].is_full_page


def test_read_files_reports_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="does not exist"):
        read_files(Source("notes", SourceKind.FILES, str(tmp_path / "nope")))


def test_a_text_file_in_windows_1252_is_read(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_bytes("Caf\u00e9 news\n\nThe caf\u00e9 opened.".encode("cp1252"))
    (note,) = read_files(Source("notes", SourceKind.FILES, str(tmp_path)))
    assert (note.title, note.content) == ("Caf\u00e9 news", "The caf\u00e9 opened.")


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


SCRAPED = (
    "Home\nNews\nSport | Business | Travel\nU.S.\n\n"
    "Harbour wall to be rebuilt after the winter storms\n"
    "By Jane Doe | Updated: 10:32 EST, 12 March 2024\n\n"
    "The harbour wall will be rebuilt this summer, the council said.\n\n"
    "Work starts in June."
)


def test_a_scraped_page_in_plain_text_gets_its_headline_as_title(tmp_path: Path) -> None:
    (tmp_path / "scraped-page-0042.txt").write_text(SCRAPED, encoding="utf-8")
    (note,) = read_files(Source("notes", SourceKind.FILES, str(tmp_path)))
    assert note.title == "Harbour wall to be rebuilt after the winter storms"
    assert note.author == "Jane Doe"
    assert note.content == (
        "The harbour wall will be rebuilt this summer, the council said.\n\nWork starts in June."
    )


@pytest.mark.parametrize(
    "text",
    [
        # no byline under the headline
        "Home\nNews\n\nHarbour wall to be rebuilt after the winter storms\n\nThe wall goes.",
        # a byline under a sentence, not a headline
        "The council met on Tuesday.\nBy Jane Doe\n\nThe wall goes.",
        # prose, not navigation, above the headline
        "The council met on Tuesday and voted.\nHarbour wall to be rebuilt soon\nBy Jane Doe",
    ],
)
def test_text_that_is_no_scraped_page_is_left_alone(text: str) -> None:
    assert split_scraped_page(text) is None


def test_a_local_file_over_the_cap_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.html"
    with big.open("wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)
    (tmp_path / "small.txt").write_text("Small\n\nA small note.", encoding="utf-8")
    for source in (
        Source("notes", SourceKind.FILES, str(big)),
        Source("notes", SourceKind.FILES, str(tmp_path)),
        Source("page", SourceKind.PAGE, str(big)),
    ):
        with Fetcher() as fetcher, pytest.raises(FetchError) as caught:
            read_source(source, fetcher)
        assert str(big) in str(caught.value) and "\n" not in str(caught.value)
        assert f"{MAX_FILE_BYTES + 1:,} bytes" in str(caught.value)
    big.unlink()
    with big.open("wb") as file:
        file.truncate(MAX_FILE_BYTES)  # at the cap: read
    assert len(read_files(Source("notes", SourceKind.FILES, str(big)))) == 1


def _note(tmp_path: Path, name: str, text: str) -> FeedItem:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    os.utime(path, (1_700_000_000, 1_700_000_000))  # 2023-11-14 22:13:20 UTC
    (note,) = read_files(Source("notes", SourceKind.FILES, str(path)))
    return note


@pytest.mark.parametrize(
    ("name", "text", "published"),
    [
        (  # front matter: its date, and its title
            "a.md",
            "---\ntitle: 'Garden log'\ndate: 2024-03-05\ntags:\n  - garden\n---\n\nPeas up.",
            datetime(2024, 3, 5, tzinfo=UTC),
        ),
        (
            "b.txt",
            "---\ndate: 2024-03-05T09:30:00+01:00\n---\nGarden log\n\nPeas up.",
            datetime(2024, 3, 5, 8, 30, tzinfo=UTC),
        ),
        ("c.md", "# Garden log 2024-03-05\n\nPeas up.", datetime(2024, 3, 5, tzinfo=UTC)),
        ("d.txt", "Garden log, 2024-03-05\n\nPeas up.", datetime(2024, 3, 5, tzinfo=UTC)),
        (  # no date anywhere: the file's modification time
            "e.md",
            "# Garden log\n\nPeas up on 2024-03-05.",
            datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
        ),
        (  # an impossible date is no date
            "f.md",
            "---\ndate: soon\n---\n# Garden log 2024-13-45\n\nPeas up.",
            datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
        ),
    ],
)
def test_a_note_is_dated_by_its_front_matter_heading_or_file(
    tmp_path: Path, name: str, text: str, published: datetime
) -> None:
    note = _note(tmp_path, name, text)
    assert note.published == published
    assert note.title.startswith("Garden log")
    assert note.content.strip().startswith("Peas up")


@pytest.mark.parametrize(
    "text",
    [
        "---\n\nA note that opens with a rule.\n\n---\n\nAnd has another.",
        "No front matter.\n---\ndate: 2024-03-05\n---\n",
        "---\ndate: 2024-03-05\nno closing line",
    ],
)
def test_a_document_without_front_matter_is_left_whole(text: str) -> None:
    assert split_front_matter(text) == ({}, text)


def test_local_feed_file_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(RSS)
    with Fetcher() as fetcher:
        raw = read_source(Source("f", SourceKind.FEED, str(path)), fetcher)
    assert len(source_items(raw)) == 2


def test_remote_feed_uses_conditional_get(http_server: HttpServer) -> None:
    http_server.routes["/feed.xml"] = Route(RSS, headers={"ETag": '"v1"'})
    source = Source("f", SourceKind.FEED, http_server.url("/feed.xml"))
    with Fetcher() as fetcher:
        first = read_source(source, fetcher)
        second = read_source(source, fetcher, etag=first.etag)
    assert len(source_items(first)) == 2 and first.etag == '"v1"'
    assert second.not_modified and source_items(second) == []


def test_a_page_source_is_one_item(http_server: HttpServer) -> None:
    http_server.routes["/story"] = Route(b"<html><body><p>Hi</p></body></html>", "text/html")
    source = Source("p", SourceKind.PAGE, http_server.url("/story"))
    with Fetcher() as fetcher:
        (page,) = source_items(read_source(source, fetcher))
    assert page.is_full_page and page.guid == source.location


@pytest.mark.parametrize(
    ("content", "mode", "expected"),
    [
        ("<p>Short teaser.</p>", "auto", True),
        ("<p>" + "word " * 300 + "</p>", "auto", False),
        ("<p>" + "word " * 300 + "[&#8230;]</p>", "auto", True),
        ("<p>" + "word " * 300 + " Continue reading</p>", "auto", True),
        ("<p>" + "word " * 300 + "</p>", "always", True),
        ("<p>Short teaser.</p>", "never", False),
    ],
)
def test_needs_full_text(content: str, mode: str, expected: bool) -> None:
    text = content.replace("&#8230;", "\u2026")
    assert needs_full_text(item(text), mode) is expected


def test_needs_full_text_only_for_web_links() -> None:
    assert not needs_full_text(item("<p>Short.</p>", url=""), "always")
    assert not needs_full_text(item("<p>Short.</p>", url="file:///x.html"), "always")


def test_full_text_replaces_the_teaser(http_server: HttpServer) -> None:
    http_server.routes["/story"] = Route(
        "<html><body><p>Caf\u00e9 full story.</p></body></html>".encode("iso-8859-1"),
        "text/html; charset=iso-8859-1",
    )
    teaser = item("<p>Teaser.</p>", url=http_server.url("/story"))
    source = Source("s", SourceKind.FEED, "https://example.org/feed", allow_private=True)
    with Fetcher() as fetcher:
        full = fetch_full_text(teaser, source, fetcher)
    assert full.is_full_page and "Caf\u00e9 full story." in full.content
    assert (full.title, full.guid) == ("Title", "g")


def test_full_text_from_a_private_address_needs_the_source_to_allow_it(
    http_server: HttpServer,
) -> None:
    teaser = item("<p>Teaser.</p>", url=http_server.url("/story"))
    source = Source("s", SourceKind.FEED, "https://example.org/feed")
    with Fetcher() as fetcher, pytest.raises(FetchError, match="private or local address"):
        fetch_full_text(teaser, source, fetcher)
    assert http_server.requests == []


@pytest.mark.parametrize(
    ("content", "charset", "expected"),
    [
        ("<p>Caf\u00e9</p>".encode(), None, "<p>Caf\u00e9</p>"),
        ("<p>Caf\u00e9</p>".encode("cp1252"), "windows-1252", "<p>Caf\u00e9</p>"),
        (
            '<meta charset="iso-8859-1"><p>Caf\u00e9</p>'.encode("iso-8859-1"),
            None,
            '<meta charset="iso-8859-1"><p>Caf\u00e9</p>',
        ),
        ("<p>Caf\u00e9</p>".encode(), "iso-8859-7", "<p>Caf\u00e9</p>"),  # wrong header
        ("\ufeff<p>Caf\u00e9</p>".encode(), "ascii", "<p>Caf\u00e9</p>"),
        ("<p>Caf\u00e9</p>".encode(), "no-such-charset", "<p>Caf\u00e9</p>"),
    ],
)
def test_decode_html(content: bytes, charset: str | None, expected: str) -> None:
    assert decode_html(content, charset) == expected


def test_decode_html_detects_an_undeclared_charset() -> None:
    text = (
        "<html><body><p>\u041c\u044d\u0440 \u0433\u043e\u0440\u043e\u0434\u0430 "
        "\u043e\u0442\u043a\u0440\u044b\u043b \u043d\u043e\u0432\u044b\u0439 "
        "\u043c\u043e\u0441\u0442 \u0447\u0435\u0440\u0435\u0437 \u0440\u0435\u043a\u0443 "
        "\u0432 \u0441\u0440\u0435\u0434\u0443. \u0421\u0442\u0440\u043e\u0438\u0442"
        "\u0435\u043b\u044c\u0441\u0442\u0432\u043e \u0437\u0430\u043d\u044f\u043b"
        "\u043e \u0442\u0440\u0438 \u0433\u043e\u0434\u0430.</p></body></html>"
    )
    assert decode_html(text.encode("cp1251")) == text


def test_load_document_reads_a_page_over_http(http_server: HttpServer) -> None:
    http_server.routes["/story"] = Route(b"<html><body><p>Hi</p></body></html>", "text/html")
    with Fetcher() as fetcher:
        page = load_document(http_server.url("/story"), fetcher)
    assert page.is_full_page and page.url == http_server.url("/story")


def test_load_document_rejects_unknown_files(tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF")
    with Fetcher() as fetcher, pytest.raises(FetchError, match="not a document"):
        load_document(str(path), fetcher)
