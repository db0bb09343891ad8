"""The SQLite store: sources and their fetch state, seen items, articles, deliveries.

This is the only module that speaks SQL. The database runs in WAL mode; each public method
is one unit of work in one transaction. The schema lives in `digest.migrations`.

What counts as what:
- an *item* is seen once its source yielded it and it was stored (or deliberately skipped),
  so the next collection does not extract it again; a failed fetch changes no item;
- an *article* is stored once, however many sources carry it (same canonical URL, same
  words, or a near-identical fingerprint); every source that carried it is recorded;
- an article counts as *delivered* to a subscriber only after a digest holding it was
  delivered to that subscriber.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from digest.errors import StoreError
from digest.migrations import MIGRATIONS
from digest.models import Article, CollectedArticle, Delivery, Source, SourceKind, Subscriber


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store remembers about fetching one source."""

    etag: str | None = None
    last_modified: str | None = None
    last_fetched: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    retry_after: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """A stored article, with its summary when one was made for `summary_key`."""

    article_id: int
    article: Article
    first_seen: datetime
    summary: tuple[str, ...] | None
    summary_key: str | None


class Store:
    """An open SQLite store. Use as a context manager, or call `close()`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path) if path != ":memory:" else None
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                str(path), isolation_level=None, timeout=30, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            if self.path is not None:
                self._db.execute("PRAGMA journal_mode = WAL")
                # With WAL, NORMAL loses no committed data on a crash of digest itself.
                self._db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
            self._db.execute("PRAGMA foreign_keys = ON")
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"Cannot open the store at {path}: {exc}.") from exc

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"The store at {self.path or ':memory:'} failed: {exc}.") from exc

    def _migrate(self) -> None:
        # Foreign keys stay off while tables are rebuilt (the pragma is a no-op inside a
        # transaction), and are checked once every migration has run.
        self._db.execute("PRAGMA foreign_keys = OFF")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied TEXT)"
        )
        applied = {row[0] for row in self._db.execute("SELECT name FROM schema_migrations")}
        for name, migration in MIGRATIONS:
            if name in applied:
                continue
            with self._transaction() as db:
                migration(db)
                db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (name, _now_text()))
        problems = self._db.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise StoreError(f"The store at {self.path} has broken references: {problems[:3]}.")

    def applied_migrations(self) -> list[str]:
        """Names of the migrations applied to this database, in order."""
        rows = self._db.execute("SELECT name FROM schema_migrations ORDER BY name")
        return [row[0] for row in rows]

    # --- sources -----------------------------------------------------------------------

    def sync_source(self, source: Source) -> None:
        """Record a source, keeping its fetch state; a moved source forgets its validators."""
        with self._transaction() as db:
            db.execute(
                """INSERT INTO sources (name, kind, location, origin, full_text, allow_private,
                       language) VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET kind = excluded.kind,
                       location = excluded.location, origin = excluded.origin,
                       full_text = excluded.full_text, allow_private = excluded.allow_private,
                       language = excluded.language,
                       etag = CASE WHEN sources.location = excluded.location
                                   THEN sources.etag END,
                       last_modified = CASE WHEN sources.location = excluded.location
                                            THEN sources.last_modified END""",
                _source_values(source),
            )

    def add_source(self, source: Source) -> None:
        """Add a source from the command line. Raises `StoreError` if the name is taken."""
        with self._transaction() as db:
            taken = db.execute("SELECT origin FROM sources WHERE name = ?", (source.name,))
            if taken.fetchone() is not None:
                raise StoreError(
                    f"A source named {source.name!r} exists already; choose another --name."
                )
            db.execute(
                """INSERT INTO sources (name, kind, location, origin, full_text, allow_private,
                       language) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                _source_values(source),
            )

    def remove_source(self, name: str) -> bool:
        """Forget a source and which of its items were seen; its articles stay."""
        with self._transaction() as db:
            return db.execute("DELETE FROM sources WHERE name = ?", (name,)).rowcount > 0

    def sources(self, origin: str | None = None) -> list[Source]:
        """Known sources (only those of one `origin` when given), by name."""
        rows = self._db.execute(
            "SELECT * FROM sources WHERE ? IS NULL OR origin = ? ORDER BY name COLLATE NOCASE",
            (origin, origin),
        )
        return [
            Source(
                name=row["name"],
                kind=SourceKind(row["kind"]),
                location=row["location"],
                language=row["language"],
                full_text=row["full_text"],
                allow_private=bool(row["allow_private"]),
                origin=row["origin"],
            )
            for row in rows
        ]

    def source_state(self, name: str) -> SourceState:
        """The fetch state of a source (empty when the source is new)."""
        row = self._db.execute("SELECT * FROM sources WHERE name = ?", (name,)).fetchone()
        if row is None:
            return SourceState()
        return SourceState(
            etag=row["etag"],
            last_modified=row["last_modified"],
            last_fetched=_parse_time(row["last_fetched"]),
            last_status=row["last_status"],
            last_error=row["last_error"],
            retry_after=_parse_time(row["retry_after"]),
        )

    def record_fetch(
        self,
        name: str,
        *,
        when: datetime,
        status: str,
        error: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        retry_after: datetime | None = None,
    ) -> None:
        """Record how fetching a source went. Validators are kept unless new ones are given."""
        with self._transaction() as db:
            db.execute(
                """UPDATE sources SET last_fetched = ?, last_status = ?, last_error = ?,
                       etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified),
                       retry_after = ?
                   WHERE name = ?""",
                (
                    when.isoformat(),
                    status,
                    error,
                    etag,
                    last_modified,
                    retry_after.isoformat() if retry_after else None,
                    name,
                ),
            )

    # --- items and articles ------------------------------------------------------------

    def seen_guids(self, source: str) -> set[str]:
        """Identities of every item `source` yielded before."""
        rows = self._db.execute(
            """SELECT items.guid FROM items JOIN sources ON sources.id = items.source_id
               WHERE sources.name = ?""",
            (source,),
        )
        return {row[0] for row in rows}

    def has_item(self, source: str, guid: str) -> bool:
        """Whether `source` already yielded the item `guid`."""
        return guid in self.seen_guids(source)

    def fingerprints(self, *, since: datetime) -> list[tuple[int, int]]:
        """(article id, SimHash) of the articles first seen since `since`."""
        rows = self._db.execute(
            "SELECT id, simhash FROM articles WHERE simhash IS NOT NULL AND first_seen >= ?",
            (since.isoformat(),),
        )
        return [(int(row[0]), _unsigned(int(row[1]))) for row in rows]

    def store_items(
        self,
        source: str,
        articles: list[tuple[CollectedArticle, int | None]],
        skipped: list[str],
        *,
        when: datetime,
    ) -> list[tuple[int, bool]]:
        """Store what one collection of `source` found, in one transaction.

        `articles` pairs each new article with the id of a known near-duplicate (or None);
        `skipped` are item identities that yielded no article. An article with the same
        URL or words as a stored one, or a near-duplicate, is stored once and this source
        recorded as carrying it. Returns (article id, whether it is new) per article.
        """
        results: list[tuple[int, bool]] = []
        with self._transaction() as db:
            row = db.execute("SELECT id FROM sources WHERE name = ?", (source,)).fetchone()
            if row is None:
                raise StoreError(f"The source {source!r} is not in the store.")
            source_id = int(row[0])
            for collected, near in articles:
                article_id, is_new = _insert_article(db, collected, near, when)
                db.execute(
                    "INSERT OR IGNORE INTO items (source_id, guid, article_id, first_seen)"
                    " VALUES (?, ?, ?, ?)",
                    (source_id, collected.guid, article_id, when.isoformat()),
                )
                results.append((article_id, is_new))
            db.executemany(
                "INSERT OR IGNORE INTO items (source_id, guid, first_seen) VALUES (?, ?, ?)",
                [(source_id, guid, when.isoformat()) for guid in skipped],
            )
        return results

    def article_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM articles").fetchone()[0])

    def sources_of(self, article_id: int) -> list[str]:
        """Names of every source that carried an article, in the order they yielded it."""
        rows = self._db.execute(
            """SELECT sources.name FROM items JOIN sources ON sources.id = items.source_id
               WHERE items.article_id = ? ORDER BY items.first_seen, sources.name""",
            (article_id,),
        )
        return [row[0] for row in rows]

    def save_summary(self, article_id: int, sentences: tuple[str, ...], key: str) -> None:
        """Keep an article's summary for the method and length `key` names."""
        with self._transaction() as db:
            db.execute(
                "UPDATE articles SET summary = ?, summary_key = ? WHERE id = ?",
                (json.dumps(list(sentences)), key, article_id),
            )

    # --- subscribers and deliveries ----------------------------------------------------

    def sync_subscriber(self, subscriber: Subscriber, *, when: datetime) -> None:
        """Add a subscriber, or update the name and time zone of a known one."""
        with self._transaction() as db:
            db.execute(
                """INSERT INTO subscribers (email, name, timezone, created) VALUES (?, ?, ?, ?)
                   ON CONFLICT (email) DO UPDATE SET name = excluded.name,
                       timezone = excluded.timezone""",
                (subscriber.email, subscriber.name, subscriber.timezone, when.isoformat()),
            )

    def undelivered(self, email: str, *, limit: int) -> list[StoredArticle]:
        """Stored articles not yet delivered to `email`, newest first, at most `limit`."""
        rows = self._db.execute(
            """SELECT articles.* FROM articles
               WHERE NOT EXISTS (
                   SELECT 1 FROM deliveries JOIN subscribers
                       ON subscribers.id = deliveries.subscriber_id
                   WHERE subscribers.email = ? AND deliveries.article_id = articles.id)
               ORDER BY COALESCE(articles.published, articles.first_seen) DESC, articles.id DESC
               LIMIT ?""",
            (email, limit),
        ).fetchall()
        return [self._stored_article(row) for row in rows]

    def _stored_article(self, row: sqlite3.Row) -> StoredArticle:
        article = Article(
            url=row["url"],
            title=row["title"],
            text=row["text"],
            source=", ".join(self.sources_of(int(row["id"]))),
            published=_parse_time(row["published"]),
            author=row["author"],
            language=row["language"],
            image=row["image"],
        )
        return StoredArticle(
            article_id=int(row["id"]),
            article=article,
            first_seen=datetime.fromisoformat(row["first_seen"]),
            summary=tuple(json.loads(row["summary"])) if row["summary"] else None,
            summary_key=row["summary_key"],
        )

    def record_delivery(
        self,
        subscriber: Subscriber,
        delivery: Delivery,
        *,
        subject: str,
        article_ids: list[int],
        when: datetime,
    ) -> int:
        """Record a delivered digest; its articles now count as delivered. Returns its id."""
        with self._transaction() as db:
            db.execute(
                """INSERT INTO subscribers (email, name, timezone, created) VALUES (?, ?, ?, ?)
                   ON CONFLICT (email) DO NOTHING""",
                (subscriber.email, subscriber.name, subscriber.timezone, when.isoformat()),
            )
            row = db.execute(
                "SELECT id FROM subscribers WHERE email = ?", (subscriber.email,)
            ).fetchone()
            subscriber_id = int(row["id"])
            cursor = db.execute(
                """INSERT INTO digests (subscriber_id, created, subject, message_id, backend,
                       location, article_count) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (
                    subscriber_id,
                    when.isoformat(),
                    subject,
                    delivery.message_id,
                    delivery.backend,
                    delivery.location,
                    len(article_ids),
                ),
            )
            digest_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?)",
                [(subscriber_id, article_id, digest_id) for article_id in article_ids],
            )
        return digest_id

    def digest_count(self, email: str | None = None) -> int:
        """How many digests were delivered (to `email`, or to anyone)."""
        row = self._db.execute(
            """SELECT count(*) FROM digests
               JOIN subscribers ON subscribers.id = digests.subscriber_id
               WHERE ? IS NULL OR subscribers.email = ?""",
            (email, email),
        ).fetchone()
        return int(row[0])


def _insert_article(
    db: sqlite3.Connection, collected: CollectedArticle, near: int | None, when: datetime
) -> tuple[int, bool]:
    """The id of the stored copy of an article, inserting it when it is new."""
    article = collected.article
    if near is not None:
        return near, False
    row = db.execute(
        "SELECT id FROM articles WHERE (url = ? AND url != '') OR content_hash = ?"
        " ORDER BY id LIMIT 1",
        (article.url, collected.content_hash),
    ).fetchone()
    if row is not None:
        return int(row[0]), False
    cursor = db.execute(
        """INSERT INTO articles (url, content_hash, simhash, title, author, published,
               language, image, text, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            article.url,
            collected.content_hash,
            _signed(collected.simhash) if collected.simhash is not None else None,
            article.title,
            article.author,
            article.published.isoformat() if article.published else None,
            article.language,
            article.image,
            article.text,
            when.isoformat(),
        ),
    )
    return int(cursor.lastrowid or 0), True


def _source_values(source: Source) -> tuple[object, ...]:
    return (
        source.name,
        source.kind.value,
        source.location,
        source.origin,
        source.full_text,
        int(source.allow_private),
        source.language,
    )


def _signed(value: int) -> int:
    """A 64-bit fingerprint as SQLite's signed INTEGER holds it."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def _now_text() -> str:
    return datetime.now(UTC).isoformat()


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
