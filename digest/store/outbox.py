"""The outbox in the store: each digest is a row holding its state, beside its whole message.

The message lives in `digest_messages`, apart from the row whose state changes: an update
then rewrites a small row, not the message (see migration 0009).

A row goes ``queued -> sending -> sent | deferred | failed``; a deferred row is queued again
at its next attempt time. Queueing writes the row and the articles it carries in the same
transaction. The articles count as delivered to the subscriber only when the row is marked
sent; while it waits they are not offered to another digest, and when it fails they are
offered again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from digest.models import Subscriber
from digest.store._core import StoreCore, parse_time, stamp
from digest.store.dialect import Connection, Row, insert_id
from digest.store.subscribers import PeriodTaken, claim_period

STATUSES = ("queued", "sending", "deferred", "failed", "sent")
WAITING = ("queued", "sending", "deferred")  # a digest that may still be sent


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One digest in the outbox, without its message."""

    id: int
    recipient: str
    subject: str
    message_id: str
    article_count: int
    status: str
    attempts: int
    created: datetime
    queued: datetime
    next_attempt: datetime
    last_attempt: datetime | None
    last_reply: str
    sent: datetime | None
    backend: str
    location: str
    claimed_by: str


@dataclass(frozen=True, slots=True)
class ClaimedDigest:
    """A digest claimed for sending: its row and its message."""

    entry: OutboxEntry
    envelope_from: str
    message: bytes


@dataclass(frozen=True, slots=True)
class NewDigest:
    """A rendered digest to queue (see `OutboxStore.queue_digest` for the fields)."""

    subscriber: Subscriber
    envelope_from: str
    subject: str
    message_id: str
    message: bytes
    article_ids: tuple[int, ...]
    when: datetime
    period: str | None = None
    newest_article_id: int | None = None
    kind: str = "digest"


class OutboxStore(StoreCore):
    """Queries about the outbox."""

    def queue_digest(
        self,
        subscriber: Subscriber,
        *,
        envelope_from: str,
        subject: str,
        message_id: str,
        message: bytes,
        article_ids: Iterable[int],
        when: datetime,
        period: str | None = None,
        newest_article_id: int | None = None,
        kind: str = "digest",
    ) -> int:
        """Queue one rendered digest with the articles it holds, in one transaction.

        With `period`, the digest is that period's for the subscriber; raises `PeriodTaken`
        (and queues nothing) when the period already has one. `newest_article_id` is the
        newest article stored when the digest was made; `kind` is ``notice`` for a message
        that is not a digest (a confirmation request). Returns the row's id.
        """
        new = NewDigest(
            subscriber,
            envelope_from=envelope_from,
            subject=subject,
            message_id=message_id,
            message=message,
            article_ids=tuple(article_ids),
            when=when,
            period=period,
            newest_article_id=newest_article_id,
            kind=kind,
        )
        return self.queue_new(new)

    def queue_new(self, new: NewDigest) -> int:
        """`queue_digest` for a digest already gathered in a `NewDigest`."""
        (digest_id,) = self.queue_digests([new])
        if digest_id is None:
            raise PeriodTaken(f"The digest for period {new.period} was already decided.")
        return digest_id

    def queue_digests(self, digests: Sequence[NewDigest]) -> list[int | None]:
        """Queue several digests in one transaction (one write of the indexes they share,
        not one each); each is queued or not on its own, as `queue_digest` would. Returns
        their ids in order, None for a digest whose period already had one."""
        ids: list[int | None] = []
        with self._transaction() as db:
            for new in digests:
                db.execute("SAVEPOINT digest")
                try:
                    ids.append(_insert_digest(db, new))
                except PeriodTaken:
                    db.execute("ROLLBACK TO digest")
                    ids.append(None)
                db.execute("RELEASE digest")
        return ids

    def claim_next(
        self, *, now: datetime, owner: str, only: Collection[int] | None = None
    ) -> ClaimedDigest | None:
        """Mark the next due digest as being sent by `owner` and return it; None if none is due.

        Due means queued, or deferred with its next attempt at or before `now`, oldest first;
        with `only`, just the digests with those ids.
        """
        claimed = self.claim(now=now, owner=owner, only=only, limit=1)
        return claimed[0] if claimed else None

    def claim(
        self, *, now: datetime, owner: str, only: Collection[int] | None = None, limit: int
    ) -> list[ClaimedDigest]:
        """Like `claim_next`, for up to `limit` digests at once, in the order they are due.

        The due digests are read through their partial index (`digests_due`), named here: the
        planner would otherwise take the index on status and sort every queued digest on each
        claim, which a large run makes thousands of times."""
        if only is not None and not only:
            return []
        among = f"AND id IN ({', '.join('?' for _ in only)})" if only is not None else ""
        # Another worker may have claimed a row between the choice and the update: on
        # PostgreSQL the update then sees its new status, and leaves it.
        recheck = "AND status IN ('queued', 'deferred')" if self.shared else ""
        with self._transaction() as db:
            rows = db.execute(
                f"""UPDATE digests SET status = 'sending', claimed_by = ?, last_attempt = ?,
                        attempts = attempts + 1
                    WHERE id IN (
                        SELECT id FROM digests INDEXED BY digests_due
                        WHERE status IN ('queued', 'deferred') AND next_attempt <= ? {among}
                        ORDER BY next_attempt, id LIMIT ? {self._skip_locked}) {recheck}
                    RETURNING *""",
                (owner, stamp(now), stamp(now), *(only or ()), limit),
            ).fetchall()
            if not rows:
                return []
            marks = ", ".join("?" for _ in rows)
            messages = {
                int(found[0]): bytes(found[1])
                for found in db.execute(
                    f"SELECT digest_id, message FROM digest_messages WHERE digest_id IN ({marks})",
                    [row["id"] for row in rows],
                ).fetchall()
            }
        rows.sort(key=lambda row: (row["next_attempt"], row["id"]))
        return [
            ClaimedDigest(
                entry=_entry(row),
                envelope_from=str(row["envelope_from"]),
                message=messages[int(row["id"])],
            )
            for row in rows
        ]

    def mark_sent(
        self, digest_id: int, *, reply: str, backend: str, location: str, when: datetime
    ) -> None:
        """Record that the server took the digest: its articles now count as delivered."""
        with self._transaction() as db:
            db.execute(
                """UPDATE digests SET status = 'sent', sent = ?, last_reply = ?, backend = ?,
                       location = ?, claimed_by = NULL
                   WHERE id = ?""",
                (stamp(when), reply, backend, location, digest_id),
            )
            db.execute(
                """INSERT OR IGNORE INTO deliveries (subscriber_id, article_id, digest_id)
                   SELECT digests.subscriber_id, digest_articles.article_id, digests.id
                   FROM digests JOIN digest_articles ON digest_articles.digest_id = digests.id
                   WHERE digests.id = ?""",
                (digest_id,),
            )

    def mark_deferred(self, digest_id: int, *, reply: str, next_attempt: datetime) -> None:
        """Record a temporary failure; the digest is due again at `next_attempt`."""
        with self._transaction() as db:
            db.execute(
                """UPDATE digests SET status = 'deferred', last_reply = ?, next_attempt = ?,
                       claimed_by = NULL
                   WHERE id = ?""",
                (reply, stamp(next_attempt), digest_id),
            )

    def mark_failed(self, digest_id: int, *, reply: str) -> None:
        """Record a permanent failure; the digest's articles are offered again."""
        with self._transaction() as db:
            db.execute(
                """UPDATE digests SET status = 'failed', last_reply = ?, claimed_by = NULL
                   WHERE id = ?""",
                (reply, digest_id),
            )

    def release(self, digest_id: int) -> None:
        """Put a claimed digest back as it was, its attempt not counted (the send never
        started, for a reason that was not the digest's)."""
        with self._transaction() as db:
            db.execute(
                """UPDATE digests SET status = CASE WHEN attempts > 1 THEN 'deferred'
                                                    ELSE 'queued' END,
                       attempts = attempts - 1, claimed_by = NULL
                   WHERE id = ? AND status = 'sending'""",
                (digest_id,),
            )

    def sending(self) -> list[OutboxEntry]:
        """Digests marked as being sent, with who claimed them."""
        rows = self._read("SELECT * FROM digests WHERE status = 'sending' ORDER BY id")
        return [_entry(row) for row in rows]

    def requeue_stuck(self, stuck: Iterable[tuple[int, str]]) -> int:
        """Queue digests left in `sending` by a sender that is gone, given as (id, the
        sender that claimed it); their attempt counts. A digest claimed again meanwhile (by
        another worker that recovered it first) is left to its new sender. Returns how many
        were queued."""
        queued = 0
        with self._transaction() as db:
            for digest_id, owner in stuck:
                queued += db.execute(
                    """UPDATE digests SET status = 'queued', claimed_by = NULL
                       WHERE id = ? AND status = 'sending' AND claimed_by = ?""",
                    (digest_id, owner),
                ).rowcount
        return queued

    def requeue(self, digest_ids: Iterable[int], *, now: datetime) -> int:
        """Queue failed, deferred or stuck digests again, due at `now`; their give-up period
        starts again. Sent digests are left alone. Returns how many were queued."""
        ids = list(digest_ids)
        with self._transaction() as db:
            changed = 0
            for digest_id in ids:
                cursor = db.execute(
                    """UPDATE digests SET status = 'queued', next_attempt = ?, queued = ?,
                           claimed_by = NULL
                       WHERE id = ? AND status != 'sent' AND message_size IS NOT NULL""",
                    (stamp(now), stamp(now), digest_id),
                )
                changed += cursor.rowcount
        return changed

    def outbox_counts(self) -> dict[str, int]:
        """How many digests are in each status (every status present, zero included)."""
        counts = dict.fromkeys(STATUSES, 0)
        rows = self._read("SELECT status, count(*) FROM digests GROUP BY status")
        counts.update({str(row[0]): int(row[1]) for row in rows})
        return counts

    def outbox_entries(self, statuses: Iterable[str], *, limit: int = 1000) -> list[OutboxEntry]:
        """Digests in any of `statuses`, oldest first, at most `limit`."""
        wanted = list(statuses)
        marks = ", ".join("?" for _ in wanted)
        rows = self._read(
            f"SELECT * FROM digests WHERE status IN ({marks}) ORDER BY id LIMIT ?",
            (*wanted, limit),
        )
        return [_entry(row) for row in rows]

    def outbox_entry(self, digest_id: int) -> OutboxEntry | None:
        """The digest with this id, if there is one."""
        row = self._read_one("SELECT * FROM digests WHERE id = ?", (digest_id,))
        return _entry(row) if row is not None else None

    def outbox_message(self, digest_id: int) -> bytes | None:
        """The stored message of a digest (None once pruned, or for an unknown id)."""
        message = self._scalar(
            "SELECT message FROM digest_messages WHERE digest_id = ?", (digest_id,)
        )
        return bytes(message) if message is not None else None

    def prune_sent(self, *, before: datetime) -> int:
        """Drop the message of digests sent before `before` (the row stays). Returns how many."""
        with self._transaction() as db:
            ids = [
                (int(row[0]),)
                for row in db.execute(
                    """SELECT id FROM digests
                       WHERE status = 'sent' AND message_size IS NOT NULL AND sent < ?""",
                    (stamp(before),),
                ).fetchall()
            ]
            db.executemany("DELETE FROM digest_messages WHERE digest_id = ?", ids)
            db.executemany("UPDATE digests SET message_size = NULL WHERE id = ?", ids)
        return len(ids)


def _insert_digest(db: Connection, new: NewDigest) -> int:
    """Inside a transaction: the digest's row, message and articles, and its period's claim
    (which raises `PeriodTaken`). Returns its id."""
    now = stamp(new.when)
    subscriber_id = _subscriber_id(db, new.subscriber, now)
    digest_id = insert_id(
        db,
        """INSERT INTO digests (subscriber_id, recipient, envelope_from, subject,
               message_id, message_size, article_count, status, created, queued,
               next_attempt, newest_article_id, kind)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)""",
        (
            subscriber_id,
            new.subscriber.email,
            new.envelope_from,
            new.subject,
            new.message_id,
            len(new.message),
            len(new.article_ids),
            now,
            now,
            now,
            new.newest_article_id,
            new.kind,
        ),
    )
    db.execute("INSERT INTO digest_messages VALUES (?, ?)", (digest_id, new.message))
    db.executemany(
        "INSERT OR IGNORE INTO digest_articles VALUES (?, ?)",
        [(digest_id, article_id) for article_id in new.article_ids],
    )
    if new.period is not None:
        claim_period(db, subscriber_id, new.period, digest_id, now)
    return digest_id


def _subscriber_id(db: Connection, subscriber: Subscriber, now: str) -> int:
    """The subscriber's id; an address not known yet is kept as a one-off recipient."""
    db.execute(
        """INSERT INTO subscribers (email, name, timezone, origin, token, created, updated)
           VALUES (?, ?, ?, 'one-off', lower(hex(randomblob(16))), ?, ?)
           ON CONFLICT (email) DO NOTHING""",
        (subscriber.email, subscriber.name, subscriber.timezone, now, now),
    )
    row = db.execute("SELECT id FROM subscribers WHERE email = ?", (subscriber.email,)).fetchone()
    return int(row["id"])


def _entry(row: Row) -> OutboxEntry:
    return OutboxEntry(
        id=int(row["id"]),
        recipient=str(row["recipient"]),
        subject=str(row["subject"]),
        message_id=str(row["message_id"]),
        article_count=int(row["article_count"]),
        status=str(row["status"]),
        attempts=int(row["attempts"]),
        created=_time(row["created"]),
        queued=_time(row["queued"]),
        next_attempt=_time(row["next_attempt"]),
        last_attempt=parse_time(row["last_attempt"]),
        last_reply=str(row["last_reply"] or ""),
        sent=parse_time(row["sent"]),
        backend=str(row["backend"]),
        location=str(row["location"]),
        claimed_by=str(row["claimed_by"] or ""),
    )


def _time(value: str) -> datetime:
    parsed = parse_time(value)
    assert parsed is not None  # NOT NULL columns
    return parsed
