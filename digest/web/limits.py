"""How often one client may do something: a sliding window per key, in memory.

The pages run in one process, so the counts live there; a restart forgets them, which at
worst lets a client make one more window's worth of sign-ups.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimit:
    """At most `count` events per key in any `period` seconds."""

    def __init__(
        self, count: int, *, period: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.count = count
        self.period = period
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Record an event for `key` and say whether it is within the limit."""
        now = self._clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.period:
                events.popleft()
            if len(events) >= self.count:
                return False
            events.append(now)
            if len(self._events) > 100_000:  # forget idle clients rather than grow forever
                idle = [k for k, v in self._events.items() if not v or v[-1] <= now - self.period]
                for stale in idle:
                    del self._events[stale]
            return True
