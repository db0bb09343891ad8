"""Subscribers and delivered digests in the store."""

from __future__ import annotations

from datetime import datetime

from digest.models import Subscriber
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
        """Stored articles neither delivered to `email` nor waiting in the outbox for it,
        newest first, at most `limit`."""
        rows = self._db.execute(
            """SELECT articles.* FROM articles
               WHERE NOT EXISTS (
                   SELECT 1 FROM deliveries JOIN subscribers
                       ON subscribers.id = deliveries.subscriber_id
                   WHERE subscribers.email = ? AND deliveries.article_id = articles.id)
               AND NOT EXISTS (
                   SELECT 1 FROM digests JOIN digest_articles
                       ON digest_articles.digest_id = digests.id
                           AND digest_articles.article_id = articles.id
                   WHERE digests.recipient = ?
                       AND digests.status IN ('queued', 'sending', 'deferred'))
               ORDER BY COALESCE(articles.published, articles.first_seen) DESC, articles.id DESC
               LIMIT ?""",
            (email, email, limit),
        ).fetchall()
        return [self._stored_article(row) for row in rows]

    def digest_count(self, email: str | None = None) -> int:
        """How many digests were sent (to `email`, or to anyone)."""
        row = self._db.execute(
            """SELECT count(*) FROM digests
               WHERE status = 'sent' AND (? IS NULL OR recipient = ?)""",
            (email, email),
        ).fetchone()
        return int(row[0])
