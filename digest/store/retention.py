"""Retention: what the store forgets once it is older than ``[store] keep_days``.

An article first seen before the cutoff goes with its deliveries, unless a digest still
waiting in the outbox holds it. An item goes once its source has not listed it since the
cutoff: an item still listed stays, so that an undated entry is never taken for new. A
digest sent or failed before the cutoff goes with its record of articles and its period.
Pruning reads through the indexes on `first_seen`, `last_seen` and `created`, so its cost
follows what it removes. The space freed is reused by later rows; `vacuum` gives it back
to the file system.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from digest.store._core import StoreCore, stamp
from digest.store.migrations import fixed_time


@dataclass(frozen=True, slots=True)
class Pruned:
    """How many rows one prune removed."""

    articles: int = 0
    items: int = 0
    digests: int = 0


_DONE_BEFORE = """SELECT id FROM digests
    WHERE created < :cutoff AND status IN ('sent', 'failed')"""

_OLD_ARTICLES = """SELECT id FROM articles WHERE first_seen < :seen
    AND NOT EXISTS (
        SELECT 1 FROM digest_articles JOIN digests ON digests.id = digest_articles.digest_id
        WHERE digest_articles.article_id = articles.id
            AND digests.status IN ('queued', 'sending', 'deferred'))"""


class RetentionStore(StoreCore):
    """Pruning old rows."""

    def prune(self, *, before: datetime) -> Pruned:
        """Remove articles and items first seen before `before`, and digests sent or failed
        before then (see the module's docstring), in one transaction."""
        values = {"cutoff": stamp(before), "seen": fixed_time(before.isoformat())}
        with self._transaction() as db:
            db.execute(f"DELETE FROM deliveries WHERE digest_id IN ({_DONE_BEFORE})", values)
            db.execute(f"DELETE FROM periods WHERE digest_id IN ({_DONE_BEFORE})", values)
            db.execute(f"DELETE FROM digest_messages WHERE digest_id IN ({_DONE_BEFORE})", values)
            digests = db.execute(f"DELETE FROM digests WHERE id IN ({_DONE_BEFORE})", values)
            db.execute(f"DELETE FROM deliveries WHERE article_id IN ({_OLD_ARTICLES})", values)
            articles = db.execute(f"DELETE FROM articles WHERE id IN ({_OLD_ARTICLES})", values)
            items = db.execute("DELETE FROM items WHERE last_seen < :seen", values)
            db.execute("DELETE FROM periods WHERE decided < :cutoff AND digest_id IS NULL", values)
            db.execute("DELETE FROM period_claims WHERE until < :cutoff", values)
        return Pruned(articles=articles.rowcount, items=items.rowcount, digests=digests.rowcount)
