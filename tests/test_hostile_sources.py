"""Hostile sources: whatever one source sends, the run finishes in time, records that source's
failure (or reads it safely), and still delivers every other source's articles.

Each test runs whole passes (`pipeline.run_once` with the file backend, or the collection
pass with an article maker of its own) against real servers on 127.0.0.1 and real SQLite.
Some of these inputs are made readable by the feed and extraction code itself; the tests
assert only what must hold either way.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from digest import config as config_module
from digest.cli import cli
from digest.collect import collect_all
from digest.extract import article_from_item
from digest.models import Article, FeedItem
from digest.pipeline import RunReport, run_once
from digest.store import Store

from .conftest import DrippingServer, HttpServer, Route

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
GOOD_STORY = (
    "The council opened a new reading room in the old post office on Tuesday. It holds "
    "about 6,000 books and will stay open until nine every evening. Volunteers from the "
    "historical society catalogued the collection over the summer, the mayor said. A small "
    "cafe run by the school's catering class will open in the lobby in spring. Visitors can "
    "borrow up to five books at a time with an ordinary library card."
)
STORY = (
    "The harbour board approved a new tidal barrier on Monday after three years of "
    "consultation with residents, fishermen and the port authority. The barrier will close "
    "during storm surges and is expected to protect about 4,000 homes in the lower town. "
    "Construction starts in March and should take two years, the board said. The cost, "
    "estimated at 48 million pounds, will be shared between the national flood agency and "
    "the town council. Fishermen had asked for a wider navigation gap, which the final "
    "design now includes."
)
PAGE = (
    "<html><head><title>Tidal barrier approved</title></head><body>"
    f"<article><h1>Tidal barrier approved</h1><p>{STORY}</p></article></body></html>"
).encode()


def rss(entries: str, title: str = "Feed") -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://example.org/</link>{entries}</channel></rss>"
    ).encode()


def entry(guid: str, link: str, content: str, *, title: str = "", pub_date: str = "") -> str:
    date = f"<pubDate>{pub_date}</pubDate>" if pub_date else ""
    return (
        f"<item><title>{title or 'Story ' + guid}</title><link>{link}</link><guid>{guid}</guid>"
        f"{date}<description><![CDATA[{content}]]></description></item>"
    )


GOOD = rss(entry("good-1", "https://good.example/reading-room", f"<p>{GOOD_STORY}</p>"), "Good")


def make_config(
    tmp_path: Path,
    server: HttpServer,
    bad: dict[str, Any],
    *,
    collect: dict[str, Any] | None = None,
    **http: Any,
) -> config_module.Config:
    """A good feed (at /good) and the `bad` source, one subscriber, the file backend."""
    server.routes["/good"] = Route(GOOD)
    raw: dict[str, Any] = {
        "sources": [
            {"name": "Good", "url": server.url("/good"), "full_text": "never"},
            {"full_text": "never", **bad},
        ],
        "subscribers": [{"email": "reader@example.org"}],
        "delivery": {"backend": "file"},
        "http": {"timeout": 1.0, "total_timeout": 2.0, **http},
        "collect": collect or {},
    }
    return config_module.parse(raw, base=tmp_path)


def run(config: config_module.Config, now: datetime = NOW) -> tuple[RunReport, float]:
    started = time.monotonic()
    with Store(config.database) as store:
        report = run_once(config, store, now=now)
    return report, time.monotonic() - started


def delivered_html(report: RunReport) -> str:
    (delivery,) = report.delivered
    path = next(path for path in delivery.files if path.suffix == ".html")
    return path.read_text("utf-8")


def run_checked(
    config: config_module.Config, bad: str, *, within: float, now: datetime = NOW
) -> RunReport:
    """Run once and check what must hold whatever `bad` sent: the run ended within
    `within` seconds, the good source is in the digest, and every failure is one short
    line; when the bad source failed, the store says so too."""
    report, elapsed = run(config, now)
    assert elapsed < within, f"the run took {elapsed:.1f} s"
    assert "Story good-1" in delivered_html(report)
    collection = report.collection
    for failure in collection.source_failures + collection.item_failures:
        assert "\n" not in failure.reason and len(failure.reason) <= 500
    failed = {failure.what for failure in collection.source_failures}
    assert "Good" not in failed
    if bad in failed:
        with Store(config.database) as store:
            assert store.source_state(bad).last_status in {"error", "deferred"}
    return report


@pytest.mark.parametrize(
    "pub_date",
    ["Fri, 31 Dec 9999 23:59:59 -1200", "Fri, 31 Dec 9999 23:59:59 +0000", "Mon, 1 Jan 0001"],
)
def test_a_date_at_the_end_of_time(tmp_path: Path, http_server: HttpServer, pub_date: str) -> None:
    http_server.routes["/bad"] = Route(
        rss(entry("late", "https://bad.example/late", f"<p>{STORY}</p>", pub_date=pub_date))
    )
    config = make_config(tmp_path, http_server, {"name": "Bad", "url": http_server.url("/bad")})
    run_checked(config, "Bad", within=10)


@pytest.mark.parametrize("full_text", ["never", "always"])
def test_a_link_that_is_not_a_url(tmp_path: Path, http_server: HttpServer, full_text: str) -> None:
    http_server.routes["/bad"] = Route(
        rss(entry("v6", "http://[::1/post", "<p>A teaser about an address [&#8230;]</p>"))
    )
    bad = {"name": "Bad", "url": http_server.url("/bad"), "full_text": full_text}
    config = make_config(tmp_path, http_server, bad)
    report = run_checked(config, "Bad", within=10)
    if full_text == "always" and report.collection.full_text_failures:
        assert "not a valid URL" in report.collection.full_text_failures[0].reason
    # Nothing was asked of any address but the two feeds.
    assert {path for path, _ in http_server.requests} == {"/good", "/bad"}


@pytest.mark.parametrize("retry_after", ["1000000000000", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_a_retry_after_beyond_reason(
    tmp_path: Path, http_server: HttpServer, retry_after: str
) -> None:
    http_server.routes["/bad"] = Route(b"", status=503, headers={"Retry-After": retry_after})
    config = make_config(tmp_path, http_server, {"name": "Bad", "url": http_server.url("/bad")})
    now = datetime.now(UTC)  # the fetcher's clock is the real one
    report = run_checked(config, "Bad", within=10, now=now)
    (failure,) = report.collection.source_failures
    assert "asks to retry after" in failure.reason
    with Store(config.database) as store:
        until = store.source_state("Bad").retry_after
    assert until is not None and until <= now + timedelta(hours=6, minutes=1)


def test_a_server_dripping_its_headers(tmp_path: Path, http_server: HttpServer) -> None:
    dripping = DrippingServer(every=0.2)
    dripping.start()
    try:
        config = make_config(
            tmp_path, http_server, {"name": "Bad", "url": dripping.url("/feed")}, total_timeout=1.5
        )
        report = run_checked(config, "Bad", within=6)
    finally:
        dripping.stop()
    (failure,) = report.collection.source_failures
    assert "took longer than 1.5 s in all" in failure.reason


def test_a_ten_megabyte_page(tmp_path: Path, http_server: HttpServer) -> None:
    paragraph = f"<p>{STORY}</p>\n".encode()
    body = b"<html><body><article>" + paragraph * (10_485_760 // len(paragraph) + 1)
    http_server.routes["/bad"] = Route(body + b"</article></body></html>", "text/html")
    bad = {"name": "Bad", "url": http_server.url("/bad"), "kind": "page"}
    config = make_config(tmp_path, http_server, bad, total_timeout=5.0)
    run_checked(config, "Bad", within=30)


def big_feed(count: int) -> bytes:
    """`count` entries, the newest first, an hour apart."""
    start = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
    entries = "".join(
        entry(
            f"n{number}",
            f"https://big.example/{number}",
            f"<p>Entry {number} of the archive says little.</p>",
            pub_date=(start - timedelta(hours=number)).strftime("%a, %d %b %Y %H:%M:%S +0000"),
        )
        for number in range(count)
    )
    return rss(entries, "Big")


def test_a_forty_thousand_item_feed_gives_a_few_a_run_and_keeps_the_rest(
    tmp_path: Path, http_server: HttpServer
) -> None:
    http_server.routes["/bad"] = Route(big_feed(40_000), headers={"ETag": '"all"'})
    config = make_config(
        tmp_path,
        http_server,
        {"name": "Big", "url": http_server.url("/bad")},
        collect={"max_items_per_source": 40},
    )
    first = run_checked(config, "Big", within=30)
    second, elapsed = run(config, NOW + timedelta(hours=1))
    assert elapsed < 30
    assert first.collection.items_left == {"Big": 39_960}
    assert second.collection.items_left == {"Big": 39_920}
    assert (first.collection.new_articles, second.collection.new_articles) == (41, 40)
    with Store(config.database) as store:
        seen = store.seen_guids("Big")
        state = store.source_state("Big")
    # The newest first, then the next newest; nothing beyond them counts as seen.
    assert seen == {f"n{number}" for number in range(80)}
    assert state.etag is None
    big_requests = [headers for path, headers in http_server.requests if path == "/bad"]
    assert "If-None-Match" not in big_requests[1]


def test_the_rest_of_a_backlog_comes_and_then_the_source_is_fetched_conditionally(
    tmp_path: Path, http_server: HttpServer
) -> None:
    http_server.routes["/bad"] = Route(big_feed(5), headers={"ETag": '"five"'})
    config = make_config(
        tmp_path,
        http_server,
        {"name": "Big", "url": http_server.url("/bad")},
        collect={"max_items_per_source": 3},
    )
    first = run_checked(config, "Big", within=20)
    second, _ = run(config, NOW + timedelta(hours=1))
    third, _ = run(config, NOW + timedelta(hours=2))
    assert (first.collection.items_left, second.collection.items_left) == ({"Big": 2}, {})
    assert second.collection.new_articles == 2 and third.collection.sources_unchanged == 1
    big_requests = [headers for path, headers in http_server.requests if path == "/bad"]
    assert big_requests[2]["If-None-Match"] == '"five"'


def test_a_five_megabyte_title(tmp_path: Path, http_server: HttpServer) -> None:
    title = "Breaking " * 560_000
    http_server.routes["/bad"] = Route(
        rss(entry("long", "https://bad.example/long", f"<p>{STORY}</p>", title=title))
    )
    config = make_config(tmp_path, http_server, {"name": "Bad", "url": http_server.url("/bad")})
    run_checked(config, "Bad", within=30)


# --- what the pass does with failures of its own parts -----------------------------------


def crashing_maker(item: FeedItem, language: str | None) -> Article:
    """An article maker whose worker process dies on an item titled "crash"."""
    if item.title == "crash":
        os._exit(3)
    return article_from_item(item, language)


def odd_maker(item: FeedItem, language: str | None) -> Article:
    """An article maker with a bug on items titled "bug", and text that SQLite cannot store
    (a lone surrogate) on items titled "unstorable"."""
    if item.title == "bug":
        raise ZeroDivisionError("division by zero")
    article = article_from_item(item, language)
    if item.title == "unstorable":
        return replace(article, text=article.text + " \ud800")
    return article


def collect_config(
    tmp_path: Path, server: HttpServer, bad: bytes, processes: int
) -> config_module.Config:
    server.routes["/bad"] = Route(bad)
    server.routes["/good"] = Route(GOOD)
    sources = [
        {"name": "Bad", "url": server.url("/bad"), "full_text": "never"},
        {"name": "Good", "url": server.url("/good"), "full_text": "never"},
    ]
    raw = {"sources": sources, "collect": {"processes": processes}, "http": {"timeout": 2.0}}
    return config_module.parse(raw, base=tmp_path)


def test_a_worker_process_that_dies_fails_its_source_alone(
    tmp_path: Path, http_server: HttpServer
) -> None:
    bad = rss(entry("c", "https://bad.example/c", f"<p>{STORY}</p>", title="crash"))
    config = collect_config(tmp_path, http_server, bad, processes=2)
    with Store(config.database) as store:
        report = collect_all(config, store, now=NOW, make_article=crashing_maker)
        seen = store.seen_guids("Bad")
    (failure,) = report.source_failures
    assert failure.what == "Bad" and "worker process stopped" in failure.reason
    assert report.new_articles == 1 and seen == set()


def test_a_bug_in_one_item_fails_that_item_alone(tmp_path: Path, http_server: HttpServer) -> None:
    bad = rss(
        entry("b", "https://bad.example/b", f"<p>{STORY}</p>", title="bug")
        + entry("ok", "https://bad.example/ok", f"<p>{STORY}</p>", title="fine")
    )
    config = collect_config(tmp_path, http_server, bad, processes=1)
    with Store(config.database) as store:
        report = collect_all(config, store, now=NOW, make_article=odd_maker)
    (failure,) = report.item_failures
    assert failure.reason == "unexpected ZeroDivisionError: division by zero"
    assert (report.new_articles, report.source_failures) == (2, [])


def test_a_source_that_cannot_be_stored_fails_alone(
    tmp_path: Path, http_server: HttpServer
) -> None:
    bad = rss(entry("u", "https://bad.example/u", f"<p>{STORY}</p>", title="unstorable"))
    config = collect_config(tmp_path, http_server, bad, processes=1)
    with Store(config.database) as store:
        report = collect_all(config, store, now=NOW, make_article=odd_maker)
        seen, state = store.seen_guids("Bad"), store.source_state("Bad")
    (failure,) = report.source_failures
    assert failure.what == "Bad" and failure.reason.startswith("unexpected UnicodeEncodeError")
    assert (report.new_articles, seen, state.last_status) == (1, set(), "error")


# --- teasers end to end ---------------------------------------------------------------------


def teaser_config(tmp_path: Path, server: HttpServer, **source: Any) -> config_module.Config:
    server.routes["/teasers"] = Route(
        rss(entry("t1", server.url("/story"), "<p>The board approved a barrier [&#8230;]</p>"))
    )
    bad = {"name": "Teasers", "url": server.url("/teasers"), "full_text": "auto", **source}
    return make_config(tmp_path, server, bad)


def test_an_unreachable_page_is_said_retried_and_delivered_once_reachable(
    tmp_path: Path, http_server: HttpServer
) -> None:
    first = run_checked(teaser_config(tmp_path, http_server), "Teasers", within=10)
    (note,) = first.collection.full_text_notes
    assert "allow_private = true for source 'Teasers'" in note.reason
    assert first.failed and "barrier" not in delivered_html(first)
    http_server.routes["/story"] = Route(PAGE, "text/html")
    allowed = teaser_config(tmp_path, http_server, allow_private=True)
    second, _ = run(allowed, NOW + timedelta(hours=2))
    html = delivered_html(second)
    assert "Tidal barrier approved" in html or "Story t1" in html
    assert "4,000 homes" in html and "From the feed" not in html
    assert not second.failed


def test_a_teaser_shown_after_the_wait_is_marked_as_one(
    tmp_path: Path, http_server: HttpServer
) -> None:
    config = teaser_config(tmp_path, http_server)
    run_checked(config, "Teasers", within=10)
    later, _ = run(config, NOW + timedelta(hours=25))
    html = delivered_html(later)
    assert "From the feed" in html
    assert "The board approved a barrier" in html
    assert '<ul class="summary">' not in html.split("Story t1")[1]


def test_the_run_command_says_each_problem_on_one_line_without_a_traceback(
    tmp_path: Path, http_server: HttpServer
) -> None:
    http_server.routes["/good"] = Route(GOOD)
    http_server.routes["/teasers"] = Route(
        rss(entry("t1", http_server.url("/story"), "<p>The board approved a barrier [...]</p>"))
    )
    http_server.routes["/big"] = Route(big_feed(5))
    http_server.routes["/late"] = Route(
        rss(entry("late", "https://bad.example/late", f"<p>{STORY}</p>", pub_date=FAR_DATE))
    )
    path = tmp_path / "digest.toml"
    path.write_text(
        f"""
[http]
timeout = 1.0
total_timeout = 2.0

[collect]
max_items_per_source = 3

[delivery]
backend = "file"

[[sources]]
name = "Good"
url = "{http_server.url("/good")}"
full_text = "never"

[[sources]]
name = "Teasers"
url = "{http_server.url("/teasers")}"

[[sources]]
name = "Big"
url = "{http_server.url("/big")}"
full_text = "never"

[[sources]]
name = "Late"
url = "{http_server.url("/late")}"
full_text = "never"

[[subscribers]]
email = "reader@example.org"
""",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["run", "--config", str(path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "  full text: Teasers: 1 page behind teasers not fetched (" in result.output
    assert "set allow_private = true for source 'Teasers' to allow it" in result.output
    assert "  Big: 2 more new items taken on the next runs" in result.output
    assert "Digest for reader@example.org delivered (file)" in result.output


FAR_DATE = "Fri, 31 Dec 9999 23:59:59 -1200"
