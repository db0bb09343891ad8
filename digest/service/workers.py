"""Several `digest serve` workers on one PostgreSQL store: who this worker is, and how it
takes its share of the work (see `digest.store.leases` for the rules in the store).

- collection: a pass goes through every source, but collects one only after leasing it
  (`SourceShare`), and lets it go once stored; a source collected less than an interval ago
  is not leased again, so each source is collected once an interval whatever the number of
  workers, and a dead worker's sources are collected by another once its lease has run out;
- digests: a due period's digest is made by the worker that claimed it; the claim lasts
  `PERIOD_LEASE`, after which another worker may make it if it is still not queued;
- sending: the sender's claims on the outbox (`digest.deliver.sender`) already hold across
  processes, and its recovery of a dead sender's claims across machines.

`ROLES` are what a worker does: ``collect``, ``send`` (make and send the digests that are
due, and prune), or ``all``.
"""

from __future__ import annotations

import os
import random
import socket
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from digest.models import Source, Subscriber
from digest.store import Store

ROLES = ("all", "collect", "send")
PERIOD_LEASE = timedelta(minutes=5)
# A source is due a little before a whole interval has passed since its last collection
# began, so that a worker's own passes, an interval apart give or take the scheduler's
# jitter, never miss it.
EARLY = 0.02


def worker_name() -> str:
    """This worker's name in the store's leases: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{random.getrandbits(32):08x}"


class SourceShare:
    """This worker's share of the sources in one collection pass (`digest.collect.Share`):
    each source leased for one collection interval just before it is collected, from the
    time on `clock` then (not the pass's start: a long pass would otherwise collect its
    last sources again less than an interval later)."""

    def __init__(
        self, store: Store, *, owner: str, clock: Callable[[], datetime], interval: timedelta
    ) -> None:
        self.store, self.owner, self.clock, self.interval = store, owner, clock, interval
        self.claimed: list[str] = []  # those still held, let go at the end in any case

    def claim(self, source: Source) -> bool:
        taken = self.store.claim_source(
            source.name,
            owner=self.owner,
            now=self.clock(),
            interval=self.interval * (1 - EARLY),
            lease=self.interval,
        )
        if taken:
            self.claimed.append(source.name)
        return taken

    def release(self, source: Source) -> None:
        self.store.release_source(source.name, owner=self.owner)
        self.claimed.remove(source.name)

    def release_all(self) -> None:
        """Let go of what a pass that stopped early still holds."""
        for name in list(self.claimed):
            self.store.release_source(name, owner=self.owner)
        self.claimed.clear()


def period_claim(store: Store, *, owner: str, now: datetime) -> Callable[[Subscriber, str], bool]:
    """Whether this worker is to make `subscriber`'s digest for `period`: it claimed it, and
    no other worker has queued it meanwhile."""

    def claim(subscriber: Subscriber, period: str) -> bool:
        return store.claim_period_digest(
            subscriber.email, period, owner=owner, now=now, lease=PERIOD_LEASE
        ) and not store.period_decided(subscriber.email, period)

    return claim


def simulated_clock(
    start: datetime, *, speed: float = 1.0, origin: float | None = None
) -> Callable[[], datetime]:
    """A clock that read `start` at the UNIX time `origin` (by default, now) and runs
    `speed` times as fast as the real one: for trying a schedule out, and for several
    workers trying one out together (given the same `origin`)."""
    began = time.time() if origin is None else origin

    def now() -> datetime:
        return start + timedelta(seconds=(time.time() - began) * speed)

    return now
