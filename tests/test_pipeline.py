"""Tests for digest.pipeline: whole runs over real files, SQLite and a local outbox."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from digest import config as config_module
from digest.errors import ConfigError
from digest.models import Source, SourceKind, Subscriber
from digest.pipeline import run_once
from digest.schedule import upcoming
from digest.store import Store
from digest.tokens import Holder, read_token

from .conftest import DATA, DEMO_CONFIG, HttpServer, Route

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)


@pytest.fixture
def demo(tmp_path: Path) -> config_module.Config:
    """The demo configuration over a copy of its sample sources, so tests may add files."""
    shutil.copytree(DEMO_CONFIG.parent / "demo", tmp_path / "demo")
    shutil.copy(DEMO_CONFIG, tmp_path / "demo.toml")
    return config_module.load(tmp_path / "demo.toml")


def test_demo_run_delivers_every_sample_article(demo: config_module.Config) -> None:
    with Store(demo.database) as store:
        report = run_once(demo, store, now=NOW)
    assert report.collection.new_articles == 8
    assert not report.failed
    (delivery,) = report.delivered
    html = next(path for path in delivery.files if path.suffix == ".html").read_text("utf-8")
    for title in (
        "Council approves six-route night-bus network for Larkfield",
        "Ashgrove Community Garden cuts mains water use by a third",
        "Winter ferry timetable cuts evening crossings to Gull Island",
    ):
        assert title in html
    assert html.count("<li ") == 8 * 3


def test_second_run_sends_nothing_when_nothing_is_new(demo: config_module.Config) -> None:
    with Store(demo.database) as store:
        run_once(demo, store, now=NOW)
        report = run_once(demo, store, now=LATER)
    assert report.collection.new_articles == 0
    assert report.delivered == []
    assert report.nothing_new == ["reader@example.org"]
    assert len(list(demo.outbox.glob("*.eml"))) == 1


def test_a_new_file_appears_alone_in_the_next_digest(demo: config_module.Config) -> None:
    notes = Path(demo.sources[2].location)
    with Store(demo.database) as store:
        run_once(demo, store, now=NOW)
        (notes / "late.txt").write_text(
            "Late news from the harbour\n\nThe harbour master reported a calm week. "
            "Ferries ran on time every day. The new pontoon will open in spring.",
            encoding="utf-8",
        )
        report = run_once(demo, store, now=LATER)
    assert report.collection.new_articles == 1
    (delivery,) = report.delivered
    text = delivery.files[0].read_text("utf-8")
    assert "Late news from the harbour" in text
    assert "Larkfield" not in text


def test_dry_run_marks_nothing_as_delivered(demo: config_module.Config) -> None:
    with Store(demo.database) as store:
        dry = run_once(demo, store, now=NOW, dry_run=True)
        real = run_once(demo, store, now=LATER)
    assert dry.delivered == [] and len(dry.previews) == 1
    assert not demo.outbox.exists() or len(list(demo.outbox.glob("*.eml"))) == 1
    assert len(real.delivered) == 1 and real.delivered[0].recipient == "reader@example.org"


def test_recipients_and_outbox_override_the_configuration(
    demo: config_module.Config, tmp_path: Path
) -> None:
    other = Subscriber("other@example.org")
    with Store(demo.database) as store:
        report = run_once(demo, store, now=NOW, recipients=(other,), outbox=tmp_path / "out")
    assert [d.recipient for d in report.delivered] == ["other@example.org"]
    assert report.delivered[0].files[0].parent == tmp_path / "out"


def test_no_subscribers_is_a_config_error(demo: config_module.Config) -> None:
    with Store(demo.database) as store, pytest.raises(ConfigError, match="no \\[\\[subscribers"):
        run_once(replace(demo, subscribers=()), store, now=NOW)


def test_a_broken_source_does_not_block_the_digest(
    demo: config_module.Config, http_server: HttpServer
) -> None:
    http_server.routes["/broken.xml"] = Route(b"<html><body>Not a feed</body></html>", "text/html")
    broken = Source("Broken", SourceKind.FEED, http_server.url("/broken.xml"))
    missing = Source("Missing", SourceKind.FEED, http_server.url("/missing.xml"))
    config = replace(demo, sources=(broken, *demo.sources, missing))
    with Store(config.database) as store:
        report = run_once(config, store, now=NOW)
        state = store.source_state("Missing")
    assert [f.what for f in report.collection.source_failures] == ["Broken", "Missing"]
    assert "is a web page, not a feed" in report.collection.source_failures[0].reason
    assert "answered HTTP 404" in report.collection.source_failures[1].reason
    assert report.failed and len(report.delivered) == 1
    assert (state.last_status, state.last_error) == (
        "error",
        report.collection.source_failures[1].reason,
    )


def test_same_story_in_two_feeds_is_stored_once(
    demo: config_module.Config, http_server: HttpServer
) -> None:
    rss = (DATA / "feeds" / "rss.xml").read_bytes()
    http_server.routes["/a.xml"] = Route(rss)
    http_server.routes["/b.xml"] = Route(rss.replace(b"river-1", b"mirror-1"))
    sources = (
        Source("A", SourceKind.FEED, http_server.url("/a.xml"), full_text="never"),
        Source("B", SourceKind.FEED, http_server.url("/b.xml"), full_text="never"),
    )
    with Store(demo.database) as store:
        report = run_once(replace(demo, sources=sources), store, now=NOW)
        stored = store.undelivered("nobody@example.org", limit=10)
    assert (report.collection.new_articles, report.collection.duplicates) == (2, 2)
    assert stored[0].article.source == "A, B"
    html = report.delivered[0].files[1].read_text("utf-8")
    assert html.count("River authority opens a new fish pass at the old mill weir</a>") == 1


def test_unchanged_feed_is_not_parsed_again(
    demo: config_module.Config, http_server: HttpServer
) -> None:
    http_server.routes["/a.xml"] = Route(
        (DATA / "feeds" / "rss.xml").read_bytes(), headers={"ETag": '"abc"'}
    )
    config = replace(
        demo, sources=(Source("A", SourceKind.FEED, http_server.url("/a.xml"), full_text="never"),)
    )
    with Store(config.database) as store:
        run_once(config, store, now=NOW)
        report = run_once(config, store, now=LATER)
    assert report.collection.sources_unchanged == 1
    assert http_server.requests[-1][1]["If-None-Match"] == '"abc"'


def test_a_template_error_stops_the_digest_and_the_next_run_tries_again(
    demo: config_module.Config, tmp_path: Path
) -> None:
    """Fail closed: nothing is sent or marked; once the template is fixed, the digest goes."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "digest.txt").write_text("{{ digest.titel }}", encoding="utf-8")
    broken = replace(demo, digest=replace(demo.digest, templates=folder))
    with Store(demo.database) as store:
        first = run_once(broken, store, now=NOW)
        (folder / "digest.txt").write_text('{% extends "base.txt" %}', encoding="utf-8")
        second = run_once(broken, store, now=LATER)
    (failure,) = first.delivery_failures
    assert f"{folder / 'digest.txt'}:1: " in failure.reason and "titel" in failure.reason
    assert first.delivered == []
    assert len(second.delivered) == 1 and len(list(demo.outbox.glob("*.eml"))) == 1
    assert second.delivered[0].files[0].read_text("utf-8").count("Council approves") >= 1


def test_queued_digests_wait_until_sent_and_are_not_queued_twice(
    demo: config_module.Config,
) -> None:
    with Store(demo.database) as store:
        first = run_once(demo, store, now=NOW, send=False)
        second = run_once(demo, store, now=NOW, send=False)
        assert (first.queued, second.queued) == (1, 0)
        assert second.nothing_new == ["reader@example.org"]
        assert store.digest_count() == 0
        assert store.outbox_counts()["queued"] == 1
    assert not demo.outbox.exists()


def test_a_public_url_puts_a_signed_one_click_link_in_header_and_footer(
    demo: config_module.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", "x" * 32)
    config = replace(demo, web=replace(demo.web, public_url="https://digest.example.org"))
    with Store(config.database) as store:
        (delivery,) = run_once(config, store, now=NOW).delivered
    eml = message_from_bytes(delivery.files[0].read_bytes(), policy=policy.default)
    link = read_link(eml["List-Unsubscribe"])
    assert link.startswith("https://digest.example.org/unsubscribe/")
    with Store(config.database) as store:
        reader = store.subscriber("reader@example.org")
    assert reader is not None
    holder = Holder(reader.id, reader.token)
    assert read_token("x" * 32, "unsubscribe", link.rsplit("/", 1)[1]) == holder
    assert eml["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = delivery.files[1].read_text(encoding="utf-8")
    assert f'href="{link}"' in html
    assert f'href="https://digest.example.org/preferences/{reader.id}/' in html


def read_link(header: str) -> str:
    return header.split(",")[0].strip().strip("<>")


def test_a_public_url_without_its_key_is_a_config_error_before_collecting(
    demo: config_module.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIGEST_SECRET_KEY", raising=False)
    config = replace(demo, web=replace(demo.web, public_url="https://digest.example.org"))
    with Store(config.database) as store, pytest.raises(ConfigError, match="DIGEST_SECRET_KEY"):
        run_once(config, store, now=NOW)
    with Store(config.database) as store:
        assert store.article_count() == 0


def test_a_one_off_run_counts_as_the_days_digest_and_the_schedule_says_so(
    demo: config_module.Config,
) -> None:
    """Run at 05:00, before the reader's 07:00: today is decided, the next send is tomorrow."""
    early = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    with Store(demo.database) as store:
        ((_, before),) = upcoming(demo, store, now=early)
        report = run_once(demo, store, now=early)
        ((_, after),) = upcoming(demo, store, now=early)
    assert before.due == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert report.periods == ["reader@example.org"]
    assert after.due == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)


def test_a_one_off_run_for_other_addresses_decides_no_period(demo: config_module.Config) -> None:
    early = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    with Store(demo.database) as store:
        report = run_once(demo, store, now=early, recipients=(Subscriber("x@example.org"),))
        ((_, after),) = upcoming(demo, store, now=early)
    assert report.periods == []
    assert after.due == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
