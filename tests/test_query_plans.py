"""Every recurring query of the store reads through an index, never a whole history table.

Each query is run for real against a store with data, its statements captured as SQLite
ran them (values bound) and asked for their plan: a plan that scans ``articles``,
``items``, ``digests`` (the outbox), ``deliveries`` or ``digest_articles`` fails, since its
cost would grow with everything ever stored rather than with what it returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.models import Article, CollectedArticle, Source, SourceKind, Subscriber
from digest.store import Store

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
HISTORY = ("articles", "items", "digests", "deliveries", "digest_articles")
FULL_SCAN = re.compile(rf"^SCAN ({'|'.join(HISTORY)})\b")
READERS = [Subscriber(f"reader{n}@example.org") for n in range(3)]


def _filled(path: Path) -> Store:
    store = Store(path)
    for name in ("one", "two"):
        store.sync_source(Source(name, SourceKind.FEED, f"https://{name}.example.org/feed"))
    for reader in READERS:
        store.save_subscriber(reader, origin="cli", when=NOW - timedelta(days=9))
    for day in range(6):
        when = NOW - timedelta(days=6 - day)
        for name in ("one", "two"):
            articles: list[tuple[CollectedArticle, int | None]] = [
                (
                    CollectedArticle(
                        f"{name}-{day}-{n}",
                        Article(f"https://{name}.example.org/{day}/{n}", f"T {n}", f"Text {n}."),
                        f"hash-{name}-{day}-{n}",
                        (day * 1000 + n) << 20,
                    ),
                    None,
                )
                for n in range(5)
            ]
            store.store_items(name, articles, [f"{name}-{day}-skipped"], when=when)
        newest = store.newest_article_id()
        for reader in READERS:
            digest_id = store.queue_digest(
                reader,
                envelope_from="digest@localhost",
                subject="S",
                message_id=f"<{day}.{reader.email}>",
                message=b"message",
                article_ids=[newest - 1, newest],
                when=when,
                period=when.date().isoformat(),
                newest_article_id=newest - 4,
            )
            if day < 5:
                store.mark_sent(digest_id, reply="250", backend="file", location="", when=when)
    return store


RECURRING: dict[str, Callable[[Store], object]] = {
    "digest query after the previous digest": lambda s: s.undelivered(
        READERS[0].email, limit=10, after_id=20
    ),
    "digest query since a time": lambda s: s.undelivered(
        READERS[0].email, limit=10, since=NOW - timedelta(days=1)
    ),
    "digest query of some sources": lambda s: s.undelivered(
        READERS[0].email, limit=10, after_id=20, sources=("one",)
    ),
    "previous digest": lambda s: s.previous_digest(READERS[0].email),
    "newest article": lambda s: s.newest_article_id(),
    "subscribers": lambda s: s.subscribers(),
    "active subscribers": lambda s: s.subscribers(status="active"),
    "one subscriber": lambda s: s.subscriber(READERS[1].email),
    "period decided": lambda s: s.period_decided(READERS[1].email, "2026-11-25"),
    "seen items of a batch": lambda s: s.known_guids("one", ["one-5-1", "new"]),
    "recent fingerprints": lambda s: s.fingerprints(since=NOW - timedelta(days=2)),
    "an article's sources": lambda s: s.sources_of(3),
    "digests due": lambda s: s.claim(now=NOW - timedelta(days=30), owner="test", limit=5),
    "sent messages to prune": lambda s: s.prune_sent(before=NOW - timedelta(days=30)),
    "digests sent to one address": lambda s: s.digest_count(READERS[0].email),
    "notices to one address": lambda s: s.notices_since(READERS[0].email, NOW),
    "failed digests": lambda s: s.outbox_entries(("failed",)),
    "digests being sent": lambda s: s.sending(),
    "articles seen lately": lambda s: s.articles_since(NOW - timedelta(days=1)),
    "how a period went": lambda s: s.period_outcome(READERS[1].email, "2026-11-25"),
    "storing a source's items": lambda s: s.store_items(
        "one",
        [
            (
                CollectedArticle(
                    "one-new",
                    Article("https://one.example.org/new", "New", "New text."),
                    "hash-new",
                    7 << 40,
                ),
                None,
            )
        ],
        ["one-5-1"],
        when=NOW,
    ),
}


def scans(store: Store, work: Callable[[Store], object]) -> list[str]:
    """The full scans of history tables in the plans of the statements `work` runs."""
    statements: list[str] = []
    db = store._db  # the store's own connection: the statements exactly as it runs them
    db.set_trace_callback(statements.append)
    try:
        work(store)
    finally:
        db.set_trace_callback(None)
    found = []
    for statement in statements:
        if not re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", statement, re.IGNORECASE):
            continue
        for row in db.execute(f"EXPLAIN QUERY PLAN {statement}"):
            if FULL_SCAN.match(row[3]):
                found.append(f"{row[3]} in: {' '.join(statement.split())[:200]}")
    return found


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return _filled(tmp_path_factory.mktemp("plans") / "digest.sqlite3")


@pytest.mark.parametrize("name", list(RECURRING))
def test_a_recurring_query_scans_no_history_table(store: Store, name: str) -> None:
    assert scans(store, RECURRING[name]) == []


USES = {
    "digest query after the previous digest": "SEARCH articles USING INTEGER PRIMARY KEY (rowid>?)",
    "digest query since a time": "SEARCH articles USING INDEX articles_first_seen (first_seen>?)",
    "sent messages to prune": "digests_unpruned (status=? AND sent<?)",
    "active subscribers": "SEARCH digests USING INDEX digests_subscriber",
    # in due order straight from the partial index: no sort of every queued digest per claim
    "digests due": "SEARCH digests USING INDEX digests_due (next_attempt<?)",
}


def plans(store: Store, work: Callable[[Store], object]) -> list[str]:
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    try:
        work(store)
    finally:
        store._db.set_trace_callback(None)
    return [
        str(row[3])
        for statement in statements
        if re.match(r"\s*(SELECT|UPDATE)\b", statement, re.IGNORECASE)
        for row in store._db.execute(f"EXPLAIN QUERY PLAN {statement}")
    ]


@pytest.mark.parametrize("name", list(USES))
def test_a_range_is_read_through_its_index(store: Store, name: str) -> None:
    """A search over a whole table by a range that starts at its beginning is a scan by
    another name: these queries must narrow by the index meant for them."""
    assert any(USES[name] in line for line in plans(store, RECURRING[name]))


def test_the_digest_query_finds_what_it_should(store: Store) -> None:
    """The plan test's store has what the queries look for: they are not trivially empty."""
    found = store.undelivered(READERS[0].email, limit=100, since=NOW - timedelta(days=2))
    assert found
    assert all(each.first_seen >= NOW - timedelta(days=2) for each in found)


def test_a_dropped_index_is_caught(tmp_path: Path) -> None:
    with _filled(tmp_path / "digest.sqlite3") as store:
        store._db.execute("DROP INDEX items_article")
        assert scans(store, RECURRING["an article's sources"])


def test_a_wrapped_column_is_caught(tmp_path: Path) -> None:
    with _filled(tmp_path / "digest.sqlite3") as store:
        wrapped = lambda s: s._read(  # noqa: E731
            "SELECT id FROM articles WHERE julianday(first_seen) >= julianday(?)",
            (NOW.isoformat(),),
        )
        assert scans(store, wrapped)
