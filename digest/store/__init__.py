"""The store: sources and their fetch state, seen items, articles, deliveries.

This package is the only code that speaks SQL. The database is a SQLite file in WAL mode by
default, or a PostgreSQL database that several workers share (`dialect` holds what differs);
each public method is one unit of work in one transaction. The schema lives in
`migrations`; the queries are grouped by what they concern (`sources`, `articles`,
`deliveries`, `outbox`, `subscribers`, `retention`, `leases`), and `Store` puts them
together.

What counts as what:
- an *item* is seen once its source yielded it and it was stored (or deliberately skipped),
  so the next collection does not extract it again; a failed fetch changes no item;
- an *article* is stored once, however many sources carry it (same canonical URL, same
  words, or a near-identical fingerprint); every source that carried it is recorded, and
  the fullest text any of them gave is kept;
- a *teaser* whose page could not be fetched is seen, and waits (`waiting`) for later
  runs to fetch its page; an article stored from a teaser alone is marked as one;
- a *digest* is queued in the outbox with its whole message when it is rendered, and is
  sent, deferred or failed by the sender (`digest.deliver.sender`);
- an article counts as *delivered* to a subscriber only once a digest holding it was sent to
  that subscriber; while such a digest waits in the outbox, the article goes in no other.
"""

from __future__ import annotations

from digest.store.articles import StoredArticle
from digest.store.deliveries import DeliveriesStore
from digest.store.leases import LeasesStore, SourceLease
from digest.store.outbox import ClaimedDigest, NewDigest, OutboxEntry, OutboxStore
from digest.store.retention import Pruned, RetentionStore
from digest.store.sources import SourcesStore, SourceState
from digest.store.subscribers import PeriodTaken, StoredSubscriber, SubscribersStore
from digest.store.waiting import WaitingStore, WaitingText

__all__ = [
    "ClaimedDigest",
    "NewDigest",
    "OutboxEntry",
    "PeriodTaken",
    "Pruned",
    "SourceLease",
    "SourceState",
    "Store",
    "StoredArticle",
    "StoredSubscriber",
    "WaitingText",
]


class Store(
    SourcesStore,
    DeliveriesStore,
    OutboxStore,
    SubscribersStore,
    WaitingStore,
    RetentionStore,
    LeasesStore,
):
    """An open store, on SQLite or PostgreSQL. Use as a context manager, or call `close()`."""
