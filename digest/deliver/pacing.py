"""Pacing for the sender: when a deferred digest is tried again, and how fast mail goes.

Pure apart from the clock and sleep it is given.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from digest.config import DeliverySettings


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When a deferred digest is due again, and when it is given up."""

    first: timedelta = timedelta(minutes=5)
    longest: timedelta = timedelta(hours=4)
    give_up: timedelta = timedelta(days=3)

    @classmethod
    def from_settings(cls, settings: DeliverySettings) -> RetryPolicy:
        return cls(
            first=timedelta(minutes=settings.first_retry_minutes),
            longest=timedelta(minutes=settings.max_retry_minutes),
            give_up=timedelta(hours=settings.give_up_hours),
        )

    def next_attempt(
        self, *, attempts: int, queued: datetime, now: datetime, rng: random.Random
    ) -> datetime | None:
        """When to try again after `attempts` tries; None once the give-up period is over.

        The delay doubles from `first` up to `longest`, times a random factor between 0.75
        and 1.25 so that digests deferred together are not retried together. The last try
        falls at the end of the give-up period.
        """
        deadline = queued + self.give_up
        if now >= deadline:
            return None
        delay = min(self.first * (1 << min(max(attempts - 1, 0), 20)), self.longest)
        return min(now + delay * rng.uniform(0.75, 1.25), deadline)


class RateLimit:
    """At most `rate` events a second across threads; 0 means no limit."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Return when the next event may happen, sleeping if it is too early."""
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)
