"""The sender: drains the outbox through the configured backend, with retries.

Each digest in the outbox is claimed (``sending``) in its own transaction before the backend
sees it, and marked ``sent``, ``deferred`` or ``failed`` in another once the backend
answered. A crash can therefore leave a digest in ``sending``; the next sender puts it back
in the queue when the process that claimed it is gone (or its claim is older than any send
can take), and sends it again with the same Message-ID. That is the one way a digest can
arrive twice: the server took it and the process died before recording so.

Temporary failures (a 4xx reply, a dropped connection, a server that cannot be reached)
defer the digest: it is due again after a delay that doubles with each attempt, with
jitter, from ``[delivery] first_retry_minutes`` up to ``max_retry_minutes``, and fails for
good once ``give_up_hours`` have passed since it was queued. A permanent failure (5xx)
fails that digest with the server's reply and the batch goes on. Problems no retry can fix
(a refused login, an untrusted certificate) stop the batch and leave the digests queued.

The outcome of a message is written down while the next one's envelope goes to the server
(a thread of the sender's own does the writing), and that message itself leaves only once
the writing is done: at any moment at most one sent message is not yet recorded, so a crash
repeats at most one digest per connection, as before, and the store's work costs the
connection no time.

Up to ``[smtp] connections`` threads send at once, each over one connection reused for up
to ``messages_per_connection`` messages, all within ``[smtp] rate`` messages a second. A
sender may `follow` the outbox while digests are still being queued (one run renders and
sends at the same time), and the store's lock keeps the two apart.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Self

from digest.config import Config
from digest.deliver.pacing import RateLimit, RetryPolicy
from digest.deliver.transports import (
    CannotConnect,
    ConnectionLost,
    Outcome,
    Transport,
    open_transport,
)
from digest.errors import DeliveryError
from digest.models import Delivery
from digest.store import ClaimedDigest, OutboxEntry, Store

log = logging.getLogger("digest.outbox")

Clock = Callable[[], datetime]
TransportFactory = Callable[[], Transport]

# A claim older than this is stale whoever holds it: no SMTP exchange lasts this long.
STALE_CLAIM = timedelta(minutes=30)

# Why a sender stopped when its run was stopped (Ctrl-C).
STOPPED = "the run was stopped; digests not sent wait in the outbox"

_live_owners: set[str] = set()  # the senders running in this process
# Digests claimed per transaction, shared between the sending threads (each claims at least
# 4): fewer claims cost less, but a thread's claim is work the others cannot take.
CLAIM_BATCH = 32


@dataclass(frozen=True, slots=True)
class Attempt:
    """A digest that was not sent this time, and why."""

    digest_id: int
    recipient: str
    reply: str
    next_attempt: datetime | None = None  # for a deferred digest


@dataclass(slots=True)
class SendReport:
    """What one drain of the outbox did."""

    sent: list[Delivery] = field(default_factory=list)
    deferred: list[Attempt] = field(default_factory=list)
    failed: list[Attempt] = field(default_factory=list)
    recovered: int = 0  # digests found stuck in `sending` and queued again
    problem: str = ""  # why sending stopped before the outbox was empty

    @property
    def ok(self) -> bool:
        return not (self.deferred or self.failed or self.problem)


class Sender:
    """Drains the outbox; use as a context manager, or call `start` and `finish`.

    `clock` gives the current time (injected by tests); `transport` opens a connection to
    the backend (by default the configured one, or the file backend writing to `outbox`).
    With `follow`, the sender waits for digests queued while it runs until `finish`,
    looking for them when told (`add`) or every `poll` seconds; with `only_added`, it
    sends only those it was told about.
    """

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        clock: Clock | None = None,
        transport: TransportFactory | None = None,
        outbox: Path | None = None,
        follow: bool = False,
        only_added: bool = False,
        rng: random.Random | None = None,
        poll: float = 0.5,
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock or _wall_clock
        self.open_transport = transport or (lambda: open_transport(config, outbox=outbox))
        self.policy = RetryPolicy.from_settings(config.delivery)
        self.limit = RateLimit(config.smtp.rate)
        self.report = SendReport()
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{random.getrandbits(32):08x}"
        self._rng = rng or random.Random()
        self._following = follow
        self._poll = poll
        self._only: set[int] | None = set() if only_added else None
        self._stopping = False
        self._errors: list[BaseException] = []
        self._lock = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._recorder: ThreadPoolExecutor | None = None
        connections = config.smtp.connections if config.delivery.backend == "smtp" else 1
        self._connections = 1 if outbox is not None else connections
        self._claim_limit = max(4, CLAIM_BATCH // self._connections)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.finish()

    def start(self) -> None:
        """Queue stuck digests again, then start sending."""
        _live_owners.add(self.owner)
        self.report.recovered = recover(self.store, now=self.clock())
        self._recorder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-recorder")
        for number in range(self._connections):
            thread = threading.Thread(target=self._work, name=f"digest-sender-{number}")
            thread.start()
            self._threads.append(thread)

    def add(self, digest_id: int) -> None:
        """A digest was just queued: send it (even with `only_added`)."""
        with self._lock:
            if self._only is not None:
                self._only.add(digest_id)
            self._lock.notify_all()

    def finish(self) -> SendReport:
        """Send what is due, stop, and return the report. Re-raises a thread's crash."""
        with self._lock:
            self._following = False
            self._lock.notify_all()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        if self._recorder is not None:
            self._recorder.shutdown()  # each connection waited for its last record already
            self._recorder = None
        _live_owners.discard(self.owner)
        keep = timedelta(days=self.config.delivery.keep_sent_days)
        self.store.prune_sent(before=self.clock() - keep)
        if self._errors:
            raise self._errors[0]
        return self.report

    def _work(self) -> None:
        claimed: list[ClaimedDigest] = []  # this thread's, in the order they are due
        try:
            with self._connection() as connection:
                while claimed or self._claim(claimed):
                    if not connection.send(claimed.pop(0)):
                        break
        except BaseException as exc:  # re-raised by finish(), in the caller's thread
            self._errors.append(exc)
            self.stop("")
        finally:
            for left in claimed:  # claimed but not tried: back in the queue as they were
                self.store.release(left.entry.id)

    def _claim(self, claimed: list[ClaimedDigest]) -> bool:
        """Claim the next due digests (a few at a time: one transaction, not one each);
        False when there are none and no more will come."""
        while not self._stopping:
            with self._lock:
                only = set(self._only) if self._only is not None else None
            claimed += self.store.claim(
                now=self.clock(), owner=self.owner, only=only, limit=self._claim_limit
            )
            if claimed:
                return True
            with self._lock:
                if not self._following:
                    return False
                self._lock.wait(timeout=self._poll)
        return False

    @contextmanager
    def _connection(self) -> Iterator[_Connection]:
        connection = _Connection(self)
        try:
            yield connection
        finally:
            connection.close()

    def stop(self, problem: str) -> None:
        """Stop sending after the digests in hand; `problem` says why, if it is one."""
        with self._lock:
            self._stopping = True
            if problem and not self.report.problem:
                self.report.problem = problem
            self._lock.notify_all()

    def record_later(
        self, claimed: ClaimedDigest, outcome: Outcome, transport: Transport
    ) -> Future[None]:
        """`record` in the recorder thread; the future ends when it is written down."""
        assert self._recorder is not None, "start() first"
        return self._recorder.submit(self.record, claimed, outcome, transport)

    def record(self, claimed: ClaimedDigest, outcome: Outcome, transport: Transport) -> None:
        """Write down what became of a claimed digest."""
        entry = claimed.entry
        if outcome.status == "sent":
            self.store.mark_sent(
                entry.id,
                reply=outcome.reply,
                backend=transport.backend,
                location=transport.location,
                when=self.clock(),
            )
            log.info(
                "digest #%d sent to %s (%d articles): %s",
                entry.id,
                entry.recipient,
                entry.article_count,
                outcome.reply,
            )
            self.report.sent.append(
                Delivery(
                    recipient=entry.recipient,
                    message_id=entry.message_id,
                    backend=transport.backend,
                    location=transport.location,
                    files=outcome.files,
                )
            )
        elif outcome.status == "deferred":
            self.defer(entry, outcome.reply)
        else:
            self._fail(entry, outcome.reply)

    def defer(self, entry: OutboxEntry, reply: str) -> None:
        """Try the digest again later, or fail it once the give-up period is over."""
        now = self.clock()
        due = self.policy.next_attempt(
            attempts=entry.attempts, queued=entry.queued, now=now, rng=self._rng
        )
        if due is None:
            hours = self.policy.give_up.total_seconds() / 3600
            self._fail(entry, f"gave up after {hours:g} hours: {reply}")
            return
        self.store.mark_deferred(entry.id, reply=reply, next_attempt=due)
        log.warning(
            "digest #%d to %s deferred until %s: %s",
            entry.id,
            entry.recipient,
            due.isoformat(timespec="seconds"),
            reply,
        )
        self.report.deferred.append(Attempt(entry.id, entry.recipient, reply, due))

    def _fail(self, entry: OutboxEntry, reason: str) -> None:
        self.store.mark_failed(entry.id, reply=reason)
        log.error("digest #%d to %s failed: %s", entry.id, entry.recipient, reason)
        self.report.failed.append(Attempt(entry.id, entry.recipient, reason))


class _Connection:
    """One sending thread's connection, opened when first needed and renewed as configured.

    The outcome of its last message may still be being written down (`pending`); the next
    message waits for that before it leaves (`settle`)."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self.transport: Transport | None = None
        self.used = 0
        self.pending: Future[None] | None = None

    def settle(self) -> None:
        """Wait until the last outcome is written down; re-raise the store's error if any."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def send(self, claimed: ClaimedDigest) -> bool:
        """Send one claimed digest; False when the batch must stop."""
        sender = self.sender
        try:
            if self.transport is None:
                self.transport = sender.open_transport()
                self.used = 0
            sender.limit.wait()
            outcome = self.transport.send(
                claimed.envelope_from,
                claimed.entry.recipient,
                claimed.message,
                stamp=sender.clock(),
                before_handover=self.settle,
            )
        except ConnectionLost as exc:
            self.transport = None  # the next digest gets a new connection
            self.settle()
            sender.defer(claimed.entry, str(exc))
            return True
        except CannotConnect as exc:
            self.settle()
            sender.defer(claimed.entry, str(exc))
            sender.stop(str(exc))
            return False
        except DeliveryError as exc:
            sender.store.release(claimed.entry.id)
            sender.stop(str(exc))
            return False
        except BaseException:
            sender.store.release(claimed.entry.id)
            raise
        self.settle()  # a refusal before DATA did not wait
        self.pending = sender.record_later(claimed, outcome, self.transport)
        self.used += 1
        if self.used >= sender.config.smtp.messages_per_connection:
            self.close()
        return True

    def close(self) -> None:
        """Wait for the last record, and end the connection."""
        try:
            self.settle()
        finally:
            if self.transport is not None:
                self.transport.close()
                self.transport = None


def drain(
    config: Config,
    store: Store,
    *,
    clock: Clock | None = None,
    transport: TransportFactory | None = None,
) -> SendReport:
    """Send every due digest in the outbox now. Raises `StoreError` if the store fails."""
    with Sender(config, store, clock=clock, transport=transport) as sender:
        pass
    return sender.report


def retry(
    store: Store, digest_ids: Iterable[int], *, all_failed: bool, now: datetime
) -> list[OutboxEntry]:
    """Queue the named digests (and with `all_failed` every failed one) again, due `now`.

    Returns them. Raises `DeliveryError` naming the first digest that is unknown, already
    sent, being sent, or whose message was dropped.
    """
    entries = []
    for digest_id in digest_ids:
        entry = store.outbox_entry(digest_id)
        if entry is None:
            raise DeliveryError(f"There is no digest #{digest_id} in the outbox.")
        if entry.status == "sent":
            raise DeliveryError(
                f"Digest #{digest_id} to {entry.recipient} was already sent; nothing to retry."
            )
        if entry.status == "sending":
            raise DeliveryError(f"Digest #{digest_id} is being sent right now.")
        if store.outbox_message(digest_id) is None:
            raise DeliveryError(f"The message of digest #{digest_id} is no longer kept.")
        entries.append(entry)
    if all_failed:
        known = {entry.id for entry in entries}
        entries += [e for e in store.outbox_entries(("failed",)) if e.id not in known]
    store.requeue([entry.id for entry in entries], now=now)
    return entries


def recover(store: Store, *, now: datetime) -> int:
    """Queue again the digests left in `sending` by a sender that is gone. Returns how many."""
    stuck = [
        (entry.id, entry.claimed_by)
        for entry in store.sending()
        if _abandoned(entry.claimed_by)
        or (entry.last_attempt is not None and now - entry.last_attempt > STALE_CLAIM)
    ]
    queued = store.requeue_stuck(stuck) if stuck else 0
    if queued:
        log.warning("queued %d digests again that a stopped sender had claimed", queued)
    return queued


def _abandoned(owner: str) -> bool:
    """Whether the sender that claimed a digest is gone (known only on this machine)."""
    host, _, rest = owner.partition(":")
    pid_text, _, _ = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    if int(pid_text) == os.getpid():
        return owner not in _live_owners
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def clock_from(start: datetime) -> Clock:
    """A clock that reads `start` now and runs on from there."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


__all__ = [
    "STOPPED",
    "Attempt",
    "SendReport",
    "Sender",
    "clock_from",
    "drain",
    "recover",
    "retry",
]
