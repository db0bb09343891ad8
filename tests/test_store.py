"""Tests for digest.store, against real SQLite databases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.models import Article, Delivery, Source, SourceKind, Subscriber, Summary
from digest.store import MIGRATIONS, Store

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
FEED = Source("feed", SourceKind.FEED, "https://example.org/feed")
OTHER = Source("other", SourceKind.FEED, "https://example.net/feed")
READER = Subscriber("reader@example.org", "Reader", "Europe/Berlin")


def summary(url: str, text: str = "Some text.", title: str = "A title") -> Summary:
    return Summary(Article(url=url, title=title, text=text), ("Some text.",), "lexrank")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store(tmp_path / "digest.sqlite3")
    opened.sync_source(FEED)
    opened.sync_source(OTHER)
    return opened


def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with Store(path) as first:
        assert first.applied_migrations() == [name for name, _ in MIGRATIONS]
    with Store(path) as second:
        assert second.applied_migrations() == [name for name, _ in MIGRATIONS]


def test_store_uses_wal_journal(store: Store) -> None:
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_item_is_seen_after_its_article_is_stored(store: Store) -> None:
    assert not store.has_item("feed", "guid-1")
    store.add_article("feed", "guid-1", summary("https://e.org/1"), content_hash="h1", when=NOW)
    assert store.has_item("feed", "guid-1")
    assert not store.has_item("other", "guid-1")


def test_same_url_from_two_sources_is_stored_once(store: Store) -> None:
    first = store.add_article("feed", "a", summary("https://e.org/1"), content_hash="h1", when=NOW)
    second = store.add_article(
        "other", "b", summary("https://e.org/1"), content_hash="h2", when=NOW
    )
    assert first == (first[0], True)
    assert second == (first[0], False)
    assert store.article_count() == 1
    assert store.sources_of(first[0]) == ["feed", "other"]


def test_same_content_under_another_url_is_stored_once(store: Store) -> None:
    first, _ = store.add_article(
        "feed", "a", summary("https://e.org/1"), content_hash="same", when=NOW
    )
    second, is_new = store.add_article(
        "other", "b", summary("https://e.net/x"), content_hash="same", when=NOW
    )
    assert (second, is_new) == (first, False)


def test_articles_count_as_delivered_only_after_delivery(store: Store) -> None:
    article_id, _ = store.add_article(
        "feed", "a", summary("https://e.org/1"), content_hash="h", when=NOW
    )
    store.sync_subscriber(READER, when=NOW)
    assert [s.article_id for s in store.undelivered(READER.email, limit=10)] == [article_id]
    delivery = Delivery(READER.email, "<id@example.org>", "file", "/tmp/x.eml")
    store.record_delivery(READER, delivery, subject="S", article_ids=[article_id], when=NOW)
    assert store.undelivered(READER.email, limit=10) == []
    assert store.undelivered("someone@example.org", limit=10)[0].article_id == article_id
    assert store.digest_count(READER.email) == 1


def test_undelivered_is_newest_first_and_capped(store: Store) -> None:
    for day in (1, 3, 2):
        article = Article(
            url=f"https://e.org/{day}",
            title=f"Day {day}",
            text="t",
            published=datetime(2026, 11, day, tzinfo=UTC),
        )
        store.add_article(
            "feed", str(day), Summary(article, ("t",), "lead"), content_hash=str(day), when=NOW
        )
    found = store.undelivered(READER.email, limit=2)
    assert [s.summary.article.title for s in found] == ["Day 3", "Day 2"]
    assert found[0].summary.article.published == datetime(2026, 11, 3, tzinfo=UTC)


def test_fetch_state_survives_a_failed_fetch(store: Store) -> None:
    store.record_fetch("feed", when=NOW, status="ok", etag='"v1"', last_modified="Mon")
    store.add_article("feed", "a", summary("https://e.org/1"), content_hash="h", when=NOW)
    store.record_fetch("feed", when=NOW, status="error", error="timed out")
    state = store.source_state("feed")
    assert (state.etag, state.last_modified, state.last_status, state.last_error) == (
        '"v1"',
        "Mon",
        "error",
        "timed out",
    )
    assert store.has_item("feed", "a")


def test_moving_a_source_forgets_its_validators(store: Store) -> None:
    store.record_fetch("feed", when=NOW, status="ok", etag='"v1"')
    store.sync_source(FEED)
    assert store.source_state("feed").etag == '"v1"'
    store.sync_source(Source("feed", SourceKind.FEED, "https://example.org/new-feed"))
    assert store.source_state("feed").etag is None


def test_failed_item_is_marked_seen_without_an_article(store: Store) -> None:
    store.mark_item_seen("feed", "broken", when=NOW)
    assert store.has_item("feed", "broken")
    assert store.article_count() == 0
