"""What each subscriber has had: the articles delivered to them, and their digests."""

from __future__ import annotations

from datetime import datetime

from digest.store.articles import SOURCE_NAMES, ArticlesStore, StoredArticle
from digest.store.migrations import fixed_time


class DeliveriesStore(ArticlesStore):
    """Queries about what subscribers were sent."""

    def undelivered(
        self,
        email: str,
        *,
        limit: int,
        since: datetime | None = None,
        after_id: int | None = None,
        sources: tuple[str, ...] = (),
    ) -> list[StoredArticle]:
        """Stored articles neither delivered to `email` nor waiting in the outbox for it,
        newest first, at most `limit`: with `since`, only those first seen since then; with
        `after_id`, only those stored after that article; with `sources`, only those
        carried by one of the sources so named."""
        source_marks = ", ".join("?" for _ in sources)
        from_sources = (
            f"""AND EXISTS (SELECT 1 FROM items JOIN sources ON sources.id = items.source_id
                           WHERE items.article_id = articles.id
                               AND sources.name IN ({source_marks}))"""
            if sources
            else ""
        )
        # The bounds are plain conditions on indexed columns (the rowid, `first_seen`), each
        # in the statement only when given, so that the planner reads only the new articles.
        bounds, values = ["TRUE"], list[object]()
        if after_id is not None:
            bounds.append("articles.id > ?")
            values.append(after_id)
        if since is not None:
            bounds.append("articles.first_seen >= ?")
            values.append(fixed_time(since.isoformat()))
        rows = self._read(
            f"""SELECT articles.*, {SOURCE_NAMES} AS source_names FROM articles
               WHERE {" AND ".join(bounds)}
               AND NOT EXISTS (
                   SELECT 1 FROM deliveries
                   WHERE deliveries.subscriber_id = (
                           SELECT id FROM subscribers WHERE email = ?)
                       AND deliveries.article_id = articles.id)
               AND NOT EXISTS (
                   SELECT 1 FROM digests JOIN digest_articles
                       ON digest_articles.digest_id = digests.id
                           AND digest_articles.article_id = articles.id
                   WHERE digests.recipient = ?
                       AND digests.status IN ('queued', 'sending', 'deferred'))
               {from_sources}
               ORDER BY COALESCE(articles.published, articles.first_seen) DESC, articles.id DESC
               LIMIT ?""",
            (*values, email, email, *sources, limit),
        )
        return [self._stored_article(row) for row in rows]

    def newest_article_id(self) -> int:
        """The id of the newest stored article (0 when there is none)."""
        return int(self._scalar("SELECT max(id) FROM articles") or 0)

    def digest_count(self, email: str | None = None) -> int:
        """How many digests were sent (to `email`, or to anyone)."""
        if email is None:
            count = self._scalar(
                "SELECT count(*) FROM digests WHERE status = 'sent' AND kind = 'digest'"
            )
        else:
            count = self._scalar(
                """SELECT count(*) FROM digests
                   WHERE recipient = ? AND status = 'sent' AND kind = 'digest'""",
                (email,),
            )
        return int(count)
