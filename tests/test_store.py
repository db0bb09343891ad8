"""Tests for digest.store, against real SQLite databases and a real PostgreSQL server (the
`store` fixture runs each test on both engines; tests of SQLite's own files and of upgrading
stores written by older versions use SQLite alone)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.errors import StoreError
from digest.models import (
    Article,
    CollectedArticle,
    FeedItem,
    Source,
    SourceKind,
    Subscriber,
)
from digest.store import NewDigest, PeriodTaken, Store, WaitingText
from digest.store.migrations import MIGRATIONS

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
FEED = Source("feed", SourceKind.FEED, "https://example.org/feed")
OTHER = Source("other", SourceKind.FEED, "https://example.net/feed")
READER = Subscriber("reader@example.org", "Reader", "Europe/Berlin")


def collected(
    guid: str,
    url: str,
    *,
    content_hash: str = "",
    simhash: int | None = None,
    published: datetime | None = None,
    text: str = "Some text.",
    teaser: bool = False,
) -> CollectedArticle:
    article = Article(url=url, title=f"Title {guid}", text=text, published=published, teaser=teaser)
    return CollectedArticle(guid, article, content_hash or f"hash-{guid}", simhash)


@pytest.fixture
def store(store_where: Path | str) -> Iterator[Store]:
    with Store(store_where) as opened:
        opened.sync_source(FEED)
        opened.sync_source(OTHER)
        yield opened


def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with Store(path) as first:
        assert first.applied_migrations() == [name for name, _ in MIGRATIONS]
    with Store(path) as second:
        assert second.applied_migrations() == [name for name, _ in MIGRATIONS]


def older_store(path: Path, migrations: int) -> sqlite3.Connection:
    """A database with only the first `migrations` applied, open in a transaction."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied TEXT)")
    db.execute("BEGIN")
    for name, migration in MIGRATIONS[:migrations]:
        migration(db)
        db.execute("INSERT INTO schema_migrations VALUES (?, '2026-11-01')", (name,))
    return db


def test_a_store_made_by_the_first_schema_is_migrated(tmp_path: Path) -> None:
    """Articles, items and deliveries written under migration 0001 survive 0002."""
    path = tmp_path / "old.sqlite3"
    db = older_store(path, 1)
    db.execute("INSERT INTO sources (name, kind, location) VALUES ('feed', 'feed', 'x')")
    db.execute(
        "INSERT INTO articles (url, content_hash, title, text, summary, method, first_seen)"
        " VALUES ('https://e.org/1', 'h', 'Old', 'Text.', '[\"Text.\"]', 'lexrank', ?)",
        (NOW.isoformat(),),
    )
    db.execute("INSERT INTO items VALUES (1, 'g', 1, ?)", (NOW.isoformat(),))
    db.execute("COMMIT")
    db.close()
    with Store(path) as migrated:
        assert migrated.applied_migrations() == [name for name, _ in MIGRATIONS]
        (old,) = migrated.undelivered(READER.email, limit=5)
        assert (old.article.title, old.summary, old.summary_key) == ("Old", ("Text.",), None)
        assert migrated.seen_guids("feed") == {"g"}


def test_store_uses_wal_journal(tmp_path: Path) -> None:
    with Store(tmp_path / "digest.sqlite3") as store:
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_items_are_seen_after_they_are_stored(store: Store) -> None:
    assert store.seen_guids("feed") == set()
    store.store_items("feed", [(collected("a", "https://e.org/1"), None)], ["bad"], when=NOW)
    assert store.seen_guids("feed") == {"a", "bad"}
    assert store.seen_guids("other") == set()
    assert store.article_count() == 1


def test_same_url_from_two_sources_is_stored_once(store: Store) -> None:
    [(first, new)] = store.store_items(
        "feed", [(collected("a", "https://e.org/1"), None)], [], when=NOW
    )
    [(second, again)] = store.store_items(
        "other", [(collected("b", "https://e.org/1"), None)], [], when=NOW
    )
    assert (new, again, second) == (True, False, first)
    assert store.sources_of(first) == ["feed", "other"]


def test_same_words_under_another_url_are_stored_once(store: Store) -> None:
    a = collected("a", "https://e.org/1", content_hash="same")
    b = collected("b", "https://e.net/x", content_hash="same")
    [(first, _)] = store.store_items("feed", [(a, None)], [], when=NOW)
    [(second, is_new)] = store.store_items("other", [(b, None)], [], when=NOW)
    assert (second, is_new) == (first, False)


def test_a_near_duplicate_joins_the_article_it_copies(store: Store) -> None:
    [(first, _)] = store.store_items(
        "feed", [(collected("a", "https://e.org/1", simhash=(1 << 63) + 5), None)], [], when=NOW
    )
    assert store.fingerprints(since=NOW - timedelta(days=1)) == [(first, (1 << 63) + 5)]
    [(second, is_new)] = store.store_items(
        "other", [(collected("b", "https://e.net/2"), first)], [], when=NOW
    )
    assert (second, is_new) == (first, False)
    assert store.fingerprints(since=NOW + timedelta(days=1)) == []


FULL = "The harbour board approved a new tidal barrier after three years of consultation."


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [
        # A stored teaser gives way to any copy with more words that is not a teaser.
        (collected("a", "https://e.org/1", text="Board approves barrier", teaser=True),
         collected("b", "https://e.org/1", text=FULL), FULL),
        # A copy with at least twice the words is the fuller one, teaser or not.
        (collected("a", "https://e.org/1", text="Board approves barrier [...]"),
         collected("b", "https://e.org/1", text=FULL), FULL),
        # A copy a little longer (a footer line) is the same story: the first text stays.
        (collected("a", "https://e.org/1", text=FULL),
         collected("b", "https://e.org/1", text=FULL + " Copyright B News."), FULL),
        # A teaser never replaces anything.
        (collected("a", "https://e.org/1", text="Short."),
         collected("b", "https://e.org/1", text=FULL, teaser=True), "Short."),
    ],
)  # fmt: skip
def test_the_fuller_copy_of_a_story_is_kept(
    store: Store, first: CollectedArticle, second: CollectedArticle, kept: str
) -> None:
    [(article_id, _)] = store.store_items("feed", [(first, None)], [], when=NOW)
    store.save_summary(article_id, ("Old summary.",), "key")
    [(again, is_new)] = store.store_items("other", [(second, None)], [], when=NOW)
    (stored,) = store.undelivered(READER.email, limit=5)
    assert (again, is_new, stored.article.text) == (article_id, False, kept)
    assert stored.article.url == "https://e.org/1"
    assert stored.article.teaser is (kept == first.article.text and first.article.teaser)
    assert (stored.summary is None) is (kept != first.article.text)


def test_a_waiting_teaser_is_seen_waits_and_gets_its_article_later(store: Store) -> None:
    item = FeedItem("feed", "t1", "https://e.org/t1", "Teaser", "<p>Board [...]</p>", "html")
    waiting = WaitingText(item, first_tried=NOW, attempts=1, next_attempt=NOW + timedelta(hours=1))
    store.store_items("feed", [], [], when=NOW, waiting=[waiting])
    assert store.seen_guids("feed") == {"t1"}
    assert store.waiting_texts("feed", due=NOW) == []
    (due,) = store.waiting_texts("feed", due=NOW + timedelta(hours=1))
    assert due == waiting
    page = collected("t1", "https://e.org/t1", text=FULL)
    [(article_id, _)] = store.store_items(
        "feed", [(page, None)], [], when=NOW + timedelta(hours=1), done_waiting=["t1"]
    )
    assert store.waiting_count() == 0
    assert store.sources_of(article_id) == ["feed"]


def test_forgotten_validators_make_the_next_fetch_unconditional(store: Store) -> None:
    store.record_fetch("feed", when=NOW, status="ok", etag='"1"', last_modified="Mon")
    store.record_fetch("feed", when=NOW, status="ok")
    assert store.source_state("feed").etag == '"1"'
    store.record_fetch("feed", when=NOW, status="ok", etag='"2"', forget_validators=True)
    state = store.source_state("feed")
    assert (state.etag, state.last_modified) == (None, None)


def queue_one(store: Store, article_ids: list[int], *, when: datetime = NOW) -> int:
    return store.queue_digest(
        READER,
        envelope_from="digest@example.org",
        subject="S",
        message_id=f"<{when.timestamp()}-{article_ids}@example.org>",
        message=b"Subject: S\r\n\r\nBody\r\n",
        article_ids=article_ids,
        when=when,
    )


def test_articles_count_as_delivered_only_once_their_digest_is_sent(store: Store) -> None:
    [(article_id, _)] = store.store_items(
        "feed", [(collected("a", "https://e.org/1"), None)], [], when=NOW
    )
    store.save_subscriber(READER, origin="config", when=NOW)
    assert [s.article_id for s in store.undelivered(READER.email, limit=10)] == [article_id]
    digest_id = queue_one(store, [article_id])
    assert store.undelivered(READER.email, limit=10) == []  # waiting: in no other digest
    assert store.digest_count(READER.email) == 0  # ...but not delivered yet
    claimed = store.claim_next(now=NOW, owner="test")
    assert claimed is not None and claimed.entry.id == digest_id
    assert claimed.message == b"Subject: S\r\n\r\nBody\r\n"
    store.mark_sent(digest_id, reply="250 OK", backend="smtp", location="h:25", when=NOW)
    assert store.undelivered(READER.email, limit=10) == []
    assert store.undelivered("someone@example.org", limit=10)[0].article_id == article_id
    assert store.digest_count(READER.email) == 1
    assert store.digest_count() == 1


def test_articles_of_a_failed_digest_are_offered_again(store: Store) -> None:
    [(article_id, _)] = store.store_items(
        "feed", [(collected("a", "https://e.org/1"), None)], [], when=NOW
    )
    digest_id = queue_one(store, [article_id])
    store.claim_next(now=NOW, owner="test")
    store.mark_failed(digest_id, reply="550 No such user")
    assert [s.article_id for s in store.undelivered(READER.email, limit=10)] == [article_id]
    entry = store.outbox_entry(digest_id)
    assert entry is not None and (entry.status, entry.last_reply) == ("failed", "550 No such user")


def test_claims_take_due_digests_oldest_first(store: Store) -> None:
    first, second, third = (queue_one(store, [], when=NOW + timedelta(seconds=n)) for n in range(3))
    later = NOW + timedelta(minutes=10)
    claimed = store.claim_next(now=later, owner="a")
    assert claimed is not None and claimed.entry.id == first and claimed.entry.attempts == 1
    store.mark_deferred(first, reply="451 later", next_attempt=NOW + timedelta(hours=1))
    assert store.claim_next(now=later, owner="a", only={third}).entry.id == third  # type: ignore[union-attr]
    assert store.claim_next(now=later, owner="a").entry.id == second  # type: ignore[union-attr]
    assert store.claim_next(now=later, owner="a") is None  # the deferred one is not due yet
    again = store.claim_next(now=NOW + timedelta(hours=1), owner="a")
    assert again is not None and again.entry.id == first and again.entry.attempts == 2
    assert store.outbox_counts() == {
        "queued": 0, "sending": 3, "deferred": 0, "failed": 0, "sent": 0,
    }  # fmt: skip


def test_release_undoes_a_claim(store: Store) -> None:
    digest_id = queue_one(store, [])
    store.claim_next(now=NOW, owner="a")
    store.release(digest_id)
    entry = store.outbox_entry(digest_id)
    assert entry is not None and (entry.status, entry.attempts) == ("queued", 0)


def test_requeue_leaves_sent_digests_alone(store: Store) -> None:
    sent, failed = queue_one(store, []), queue_one(store, [], when=NOW + timedelta(seconds=1))
    store.claim_next(now=NOW, owner="a")
    store.mark_sent(sent, reply="250", backend="file", location="x", when=NOW)
    store.claim_next(now=NOW + timedelta(seconds=1), owner="a")
    store.mark_failed(failed, reply="550")
    later = NOW + timedelta(days=1)
    assert store.requeue([sent, failed], now=later) == 1
    entry = store.outbox_entry(failed)
    assert entry is not None and (entry.status, entry.queued) == ("queued", later)


def test_a_digest_sent_before_the_outbox_existed_is_kept_as_sent(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = older_store(path, 2)
    db.execute(
        "INSERT INTO articles (url, content_hash, title, text, first_seen)"
        " VALUES ('https://e.org/1', 'h', 'Old', 'Text.', ?)",
        (NOW.isoformat(),),
    )
    db.execute(
        "INSERT INTO subscribers (email, created) VALUES (?, ?)", (READER.email, NOW.isoformat())
    )
    db.execute(
        "INSERT INTO digests (subscriber_id, created, subject, message_id, backend, location,"
        " article_count) VALUES (1, ?, 'S', '<old@x>', 'file', '/tmp/x.eml', 1)",
        (NOW.isoformat(),),
    )
    db.execute("INSERT INTO deliveries VALUES (1, 1, 1)")
    db.execute("COMMIT")
    db.close()
    with Store(path) as migrated:
        assert migrated.outbox_counts()["sent"] == 1
        assert migrated.digest_count(READER.email) == 1
        assert migrated.undelivered(READER.email, limit=5) == []


def test_undelivered_is_newest_first_and_capped(store: Store) -> None:
    articles = [
        (
            collected(
                str(day), f"https://e.org/{day}", published=datetime(2026, 11, day, tzinfo=UTC)
            ),
            None,
        )
        for day in (1, 3, 2)
    ]
    store.store_items("feed", articles, [], when=NOW)
    found = store.undelivered(READER.email, limit=2)
    assert [s.article.title for s in found] == ["Title 3", "Title 2"]
    assert found[0].article.published == datetime(2026, 11, 3, tzinfo=UTC)


def test_summaries_are_kept_with_their_key(store: Store) -> None:
    [(article_id, _)] = store.store_items(
        "feed", [(collected("a", "https://e.org/1"), None)], [], when=NOW
    )
    assert store.undelivered(READER.email, limit=1)[0].summary is None
    store.save_summary(article_id, ("Some text.",), "lexrank:3")
    stored = store.undelivered(READER.email, limit=1)[0]
    assert (stored.summary, stored.summary_key) == (("Some text.",), "lexrank:3")


def test_fetch_state_survives_a_failed_fetch(store: Store) -> None:
    store.record_fetch("feed", when=NOW, status="ok", etag='"v1"', last_modified="Mon")
    store.store_items("feed", [(collected("a", "https://e.org/1"), None)], [], when=NOW)
    store.record_fetch("feed", when=NOW, status="error", error="timed out")
    state = store.source_state("feed")
    assert (state.etag, state.last_modified, state.last_status, state.last_error) == (
        '"v1"',
        "Mon",
        "error",
        "timed out",
    )
    assert store.seen_guids("feed") == {"a"}


def test_retry_after_is_remembered(store: Store) -> None:
    later = NOW + timedelta(hours=1)
    store.record_fetch("feed", when=NOW, status="deferred", error="busy", retry_after=later)
    assert store.source_state("feed").retry_after == later
    store.record_fetch("feed", when=later, status="ok")
    assert store.source_state("feed").retry_after is None


def test_moving_a_source_forgets_its_validators(store: Store) -> None:
    store.record_fetch("feed", when=NOW, status="ok", etag='"v1"')
    store.sync_source(FEED)
    assert store.source_state("feed").etag == '"v1"'
    store.sync_source(Source("feed", SourceKind.FEED, "https://example.org/new-feed"))
    assert store.source_state("feed").etag is None


def test_command_line_sources_are_added_listed_and_removed(store: Store) -> None:
    added = Source("cli", SourceKind.FEED, "https://e.org/rss", full_text="always", origin="cli")
    store.add_source(added)
    assert store.sources(origin="cli") == [added]
    assert [s.name for s in store.sources()] == ["cli", "feed", "other"]
    with pytest.raises(StoreError, match="named 'cli' exists already"):
        store.add_source(added)
    assert store.remove_source("cli")
    assert not store.remove_source("cli")
    assert store.sources(origin="cli") == []


def test_storing_for_an_unknown_source_is_an_error(store: Store) -> None:
    with pytest.raises(StoreError, match="not in the store"):
        store.store_items("ghost", [], [], when=NOW)


def test_subscribers_from_before_subscriptions_get_a_token_and_the_defaults(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    db = older_store(path, 3)
    db.execute(
        "INSERT INTO subscribers (email, name, timezone, created)"
        " VALUES (?, 'R', 'Europe/Berlin', ?)",
        (READER.email, NOW.isoformat()),
    )
    db.execute("COMMIT")
    db.close()
    with Store(path) as migrated:
        (stored,) = migrated.subscribers()
    assert stored.subscriber == replace(READER, name="R")
    assert stored.origin == "config" and len(stored.token) == 32


def test_known_guids_answers_for_the_batch_asked_about(store: Store) -> None:
    store.store_items("feed", [(collected("a", "https://e.org/a"), None)], ["skipped"], when=NOW)
    store.store_items("other", [(collected("b", "https://e.org/b"), None)], [], when=NOW)
    assert store.known_guids("feed", ["a", "b", "skipped", "new", "a"]) == {"a", "skipped"}
    assert store.known_guids("other", ["a", "b"]) == {"b"}
    assert store.known_guids("nowhere", ["a"]) == set()
    many = [f"x{n}" for n in range(1200)]  # more than one statement's worth
    store.store_items("feed", [], many, when=NOW)
    assert store.known_guids("feed", [*many, "y"]) == set(many)


def test_first_seen_is_stored_as_fixed_width_utc_and_old_times_are_migrated(
    tmp_path: Path,
) -> None:
    """A range on `first_seen` is a text comparison: every stored time has one form."""
    path = tmp_path / "old.sqlite3"
    db = older_store(path, 6)
    db.execute("INSERT INTO sources (name, kind, location) VALUES ('feed', 'feed', 'x')")
    db.execute(
        "INSERT INTO articles (url, content_hash, title, text, first_seen)"
        " VALUES ('https://e.org/1', 'h', 'Old', 'Text.', '2026-11-26T09:00:00+02:00')"
    )
    db.execute("INSERT INTO items VALUES (1, 'g', 1, '2026-11-26T07:00:00')")
    db.execute("COMMIT")
    db.close()
    with Store(path) as migrated:
        (row,) = migrated._read("SELECT first_seen FROM articles")
        assert row[0] == "2026-11-26T07:00:00.000000+00:00"
        (row,) = migrated._read("SELECT first_seen FROM items")
        assert row[0] == "2026-11-26T07:00:00.000000+00:00"
        assert [s.article_id for s in migrated.undelivered(READER.email, limit=5, since=NOW)] == [1]
        later = NOW + timedelta(microseconds=1)
        assert migrated.undelivered(READER.email, limit=5, since=later) == []


def test_opening_does_not_check_references_but_check_does(tmp_path: Path) -> None:
    """An open reads no table (it stays O(1)); `check` reads them all and says what is wrong."""
    path = tmp_path / "digest.sqlite3"
    with Store(path) as store:
        assert store.check() == []
        store._db.execute("PRAGMA foreign_keys = OFF")
        store._db.execute("INSERT INTO items VALUES (99, 'g', NULL, '2026-11-26', NULL)")
    with Store(path) as reopened:
        assert reopened.check() == ["items row 1 refers to a missing row of sources"]


def test_messages_move_to_their_own_table_and_pruned_ones_stay_pruned(tmp_path: Path) -> None:
    """Migration 0009 moves each kept message beside its digest and records its size."""
    path = tmp_path / "old.sqlite3"
    db = older_store(path, 7)
    db.execute(
        "INSERT INTO subscribers (email, created, token) VALUES (?, ?, 't')",
        (READER.email, NOW.isoformat()),
    )
    for number, message in ((1, b"Subject: kept\r\n\r\nBody\r\n"), (2, None)):
        db.execute(
            "INSERT INTO digests (subscriber_id, recipient, envelope_from, subject, message_id,"
            " message, article_count, status, created, queued, next_attempt, sent)"
            " VALUES (1, ?, 'd@example.org', 'S', ?, ?, 0, 'sent', ?, ?, ?, ?)",
            (READER.email, f"<{number}@x>", message, *[NOW.isoformat()] * 4),
        )
    db.execute("COMMIT")
    db.close()
    with Store(path) as migrated:
        assert migrated.outbox_message(1) == b"Subject: kept\r\n\r\nBody\r\n"
        assert migrated.outbox_message(2) is None
        sizes = migrated._read("SELECT id, message_size FROM digests ORDER BY id")
        assert [tuple(row) for row in sizes] == [
            (1, len(b"Subject: kept\r\n\r\nBody\r\n")),
            (2, None),
        ]
        assert migrated.prune_sent(before=NOW + timedelta(days=1)) == 1
        assert migrated.outbox_message(1) is None
        assert migrated.prune_sent(before=NOW + timedelta(days=1)) == 0


def test_a_state_change_rewrites_the_digest_row_not_its_message(store: Store) -> None:
    """The digest row stays small: its message is kept in a table of its own."""
    [(article_id, _)] = store.store_items(
        "feed", [(collected("a", "https://e.org/1"), None)], [], when=NOW
    )
    digest_id = queue_one(store, [article_id])
    assert "message" not in store.columns("digests")
    assert store.columns("digest_messages") == ["digest_id", "message"]
    (row,) = store._read("SELECT message_size FROM digests WHERE id = ?", (digest_id,))
    assert row[0] == len(b"Subject: S\r\n\r\nBody\r\n")


def test_a_transaction_waits_for_another_process_to_finish_writing(tmp_path: Path) -> None:
    path = tmp_path / "digest.sqlite3"
    with Store(path) as store:
        store.sync_source(FEED)
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.2, other.execute, ("COMMIT",))
        release.start()
        started = time.monotonic()
        store.sync_source(OTHER)  # waits for the other writer, then goes on
        assert time.monotonic() - started >= 0.15
        release.join()
        other.close()
        assert {source.name for source in store.sources()} >= {"feed", "other"}


def test_a_transaction_gives_up_when_the_lock_is_never_released(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("digest.store._core.LOCK_WAIT", 0.1)
    path = tmp_path / "digest.sqlite3"
    with Store(path) as store:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreError, match="locked"):
                store.sync_source(FEED)
        finally:
            other.execute("ROLLBACK")
            other.close()
        store.sync_source(FEED)


def new_digest(
    address: str, *, period: str | None = None, article_ids: tuple[int, ...] = ()
) -> NewDigest:
    return NewDigest(
        Subscriber(address),
        envelope_from="digest@example.org",
        subject="S",
        message_id=f"<{address}-{period}@example.org>",
        message=b"Subject: S\r\n\r\nBody\r\n",
        article_ids=article_ids,
        when=NOW,
        period=period,
    )


def test_a_batch_queues_each_digest_on_its_own_in_one_transaction(store: Store) -> None:
    """A digest whose period is taken is left out; the rest of the batch is queued."""
    [(article_id, _)] = store.store_items(
        "feed", [(collected("a", "https://e.org/1"), None)], [], when=NOW
    )
    store.queue_digests([new_digest("b@example.org", period="2026-11-26")])
    ids = store.queue_digests(
        [
            new_digest("a@example.org", period="2026-11-26", article_ids=(article_id,)),
            replace(new_digest("b@example.org", period="2026-11-26"), message_id="<again@x>"),
            new_digest("c@example.org", article_ids=(article_id,)),
        ]
    )
    assert ids[1] is None and ids[0] is not None and ids[2] is not None
    assert store.outbox_counts()["queued"] == 3
    assert store.outbox_message(ids[0]) == b"Subject: S\r\n\r\nBody\r\n"
    assert store.undelivered("a@example.org", limit=5) == []  # waiting in its digest
    assert [e.recipient for e in store.outbox_entries(["queued"])] == [
        "b@example.org",
        "a@example.org",
        "c@example.org",
    ]
    with pytest.raises(PeriodTaken):
        store.queue_digest(
            Subscriber("a@example.org"),
            envelope_from="d@example.org",
            subject="S",
            message_id="<third@x>",
            message=b"x",
            article_ids=[],
            when=NOW,
            period="2026-11-26",
        )


def test_a_run_of_failures_is_dated_from_its_first_and_counted(store: Store) -> None:
    """ok, then error, deferred, error: failing since the first of the three, 3 attempts;
    the next fetch that works clears both."""
    store.record_fetch("feed", when=NOW, status="ok")
    assert (
        store.source_state("feed").failing_since,
        store.source_state("feed").failed_attempts,
    ) == (
        None,
        0,
    )
    hour = timedelta(hours=1)
    store.record_fetch("feed", when=NOW + hour, status="error", error="timed out")
    store.record_fetch("feed", when=NOW + 2 * hour, status="deferred", error="busy")
    store.record_fetch("feed", when=NOW + 3 * hour, status="error", error="timed out")
    state = store.source_state("feed")
    assert (state.failing_since, state.failed_attempts) == (NOW + hour, 3)
    store.record_fetch("feed", when=NOW + 4 * hour, status="not modified")
    state = store.source_state("feed")
    assert (state.failing_since, state.failed_attempts) == (None, 0)
    store.record_fetch("feed", when=NOW + 5 * hour, status="error", error="gone")
    state = store.source_state("feed")
    assert (state.failing_since, state.failed_attempts) == (NOW + 5 * hour, 1)


def test_a_source_failing_before_0008_counts_from_its_last_fetch(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = older_store(path, 7)
    db.execute(
        "INSERT INTO sources (name, kind, location, last_fetched, last_status, last_error)"
        " VALUES ('bad', 'feed', 'https://e.org/bad', ?, 'error', 'timed out'),"
        " ('good', 'feed', 'https://e.org/good', ?, 'ok', NULL)",
        (NOW.isoformat(), NOW.isoformat()),
    )
    db.execute("COMMIT")
    db.close()
    with Store(path) as migrated:
        bad, good = migrated.source_state("bad"), migrated.source_state("good")
        assert (bad.failing_since, bad.failed_attempts) == (NOW, 1)
        assert (good.failing_since, good.failed_attempts) == (None, 0)
        migrated.record_fetch("bad", when=NOW + timedelta(hours=1), status="error", error="x")
        assert migrated.source_state("bad").failed_attempts == 2
        assert migrated.source_state("bad").failing_since == NOW
