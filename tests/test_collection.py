"""Tests for digest.collect.gather: whole collection passes against a real local HTTP server."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from digest import config as config_module
from digest.collect.fingerprint import fingerprints
from digest.collect.prepare import prepare_items
from digest.extract import article_from_item
from digest.models import FeedItem
from digest.pipeline import collect_all
from digest.store import Store

from .conftest import DATA, HttpServer, Route

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
RSS = (DATA / "feeds" / "rss.xml").read_bytes()
ATOM = (DATA / "feeds" / "atom.xml").read_bytes()
STORY = (
    "The harbour board approved a new tidal barrier on Monday after three years of "
    "consultation with residents, fishermen and the port authority. The barrier will close "
    "during storm surges and is expected to protect about 4,000 homes in the lower town. "
    "Construction starts in March and should take two years, the board said. The cost, "
    "estimated at 48 million pounds, will be shared between the national flood agency and "
    "the town council. Fishermen had asked for a wider navigation gap, which the final "
    "design now includes. Residents will be able to see the plans at the library from "
    "next week, and a public meeting is planned for early January."
)


def feed(items: list[tuple[str, str, str]], title: str = "Feed") -> bytes:
    """An RSS 2.0 feed of (guid, link, html content) items."""
    entries = "".join(
        f"<item><title>Story {guid}</title><link>{link}</link><guid>{guid}</guid>"
        f"<description><![CDATA[{content}]]></description></item>"
        for guid, link, content in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://example.org/</link>{entries}</channel></rss>"
    ).encode()


def make_config(tmp_path: Path, sources: list[dict[str, Any]], **http: Any) -> config_module.Config:
    raw: dict[str, Any] = {"sources": sources, "http": {"timeout": 2.0, **http}}
    return config_module.parse(raw, base=tmp_path)


def collect(config: config_module.Config, now: datetime = NOW) -> Any:
    with Store(config.database) as store:
        report = collect_all(config, store, now=now)
        articles = store.undelivered("nobody@example.org", limit=100)
    return report, articles


def test_every_remote_source_type_is_collected(tmp_path: Path, http_server: HttpServer) -> None:
    json_feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON",
        "items": [
            {
                "id": "j1",
                "url": "https://json.example/1",
                "title": "From JSON",
                "content_text": STORY,
            }
        ],
    }
    other = "The library will open on Sundays from January, the council said on Friday. " * 3
    page = f"<html><head><title>A page</title></head><body><article><h1>A page</h1><p>{other}</p>"
    http_server.routes["/rss"] = Route(RSS)
    http_server.routes["/atom"] = Route(ATOM, "application/atom+xml")
    http_server.routes["/json"] = Route(json.dumps(json_feed).encode(), "application/feed+json")
    http_server.routes["/page"] = Route((page + "</article></body></html>").encode(), "text/html")
    config = make_config(
        tmp_path,
        [
            {"name": "RSS", "url": http_server.url("/rss"), "full_text": "never"},
            {"name": "Atom", "url": http_server.url("/atom"), "full_text": "never"},
            {"name": "JSON", "url": http_server.url("/json"), "full_text": "never"},
            {"name": "Page", "url": http_server.url("/page"), "kind": "page"},
        ],
    )
    report, articles = collect(config)
    assert (report.sources_read, report.new_articles, report.source_failures) == (4, 5, [])
    titles = {stored.article.title for stored in articles}
    assert {"From JSON", "A page", "Comet Hollis brightens ahead of schedule"} <= titles


def test_a_teaser_is_replaced_by_the_full_page(tmp_path: Path, http_server: HttpServer) -> None:
    page = (
        "<html><head><title>Tidal barrier approved</title></head><body><nav>Home | News</nav>"
        f"<article><h1>Tidal barrier approved</h1><p>{STORY}</p></article></body></html>"
    )
    http_server.routes["/story"] = Route(page.encode(), "text/html")
    http_server.routes["/feed"] = Route(
        feed([("t1", http_server.url("/story"), "<p>The board approved a barrier [&#8230;]</p>")])
    )
    config = make_config(
        tmp_path, [{"name": "Teasers", "url": http_server.url("/feed"), "allow_private": True}]
    )
    report, (stored,) = collect(config)
    assert report.new_articles == 1 and report.full_text_failures == []
    assert "4,000 homes in the lower town" in stored.article.text
    assert "Home | News" not in stored.article.text


TEASER = "<p>The board approved a barrier [&#8230;]</p>"
PAGE = (
    "<html><head><title>Tidal barrier approved</title></head><body>"
    f"<article><h1>Tidal barrier approved</h1><p>{STORY}</p></article></body></html>"
).encode()


def teaser_feed(server: HttpServer, **source: Any) -> dict[str, Any]:
    """A feed source whose one entry is a teaser of the page at /story."""
    server.routes["/feed"] = Route(feed([("t1", server.url("/story"), TEASER)]))
    return {"name": "Teasers", "url": server.url("/feed"), **source}


def stored_articles(config: config_module.Config) -> list[Any]:
    with Store(config.database) as store:
        return store.undelivered("nobody@example.org", limit=100, since=NOW - timedelta(days=1))


def test_a_teaser_whose_page_is_refused_waits_and_the_run_says_why(
    tmp_path: Path, http_server: HttpServer
) -> None:
    config = make_config(tmp_path, [teaser_feed(http_server)])
    report, articles = collect(config)
    assert articles == [] and report.new_articles == 0
    (note,) = report.full_text_notes
    assert note.what == "Teasers"
    assert "private or local address" in note.reason
    assert "set allow_private = true for source 'Teasers'" in note.reason
    assert "\n" not in note.reason
    assert [path for path, _ in http_server.requests] == ["/feed"]
    with Store(config.database) as store:
        assert store.waiting_count() == 1
        assert store.seen_guids("Teasers") == {"t1"}


def test_a_waiting_teaser_gets_its_page_once_the_source_allows_it(
    tmp_path: Path, http_server: HttpServer
) -> None:
    http_server.routes["/story"] = Route(PAGE, "text/html")
    collect(make_config(tmp_path, [teaser_feed(http_server)]))
    allowed = make_config(tmp_path, [teaser_feed(http_server, allow_private=True)])
    report, (stored,) = collect(allowed, NOW + timedelta(hours=1))
    assert report.new_articles == 1 and report.full_text_notes == []
    assert "4,000 homes in the lower town" in stored.article.text
    assert not stored.article.teaser
    with Store(allowed.database) as store:
        assert store.waiting_count() == 0


def test_an_unreachable_page_is_tried_again_with_a_pause(
    tmp_path: Path, http_server: HttpServer
) -> None:
    http_server.routes["/story"] = Route(b"down", status=500)
    config = make_config(tmp_path, [teaser_feed(http_server, allow_private=True)])
    first, _ = collect(config)
    assert "answered HTTP 500" in first.full_text_notes[0].reason
    soon, _ = collect(config, NOW + timedelta(minutes=10))  # not due yet
    http_server.routes["/story"] = Route(PAGE, "text/html")
    later, (stored,) = collect(config, NOW + timedelta(hours=1))
    pages = [path for path, _ in http_server.requests if path == "/story"]
    assert (len(pages), soon.full_text_failures, later.new_articles) == (2, [], 1)
    assert "4,000 homes" in stored.article.text


def test_after_the_wait_the_teaser_is_stored_as_one_and_its_page_replaces_it(
    tmp_path: Path, http_server: HttpServer
) -> None:
    refused = make_config(tmp_path, [teaser_feed(http_server)])
    collect(refused)
    report, (teaser,) = collect(refused, NOW + timedelta(hours=25))
    assert teaser.article.teaser and report.new_articles == 1
    assert teaser.article.text.startswith("The board approved a barrier")
    http_server.routes["/story"] = Route(PAGE, "text/html")
    allowed = make_config(tmp_path, [teaser_feed(http_server, allow_private=True)])
    report, (full,) = collect(allowed, NOW + timedelta(hours=30))
    assert (full.article_id, report.duplicates) == (teaser.article_id, 1)
    assert not full.article.teaser and "4,000 homes" in full.article.text


def test_a_page_fetched_from_another_address_still_replaces_its_teaser(
    tmp_path: Path, http_server: HttpServer
) -> None:
    refused = make_config(tmp_path, [teaser_feed(http_server)])
    collect(refused)
    _, (teaser,) = collect(refused, NOW + timedelta(hours=25))
    http_server.routes["/story"] = Route(b"", status=301, headers={"Location": "/moved"})
    http_server.routes["/moved"] = Route(PAGE, "text/html")
    allowed = make_config(tmp_path, [teaser_feed(http_server, allow_private=True)])
    _, (full,) = collect(allowed, NOW + timedelta(hours=30))
    assert full.article_id == teaser.article_id and "4,000 homes" in full.article.text
    assert full.article.url == teaser.article.url


def test_a_page_without_an_article_keeps_its_teaser_marked_as_one(
    tmp_path: Path, http_server: HttpServer
) -> None:
    http_server.routes["/story"] = Route(b"<html><body><script>x()</script></body></html>")
    config = make_config(tmp_path, [teaser_feed(http_server, allow_private=True)])
    report, (stored,) = collect(config)
    (failure,) = report.item_failures  # the page's, said as it is
    assert failure.what == http_server.url("/story")
    assert stored.article.teaser and stored.article.text.startswith("The board approved")


def test_a_teaser_waits_no_longer_than_the_retries_last(
    tmp_path: Path, http_server: HttpServer
) -> None:
    config = make_config(tmp_path, [teaser_feed(http_server)])
    collect(config)
    collect(config, NOW + timedelta(days=4))
    with Store(config.database) as store:
        assert store.waiting_count() == 0
    (stored,) = stored_articles(config)
    assert stored.article.teaser


def test_a_page_source_and_a_feed_teaser_of_one_story_keep_the_page(
    tmp_path: Path, http_server: HttpServer
) -> None:
    http_server.routes["/story"] = Route(PAGE, "text/html")
    config = make_config(
        tmp_path,
        [
            teaser_feed(http_server, full_text="never"),
            {"name": "Page", "url": http_server.url("/story"), "kind": "page"},
        ],
    )
    report, (stored,) = collect(config)
    assert (report.new_articles, report.duplicates) == (1, 1)
    assert "4,000 homes in the lower town" in stored.article.text
    assert set(stored.article.source.split(", ")) == {"Teasers", "Page"}


def test_the_same_story_from_two_feeds_is_stored_once(
    tmp_path: Path, http_server: HttpServer
) -> None:
    """Different URLs, a slightly different text (a footer line): one article, two sources."""
    http_server.routes["/a"] = Route(
        feed([("a1", "https://a.example/s?utm_source=rss", f"<p>{STORY}</p>")])
    )
    http_server.routes["/b"] = Route(
        feed([("b1", "https://b.example/news/barrier", f"<p>{STORY}</p><p>Copyright B News.</p>")])
    )
    config = make_config(
        tmp_path,
        [
            {"name": "A", "url": http_server.url("/a"), "full_text": "never"},
            {"name": "B", "url": http_server.url("/b"), "full_text": "never"},
        ],
    )
    report, (stored,) = collect(config)
    assert (report.new_articles, report.duplicates) == (1, 1)
    assert stored.article.source == "A, B"
    assert stored.article.url == "https://a.example/s"


def test_a_second_collection_adds_only_new_items(tmp_path: Path, http_server: HttpServer) -> None:
    http_server.routes["/f"] = Route(feed([("1", "https://e.org/1", f"<p>{STORY}</p>")]))
    config = make_config(
        tmp_path, [{"name": "F", "url": http_server.url("/f"), "full_text": "never"}]
    )
    collect(config)
    http_server.routes["/f"] = Route(
        feed([("1", "https://e.org/1", f"<p>{STORY}</p>"), ("2", "https://e.org/2", "<p>New.</p>")])
    )
    report, articles = collect(config, NOW + timedelta(hours=1))
    assert report.new_articles == 1 and len(articles) == 2


BOMB = gzip.compress(b"<rss>" + b" " * 3_000_000)
FAILURES = [
    (
        "malformed",
        Route(b"<rss version='2.0'><channel><title>x</title><item><title>", "application/rss+xml"),
        "is not an RSS, Atom or JSON feed",
    ),
    (
        "html",
        Route(b"<!DOCTYPE html><html><body>Hi</body></html>", "text/html"),
        "is a web page, not a feed",
    ),
    ("binary", Route(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"), "is binary data"),
    ("empty", Route(b"", "application/rss+xml"), "is empty"),
    ("forbidden", Route(b"no", status=403), "answered HTTP 403"),
    ("broken", Route(b"oops", status=502), "answered HTTP 502"),
    ("slow", Route(RSS, delay=3.0), "timed out"),
    ("loop", Route(b"", status=302, headers={"Location": "/loop"}), "redirected too many times"),
    ("huge", Route(b"x" * 300_000), "sent more than 200,000 bytes"),
    ("bomb", Route(BOMB, headers={"Content-Encoding": "gzip"}), "decompression bomb"),
]


def test_every_kind_of_broken_source_is_recorded_and_the_run_goes_on(
    tmp_path: Path, http_server: HttpServer
) -> None:
    sources = []
    for name, route, _ in FAILURES:
        http_server.routes[f"/{name}"] = route
        sources.append({"name": name, "url": http_server.url(f"/{name}"), "full_text": "never"})
    http_server.routes["/good"] = Route(RSS)
    sources.append({"name": "good", "url": http_server.url("/good"), "full_text": "never"})
    config = make_config(
        tmp_path, sources, max_bytes=200_000, max_decompressed_bytes=1_000_000, timeout=1.0
    )
    report, articles = collect(config)
    reasons = {failure.what: failure.reason for failure in report.source_failures}
    assert set(reasons) == {name for name, _, _ in FAILURES}
    for name, _, message in FAILURES:
        assert message in reasons[name], name
        assert "\n" not in reasons[name]
    assert report.sources_read == 1 and len(articles) == 2
    with Store(config.database) as store:
        assert store.source_state("slow").last_status == "error"
        assert store.source_state("good").last_status == "ok"


def test_a_feed_with_the_wrong_charset_is_still_read(
    tmp_path: Path, http_server: HttpServer
) -> None:
    body = feed([("1", "https://e.org/1", f"<p>Caf\u00e9 society. {STORY}</p>")]).decode()
    http_server.routes["/f"] = Route(body.encode("utf-8"), "application/rss+xml; charset=ascii")
    config = make_config(
        tmp_path, [{"name": "F", "url": http_server.url("/f"), "full_text": "never"}]
    )
    report, (stored,) = collect(config)
    assert report.source_failures == []
    assert stored.article.text.startswith("Caf")


def test_retry_after_defers_a_source_until_the_time_it_gave(
    tmp_path: Path, http_server: HttpServer
) -> None:
    http_server.routes["/busy"] = Route(b"", status=503, headers={"Retry-After": "7200"})
    config = make_config(tmp_path, [{"name": "Busy", "url": http_server.url("/busy")}])
    first, _ = collect(config, datetime.now(UTC))
    second, _ = collect(config, datetime.now(UTC) + timedelta(minutes=30))
    assert "asks to retry after" in first.source_failures[0].reason
    assert (second.sources_deferred, len(http_server.requests)) == (1, 1)


def test_prepared_items_have_clean_text_and_canonical_urls() -> None:
    item = FeedItem(
        "s",
        "g",
        "https://e.org/a?utm_medium=x#top",
        "Title",
        "<p>One <b>bold</b> claim.</p><script>alert(1)</script>",
        "html",
    )
    prepared = prepare_items([item], "en", article_from_item)
    (collected,) = prepared.articles
    assert collected.article.text == "One bold claim."
    assert collected.article.url == "https://e.org/a"
    assert collected.content_hash == fingerprints("One bold claim.")[0]


def test_an_item_the_extractor_refuses_is_a_recorded_failure() -> None:
    item = FeedItem("s", "g", "https://e.org/a", "Title", "<script>x()</script>", "html")
    prepared = prepare_items([item], "en", article_from_item)
    assert prepared.articles == ()
    assert prepared.skipped == ("g",)
    assert prepared.failures == (("https://e.org/a", "https://e.org/a has no article text."),)


def test_exact_fingerprint_ignores_case_spacing_and_punctuation() -> None:
    assert fingerprints("Hello,  World!\n")[0] == fingerprints("hello world")[0]
    assert fingerprints("hello world")[0] != fingerprints("hello there")[0]


def test_worker_processes_prepare_the_same_articles(
    tmp_path: Path, http_server: HttpServer
) -> None:
    """With [collect] processes = 2, parsing and cleaning run in worker processes."""
    http_server.routes["/rss"] = Route(RSS)
    http_server.routes["/atom"] = Route(ATOM, "application/atom+xml")
    sources = [
        {"name": "RSS", "url": http_server.url("/rss"), "full_text": "never"},
        {"name": "Atom", "url": http_server.url("/atom"), "full_text": "never"},
    ]
    inline = replace(make_config(tmp_path, sources), data_dir=tmp_path / "inline")
    pooled = replace(
        config_module.parse({"sources": sources, "collect": {"processes": 2}}, base=tmp_path),
        data_dir=tmp_path / "pooled",
    )
    _, expected = collect(inline)
    report, articles = collect(pooled)
    assert report.new_articles == 3
    assert [a.article for a in articles] == [a.article for a in expected]


def test_with_keep_days_an_item_published_before_the_cutoff_is_not_collected(
    tmp_path: Path, http_server: HttpServer
) -> None:
    """A feed still listing an entry older than the store keeps cannot bring it back."""

    def dated(guid: str, published: datetime, text: str) -> str:
        return (
            f"<item><title>Story {guid}</title><link>https://e.org/{guid}</link>"
            f"<guid>{guid}</guid><pubDate>{published.strftime('%a, %d %b %Y %H:%M:%S')} GMT"
            f"</pubDate><description><![CDATA[<p>{text}</p>]]></description></item>"
        )

    items = dated("old", NOW - timedelta(days=40), STORY) + dated(
        "new", NOW - timedelta(days=1), STORY.replace("harbour", "river")
    )
    http_server.routes["/feed"] = Route(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>'
        f"<link>https://example.org/</link>{items}</channel></rss>".encode()
    )
    source = [{"name": "F", "url": http_server.url("/feed"), "full_text": "never"}]
    raw: dict[str, Any] = {"sources": source, "store": {"keep_days": 30}}
    report, articles = collect(config_module.parse(raw, base=tmp_path))
    assert report.new_articles == 1
    assert [stored.article.title for stored in articles] == ["Story new"]
    report, articles = collect(make_config(tmp_path, source))  # keeping everything
    assert report.new_articles + report.duplicates == 1  # now it is taken
