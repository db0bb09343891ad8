"""The SQLite store: sources and their fetch state, seen items, articles, deliveries.

This package is the only code that speaks SQL. The database runs in WAL mode; each public
method is one unit of work in one transaction. The schema lives in `migrations`; the
queries are grouped by what they concern (`sources`, `articles`, `deliveries`), and
`Store` puts them together.

What counts as what:
- an *item* is seen once its source yielded it and it was stored (or deliberately skipped),
  so the next collection does not extract it again; a failed fetch changes no item;
- an *article* is stored once, however many sources carry it (same canonical URL, same
  words, or a near-identical fingerprint); every source that carried it is recorded;
- an article counts as *delivered* to a subscriber only after a digest holding it was
  delivered to that subscriber.
"""

from __future__ import annotations

from digest.store.articles import StoredArticle
from digest.store.deliveries import DeliveriesStore
from digest.store.sources import SourcesStore, SourceState

__all__ = ["SourceState", "Store", "StoredArticle"]


class Store(SourcesStore, DeliveriesStore):
    """An open SQLite store. Use as a context manager, or call `close()`."""
