"""The SQLite store: schema, migrations, seen items, articles, subscribers and sent digests.

This is the only module that speaks SQL. The database runs in WAL mode; each public method
is one unit of work in one transaction. Migrations are numbered functions applied in order,
each recorded in ``schema_migrations`` in the same transaction as its changes.

What counts as what:
- an *item* is seen once its source has yielded it and it was stored (or deliberately
  skipped), so the next collection does not extract it again;
- an *article* is stored once, however many sources carry it (same canonical URL or same
  content hash); every source that carried it is recorded;
- an article counts as *delivered* to a subscriber only after a digest holding it was
  delivered to that subscriber.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from digest.errors import StoreError
from digest.models import Article, Delivery, Source, Subscriber, Summary


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store remembers about fetching one source."""

    etag: str | None = None
    last_modified: str | None = None
    last_fetched: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class StoredSummary:
    """A stored article with its summary, as read back for a digest."""

    article_id: int
    summary: Summary
    first_seen: datetime


def _execute_script(db: sqlite3.Connection, script: str) -> None:
    """Run `;`-separated statements inside the caller's transaction.

    ``executescript`` would commit first, breaking the one-transaction-per-migration rule.
    """
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1_initial(db: sqlite3.Connection) -> None:
    _execute_script(
        db,
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            location TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            last_fetched TEXT,
            last_status TEXT,
            last_error TEXT
        );
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            title TEXT NOT NULL,
            author TEXT,
            published TEXT,
            language TEXT,
            text TEXT NOT NULL,
            summary TEXT NOT NULL,
            method TEXT NOT NULL,
            first_seen TEXT NOT NULL
        );
        CREATE INDEX articles_url ON articles (url);
        CREATE INDEX articles_content_hash ON articles (content_hash);
        CREATE TABLE items (
            source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
            guid TEXT NOT NULL,
            article_id INTEGER REFERENCES articles (id) ON DELETE SET NULL,
            first_seen TEXT NOT NULL,
            PRIMARY KEY (source_id, guid)
        );
        CREATE TABLE subscribers (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL DEFAULT '',
            timezone TEXT NOT NULL DEFAULT 'UTC',
            created TEXT NOT NULL
        );
        CREATE TABLE digests (
            id INTEGER PRIMARY KEY,
            subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),
            created TEXT NOT NULL,
            subject TEXT NOT NULL,
            message_id TEXT NOT NULL UNIQUE,
            backend TEXT NOT NULL,
            location TEXT NOT NULL,
            article_count INTEGER NOT NULL
        );
        CREATE TABLE deliveries (
            subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),
            article_id INTEGER NOT NULL REFERENCES articles (id),
            digest_id INTEGER NOT NULL REFERENCES digests (id),
            PRIMARY KEY (subscriber_id, article_id)
        );
        """,
    )


# Append only: a migration that has shipped is never edited, a new one is added.
MIGRATIONS: tuple[tuple[str, Callable[[sqlite3.Connection], None]], ...] = (
    ("0001_initial", _v1_initial),
)


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
            self._db.execute("PRAGMA foreign_keys = ON")
            if self.path is not None:
                self._db.execute("PRAGMA journal_mode = WAL")
            self._migrate()
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

    def applied_migrations(self) -> list[str]:
        """Names of the migrations applied to this database, in order."""
        rows = self._db.execute("SELECT name FROM schema_migrations ORDER BY name")
        return [row[0] for row in rows]

    # --- sources -----------------------------------------------------------------------

    def sync_source(self, source: Source) -> None:
        """Record a configured source, keeping its fetch state if it is already known."""
        with self._transaction() as db:
            db.execute(
                """INSERT INTO sources (name, kind, location) VALUES (?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET kind = excluded.kind,
                       location = excluded.location,
                       etag = CASE WHEN sources.location = excluded.location
                                   THEN sources.etag END,
                       last_modified = CASE WHEN sources.location = excluded.location
                                            THEN sources.last_modified END""",
                (source.name, source.kind.value, source.location),
            )

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
    ) -> None:
        """Record how fetching a source went. Validators are kept unless new ones are given."""
        with self._transaction() as db:
            db.execute(
                """UPDATE sources SET last_fetched = ?, last_status = ?, last_error = ?,
                       etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified)
                   WHERE name = ?""",
                (when.isoformat(), status, error, etag, last_modified, name),
            )

    # --- items and articles ------------------------------------------------------------

    def has_item(self, source: str, guid: str) -> bool:
        """Whether `source` already yielded the item `guid`."""
        row = self._db.execute(
            """SELECT 1 FROM items JOIN sources ON sources.id = items.source_id
               WHERE sources.name = ? AND items.guid = ?""",
            (source, guid),
        ).fetchone()
        return row is not None

    def mark_item_seen(self, source: str, guid: str, *, when: datetime) -> None:
        """Record an item that yielded no article (so it is not tried again)."""
        with self._transaction() as db:
            db.execute(
                """INSERT OR IGNORE INTO items (source_id, guid, first_seen)
                   SELECT id, ?, ? FROM sources WHERE name = ?""",
                (guid, when.isoformat(), source),
            )

    def add_article(
        self, source: str, guid: str, summary: Summary, *, content_hash: str, when: datetime
    ) -> tuple[int, bool]:
        """Store a summarised article yielded by `source` as item `guid`.

        An article with the same URL or the same content hash is stored once; this source is
        then recorded as carrying it too. Returns the article's id and whether it was new.
        """
        article = summary.article
        with self._transaction() as db:
            row = db.execute(
                "SELECT id FROM articles WHERE (url = ? AND url != '') OR content_hash = ?"
                " ORDER BY id LIMIT 1",
                (article.url, content_hash),
            ).fetchone()
            is_new = row is None
            if is_new:
                cursor = db.execute(
                    """INSERT INTO articles (url, content_hash, title, author, published,
                           language, text, summary, method, first_seen)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        article.url,
                        content_hash,
                        article.title,
                        article.author,
                        article.published.isoformat() if article.published else None,
                        article.language,
                        article.text,
                        json.dumps(list(summary.sentences)),
                        summary.method,
                        when.isoformat(),
                    ),
                )
                article_id = int(cursor.lastrowid or 0)
            else:
                article_id = int(row["id"])
            db.execute(
                """INSERT OR IGNORE INTO items (source_id, guid, article_id, first_seen)
                   SELECT id, ?, ?, ? FROM sources WHERE name = ?""",
                (guid, article_id, when.isoformat(), source),
            )
        return article_id, is_new

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

    def undelivered(self, email: str, *, limit: int) -> list[StoredSummary]:
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
        found: list[StoredSummary] = []
        for row in rows:
            sources = self.sources_of(int(row["id"]))
            article = Article(
                url=row["url"],
                title=row["title"],
                text=row["text"],
                source=", ".join(sources),
                published=_parse_time(row["published"]),
                author=row["author"],
                language=row["language"],
            )
            summary = Summary(
                article=article, sentences=tuple(json.loads(row["summary"])), method=row["method"]
            )
            found.append(
                StoredSummary(
                    article_id=int(row["id"]),
                    summary=summary,
                    first_seen=datetime.fromisoformat(row["first_seen"]),
                )
            )
        return found

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
            row = db.execute(
                "SELECT id FROM subscribers WHERE email = ?", (subscriber.email,)
            ).fetchone()
            if row is None:
                cursor = db.execute(
                    "INSERT INTO subscribers (email, name, timezone, created) VALUES (?, ?, ?, ?)",
                    (subscriber.email, subscriber.name, subscriber.timezone, when.isoformat()),
                )
                subscriber_id = int(cursor.lastrowid or 0)
            else:
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
        if email is None:
            row = self._db.execute("SELECT count(*) FROM digests").fetchone()
        else:
            row = self._db.execute(
                """SELECT count(*) FROM digests JOIN subscribers
                   ON subscribers.id = digests.subscriber_id WHERE subscribers.email = ?""",
                (email,),
            ).fetchone()
        return int(row[0])


def _now_text() -> str:
    return datetime.now(UTC).isoformat()


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
