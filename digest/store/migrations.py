"""The store's schema, as numbered migrations applied in order.

Append only: a migration that has shipped is never edited; a change is a new migration.
Each runs inside the transaction that also records it as applied (see `digest.store`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from digest.store.dialect import Connection, is_postgres, postgres_ddl


def _execute_script(db: Connection, script: str) -> None:
    """Run `;`-separated statements inside the caller's transaction (on PostgreSQL, with
    its column types: see `digest.store.dialect.postgres_ddl`).

    ``executescript`` would commit first, breaking the one-transaction-per-migration rule.
    """
    if is_postgres(db):
        script = postgres_ddl(script)
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1_initial(db: Connection) -> None:
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


def _v2_collection(db: Connection) -> None:
    """Sources added from the command line, full-text and privacy settings, Retry-After;
    summaries computed when a digest needs them; fingerprints and lead images.

    SQLite changes a column's constraints by rebuilding its table; PostgreSQL alters it
    (dropping the table would drop the references to it)."""
    if is_postgres(db):
        _execute_script(db, _V2_POSTGRESQL)
        return
    _execute_script(
        db,
        """
        ALTER TABLE sources ADD COLUMN origin TEXT NOT NULL DEFAULT 'config';
        ALTER TABLE sources ADD COLUMN full_text TEXT NOT NULL DEFAULT 'auto';
        ALTER TABLE sources ADD COLUMN allow_private INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sources ADD COLUMN language TEXT;
        ALTER TABLE sources ADD COLUMN retry_after TEXT;
        CREATE TABLE articles_new (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            simhash INTEGER,
            title TEXT NOT NULL,
            author TEXT,
            published TEXT,
            language TEXT,
            image TEXT,
            text TEXT NOT NULL,
            summary TEXT,
            method TEXT,
            summary_key TEXT,
            first_seen TEXT NOT NULL
        );
        INSERT INTO articles_new (id, url, content_hash, title, author, published, language,
                                  text, summary, method, summary_key, first_seen)
            SELECT id, url, content_hash, title, author, published, language, text, summary,
                   method, NULL, first_seen FROM articles;
        DROP TABLE articles;
        ALTER TABLE articles_new RENAME TO articles;
        CREATE INDEX articles_url ON articles (url);
        CREATE INDEX articles_content_hash ON articles (content_hash);
        CREATE INDEX articles_first_seen ON articles (first_seen)
        """,
    )


def _v3_outbox(db: Connection) -> None:
    """The outbox: a digest is a row holding its whole message, queued when rendered and
    marked sent once a server (or the outbox folder) took it; its articles are listed in
    `digest_articles` from the start and count as delivered only once it is sent.

    PostgreSQL alters the table in place of SQLite's rebuild, to the same columns."""
    if is_postgres(db):
        _execute_script(db, _V3_POSTGRESQL)
        return
    _execute_script(
        db,
        """
        CREATE TABLE digests_new (
            id INTEGER PRIMARY KEY,
            subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),
            recipient TEXT NOT NULL,
            envelope_from TEXT NOT NULL,
            subject TEXT NOT NULL,
            message_id TEXT NOT NULL UNIQUE,
            message BLOB,
            article_count INTEGER NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('queued', 'sending', 'sent', 'deferred', 'failed')),
            created TEXT NOT NULL,
            queued TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt TEXT NOT NULL,
            last_attempt TEXT,
            last_reply TEXT,
            claimed_by TEXT,
            sent TEXT,
            backend TEXT NOT NULL DEFAULT '',
            location TEXT NOT NULL DEFAULT ''
        );
        INSERT INTO digests_new (id, subscriber_id, recipient, envelope_from, subject,
                                 message_id, article_count, status, created, queued,
                                 attempts, next_attempt, sent, backend, location)
            SELECT digests.id, subscriber_id, subscribers.email, '', subject, message_id,
                   article_count, 'sent', digests.created, digests.created, 1,
                   digests.created, digests.created, backend, location
            FROM digests JOIN subscribers ON subscribers.id = digests.subscriber_id;
        DROP TABLE digests;
        ALTER TABLE digests_new RENAME TO digests;
        CREATE INDEX digests_due ON digests (next_attempt, id)
            WHERE status IN ('queued', 'deferred');
        CREATE INDEX digests_recipient ON digests (recipient, status);
        CREATE TABLE digest_articles (
            digest_id INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
            article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
            PRIMARY KEY (digest_id, article_id)
        );
        INSERT INTO digest_articles SELECT digest_id, article_id FROM deliveries
        """,
    )


def _v4_subscriptions(db: Connection) -> None:
    """Subscriptions: send time, frequency, sources, status and a random token per
    subscriber; and one row per subscriber and period (a local day or ISO week) once that
    period's digest was queued, found empty, or skipped, so that no period gets two. A
    digest remembers the newest article stored when it was made: the next one holds only
    articles stored after it."""
    _execute_script(
        db,
        """
        ALTER TABLE subscribers ADD COLUMN send_at TEXT NOT NULL DEFAULT '07:00';
        ALTER TABLE subscribers ADD COLUMN weekly_on INTEGER;
        ALTER TABLE subscribers ADD COLUMN sources TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE subscribers ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
            CHECK (status IN ('pending', 'active', 'unsubscribed'));
        ALTER TABLE subscribers ADD COLUMN origin TEXT NOT NULL DEFAULT 'config';
        ALTER TABLE subscribers ADD COLUMN token TEXT;
        ALTER TABLE subscribers ADD COLUMN updated TEXT;
        UPDATE subscribers SET token = lower(hex(randomblob(16))), updated = created;
        ALTER TABLE digests ADD COLUMN newest_article_id INTEGER;
        CREATE TABLE periods (
            subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
            period TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('queued', 'empty', 'skipped')),
            digest_id INTEGER REFERENCES digests (id),
            decided TEXT NOT NULL,
            PRIMARY KEY (subscriber_id, period)
        )
        """,
    )


def _v5_notices(db: Connection) -> None:
    """The outbox also carries notices (a sign-up's confirmation request): messages that are
    not digests, hold no articles, and are not anybody's previous digest."""
    _execute_script(
        db,
        """
        ALTER TABLE digests ADD COLUMN kind TEXT NOT NULL DEFAULT 'digest'
            CHECK (kind IN ('digest', 'notice'));
        ALTER TABLE subscribers ADD COLUMN confirmed TEXT
        """,
    )


def _v6_full_texts(db: Connection) -> None:
    """Teasers whose linked page could not be fetched yet: each waits in `full_texts` (the
    feed item as JSON) and is tried again on later runs; an article stored from a teaser
    alone says so (`teaser`), so that a fuller copy of its story may replace its text."""
    _execute_script(
        db,
        """
        ALTER TABLE articles ADD COLUMN teaser INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE full_texts (
            source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
            guid TEXT NOT NULL,
            item TEXT NOT NULL,
            first_tried TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            next_attempt TEXT NOT NULL,
            last_error TEXT NOT NULL,
            teaser_stored INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (source_id, guid)
        )
        """,
    )


def _v7_bounded_queries(db: Connection) -> None:
    """Indexes so that each recurring query reads what it returns, not the whole history:
    an article's items (its sources, and which subscriber's sources carry it), a
    subscriber's latest digest, an address's digests by kind, the outbox by status, the
    sent messages still to prune, and what retention removes. Times of first sight become
    fixed-width UTC text, so that a range on them is a plain text comparison an index
    serves."""
    _execute_script(
        db,
        """
        CREATE INDEX IF NOT EXISTS items_article ON items (article_id);
        CREATE INDEX IF NOT EXISTS items_first_seen ON items (first_seen);
        CREATE INDEX IF NOT EXISTS deliveries_digest ON deliveries (digest_id);
        CREATE INDEX IF NOT EXISTS deliveries_article ON deliveries (article_id);
        CREATE INDEX IF NOT EXISTS periods_digest ON periods (digest_id);
        CREATE INDEX IF NOT EXISTS digests_subscriber
            ON digests (subscriber_id, kind, created);
        CREATE INDEX IF NOT EXISTS digests_latest ON digests (recipient, kind, id);
        CREATE INDEX IF NOT EXISTS digests_status ON digests (status, id);
        CREATE INDEX IF NOT EXISTS digests_unpruned ON digests (status, sent)
            WHERE status = 'sent' AND message IS NOT NULL
        """,
    )
    # PostgreSQL has no rowid: its items are found by their primary key.
    item_key = "source_id = ? AND guid" if is_postgres(db) else "rowid"
    item_columns = "source_id, guid" if is_postgres(db) else "rowid"
    for table, key, columns in (("articles", "id", "id"), ("items", item_key, item_columns)):
        rows = db.execute(f"SELECT first_seen, {columns} FROM {table}").fetchall()
        db.executemany(
            f"UPDATE {table} SET first_seen = ? WHERE {key} = ?",
            [(fixed, *row[1:]) for row in rows if (fixed := fixed_time(str(row[0]))) != row[0]],
        )


def _v8_failing_since(db: Connection) -> None:
    """When a source's current run of failures began and how many fetches it has failed
    since; NULL and 0 while it works. A source failing now is taken to have begun at its
    last fetch, after one attempt (what the store knew until now)."""
    _execute_script(
        db,
        """
        ALTER TABLE sources ADD COLUMN failing_since TEXT;
        ALTER TABLE sources ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
        UPDATE sources SET failing_since = last_fetched, failed_attempts = 1
            WHERE last_status IN ('error', 'deferred') AND last_fetched IS NOT NULL
        """,
    )


def _v9_digest_messages(db: Connection) -> None:
    """Messages in a table of their own. A digest's state changes several times (claimed,
    sent); in SQLite an update writes the whole row again, and a row holding a 10-50 KB
    message costs several pages per change. `message_size` stays on the digest: the size of
    its message, NULL once the message was dropped (`prune_sent`)."""
    _execute_script(
        db,
        """
        CREATE TABLE digest_messages (
            digest_id INTEGER NOT NULL PRIMARY KEY REFERENCES digests (id) ON DELETE CASCADE,
            message BLOB NOT NULL
        );
        INSERT INTO digest_messages (digest_id, message)
            SELECT id, message FROM digests WHERE message IS NOT NULL;
        ALTER TABLE digests ADD COLUMN message_size INTEGER;
        UPDATE digests SET message_size = length(message) WHERE message IS NOT NULL;
        DROP INDEX digests_unpruned;
        ALTER TABLE digests DROP COLUMN message;
        CREATE INDEX digests_unpruned ON digests (status, sent)
            WHERE status = 'sent' AND message_size IS NOT NULL
        """,
    )


def _v10_items_last_seen(db: Connection) -> None:
    """When each item was last listed by its source. Retention forgets an item once its
    source has stopped listing it for ``keep_days``, not once it is that old: an undated
    entry a feed keeps listing would otherwise come back as new once forgotten."""
    _execute_script(
        db,
        """
        ALTER TABLE items ADD COLUMN last_seen TEXT;
        UPDATE items SET last_seen = first_seen;
        CREATE INDEX items_last_seen ON items (last_seen)
        """,
    )


_V2_POSTGRESQL = """
    ALTER TABLE sources ADD COLUMN origin TEXT NOT NULL DEFAULT 'config';
    ALTER TABLE sources ADD COLUMN full_text TEXT NOT NULL DEFAULT 'auto';
    ALTER TABLE sources ADD COLUMN allow_private INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sources ADD COLUMN language TEXT;
    ALTER TABLE sources ADD COLUMN retry_after TEXT;
    ALTER TABLE articles ADD COLUMN simhash INTEGER, ADD COLUMN image TEXT,
        ADD COLUMN summary_key TEXT, ALTER COLUMN summary DROP NOT NULL,
        ALTER COLUMN method DROP NOT NULL;
    CREATE INDEX articles_first_seen ON articles (first_seen)
"""

_V3_POSTGRESQL = """
    ALTER TABLE digests ADD COLUMN recipient TEXT, ADD COLUMN envelope_from TEXT,
        ADD COLUMN message BLOB, ADD COLUMN status TEXT, ADD COLUMN queued TEXT,
        ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0, ADD COLUMN next_attempt TEXT,
        ADD COLUMN last_attempt TEXT, ADD COLUMN last_reply TEXT, ADD COLUMN claimed_by TEXT,
        ADD COLUMN sent TEXT;
    UPDATE digests SET recipient = subscribers.email, envelope_from = '', status = 'sent',
        queued = digests.created, attempts = 1, next_attempt = digests.created,
        sent = digests.created
        FROM subscribers WHERE subscribers.id = digests.subscriber_id;
    ALTER TABLE digests ALTER COLUMN recipient SET NOT NULL,
        ALTER COLUMN envelope_from SET NOT NULL, ALTER COLUMN status SET NOT NULL,
        ADD CHECK (status IN ('queued', 'sending', 'sent', 'deferred', 'failed')),
        ALTER COLUMN queued SET NOT NULL, ALTER COLUMN next_attempt SET NOT NULL,
        ALTER COLUMN backend SET DEFAULT '', ALTER COLUMN location SET DEFAULT '';
    CREATE INDEX digests_due ON digests (next_attempt, id)
        WHERE status IN ('queued', 'deferred');
    CREATE INDEX digests_recipient ON digests (recipient, status);
    CREATE TABLE digest_articles (
        digest_id INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
        article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        PRIMARY KEY (digest_id, article_id)
    );
    INSERT INTO digest_articles SELECT digest_id, article_id FROM deliveries
"""


def _v11_shared_work(db: Connection) -> None:
    """Work shared by several workers on one store: a source is leased to the worker that
    collects it (`lease_owner` until `lease_until`), and `collected` says when its last
    collection began, so that it is collected once per interval whatever the number of
    workers; a period's digest is claimed (`period_claims`) by the worker that renders it."""
    _execute_script(
        db,
        """
        ALTER TABLE sources ADD COLUMN lease_owner TEXT;
        ALTER TABLE sources ADD COLUMN lease_until TEXT;
        ALTER TABLE sources ADD COLUMN collected TEXT;
        CREATE TABLE period_claims (
            subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
            period TEXT NOT NULL,
            owner TEXT NOT NULL,
            until TEXT NOT NULL,
            PRIMARY KEY (subscriber_id, period)
        );
        CREATE INDEX period_claims_until ON period_claims (until)
        """,
    )


def fixed_time(value: str) -> str:
    """An ISO time as fixed-width UTC text (see `digest.store._core.stamp`); a time
    without a zone is taken as UTC."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


MIGRATIONS: tuple[tuple[str, Callable[[Connection], None]], ...] = (
    ("0001_initial", _v1_initial),
    ("0002_collection", _v2_collection),
    ("0003_outbox", _v3_outbox),
    ("0004_subscriptions", _v4_subscriptions),
    ("0005_notices", _v5_notices),
    ("0006_full_texts", _v6_full_texts),
    ("0007_bounded_queries", _v7_bounded_queries),
    ("0008_failing_since", _v8_failing_since),
    ("0009_digest_messages", _v9_digest_messages),
    ("0010_items_last_seen", _v10_items_last_seen),
    ("0011_shared_work", _v11_shared_work),
)
