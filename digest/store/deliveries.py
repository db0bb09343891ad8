"""Subscribers and delivered digests in the store."""

from __future__ import annotations

from datetime import datetime

from digest.models import Delivery, Subscriber
from digest.store.articles import ArticlesStore, StoredArticle


class DeliveriesStore(ArticlesStore):
    """Queries about subscribers and what they were sent."""

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
