"""Several workers on one store: source leases, period claims, and outbox claims that skip
what another worker holds, against a real PostgreSQL server (and SQLite)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from digest.models import Source, SourceKind, Subscriber
from digest.store import Store

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
FEED = Source("feed", SourceKind.FEED, "https://example.org/feed")


def test_a_source_is_leased_once_per_interval_and_a_dead_workers_lease_runs_out(
    store_where: Path | str,
) -> None:
    with Store(store_where) as store:
        store.sync_source(FEED)

        def claim(owner: str, now: datetime) -> bool:
            return store.claim_source("feed", owner=owner, now=now, interval=HOUR, lease=HOUR)

        assert claim("a", NOW)
        assert not claim("b", NOW + timedelta(minutes=1))  # a holds it
        store.release_source("feed", owner="a")
        assert not claim("b", NOW + timedelta(minutes=59))  # collected within the interval
        assert claim("b", NOW + HOUR)  # due again; b then dies holding it
        assert not claim("c", NOW + HOUR + timedelta(minutes=59))
        assert claim("c", NOW + 2 * HOUR)  # b's lease ran out
        store.release_source("feed", owner="b")  # too late: c holds it now
        (lease,) = store.source_leases()
        assert (lease.owner, lease.collected) == ("c", NOW + 2 * HOUR)


def test_a_periods_digest_is_claimed_by_one_worker_until_its_claim_runs_out(
    store_where: Path | str,
) -> None:
    reader = Subscriber("reader@example.org")
    with Store(store_where) as store:
        store.save_subscriber(reader, origin="cli", when=NOW)
        lease = timedelta(minutes=5)

        def claim(owner: str, now: datetime) -> bool:
            return store.claim_period_digest(
                reader.email, "2026-11-26", owner=owner, now=now, lease=lease
            )

        assert claim("a", NOW)
        assert claim("a", NOW + timedelta(minutes=1))  # its own claim, renewed
        assert not claim("b", NOW + timedelta(minutes=2))
        assert claim("b", NOW + timedelta(minutes=7))  # a died before queueing it
        assert not store.claim_period_digest(
            "nobody@example.org", "2026-11-26", owner="a", now=NOW, lease=lease
        )


def test_claims_pass_over_rows_another_worker_has_locked(postgres_url: str) -> None:
    """SKIP LOCKED: a claim does not wait for a row another transaction holds; it takes the
    next one, or none."""
    with Store(postgres_url) as store, Store(postgres_url) as other:
        store.sync_source(FEED)
        for n in range(2):
            store.queue_digest(
                Subscriber(f"r{n}@example.org"),
                envelope_from="d@example.org",
                subject="S",
                message_id=f"<{n}@x>",
                message=b"m",
                article_ids=[],
                when=NOW,
            )
        with other._transaction() as db:
            db.execute("SELECT id FROM digests WHERE id = 1 FOR UPDATE")
            db.execute("SELECT id FROM sources WHERE name = 'feed' FOR UPDATE")
            began = time.monotonic()
            (claimed,) = store.claim(now=NOW, owner="w1", limit=2)
            taken = store.claim_source("feed", owner="w1", now=NOW, interval=HOUR, lease=HOUR)
            waited = time.monotonic() - began
        assert claimed.entry.id == 2 and not taken
        assert waited < 5  # passed over, not waited for
        assert [each.entry.id for each in store.claim(now=NOW, owner="w1", limit=2)] == [1]


def test_recovery_requeues_only_what_the_dead_sender_still_holds(postgres_url: str) -> None:
    with Store(postgres_url) as store:
        store.queue_digest(
            Subscriber("r@example.org"),
            envelope_from="d@example.org",
            subject="S",
            message_id="<1@x>",
            message=b"m",
            article_ids=[],
            when=NOW,
        )
        store.claim(now=NOW, owner="dead:1:0", limit=1)
        assert store.requeue_stuck([(1, "dead:1:0")]) == 1
        store.claim(now=NOW, owner="alive:2:0", limit=1)
        # A second worker read the dead sender's claim before the first requeued it:
        assert store.requeue_stuck([(1, "dead:1:0")]) == 0
        assert [entry.claimed_by for entry in store.sending()] == ["alive:2:0"]
