"""Subscribers in the store, and the periods whose digest has been decided.

A subscriber comes from the configuration file (``config``), the command line (``cli``) or
the sign-up page (``web``); an address given once with ``--to`` is kept as ``one-off`` so
its digests can be recorded, and is nobody's subscription. A *period* is one subscriber's
local day (``2026-11-26``) or ISO week (``2026-W48``); its row is written in the same
transaction that queues its digest (or records that it was empty or skipped), and the
primary key makes a second digest for the same period impossible.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, time

from digest.errors import StoreError
from digest.models import Subscriber
from digest.store._core import StoreCore, parse_time, stamp
from digest.store.dialect import INTEGRITY_ERRORS, Connection, Row

ORIGINS = ("config", "cli", "web")  # subscriptions; "one-off" addresses are not listed


class PeriodTaken(StoreError):
    """The period already has its digest (another tick or process got there first)."""


@dataclass(frozen=True, slots=True)
class StoredSubscriber:
    """A subscriber as the store knows them."""

    id: int
    subscriber: Subscriber
    origin: str
    created: datetime
    token: str  # random, part of the subscriber's signed links
    last_digest: datetime | None  # when their latest digest (not failed) was made


class SubscribersStore(StoreCore):
    """Queries about subscribers and their periods."""

    def save_subscriber(
        self, subscriber: Subscriber, *, origin: str, when: datetime, keep_status: bool = False
    ) -> None:
        """Add a subscriber, or update a known one's details and origin.

        With `keep_status`, a known subscriber keeps their status (the configuration file
        cannot resubscribe someone who unsubscribed); otherwise it becomes the given one.
        """
        values = _values(subscriber)
        with self._transaction() as db:
            db.execute(
                f"""INSERT INTO subscribers (email, name, timezone, send_at, weekly_on, sources,
                        status, origin, token, created, updated)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (email) DO UPDATE SET name = excluded.name,
                        timezone = excluded.timezone, send_at = excluded.send_at,
                        weekly_on = excluded.weekly_on, sources = excluded.sources,
                        origin = excluded.origin, updated = excluded.updated,
                        status = {"status" if keep_status else "excluded.status"}""",
                (*values, origin, secrets.token_hex(16), stamp(when), stamp(when)),
            )

    def set_status(self, email: str, status: str, *, when: datetime) -> bool:
        """Change a subscriber's status; False when the address is not a subscriber."""
        with self._transaction() as db:
            cursor = db.execute(
                f"""UPDATE subscribers SET status = ?, updated = ?
                    WHERE email = ? AND origin IN ({_ORIGIN_MARKS})""",
                (status, stamp(when), email, *ORIGINS),
            )
        return cursor.rowcount > 0

    def subscriber(self, email: str) -> StoredSubscriber | None:
        """The subscriber with this address, if there is one."""
        rows = self._subscriber_rows("subscribers.email = ?", (email,))
        return rows[0] if rows else None

    def subscriber_by_id(self, subscriber_id: int) -> StoredSubscriber | None:
        """The subscriber (or one-off recipient) with this id, if there is one."""
        rows = self._subscriber_rows("subscribers.id = ?", (subscriber_id,), one_off=True)
        return rows[0] if rows else None

    def recipient_keys(self, subscriber: Subscriber, *, when: datetime) -> tuple[int, str]:
        """(id, nonce) of an address, kept as a one-off recipient when it is not known."""
        with self._transaction() as db:
            db.execute(
                """INSERT INTO subscribers (email, name, timezone, origin, token, created,
                       updated)
                   VALUES (?, ?, ?, 'one-off', ?, ?, ?) ON CONFLICT (email) DO NOTHING""",
                (
                    subscriber.email,
                    subscriber.name,
                    subscriber.timezone,
                    secrets.token_hex(16),
                    stamp(when),
                    stamp(when),
                ),
            )
            row = db.execute(
                "SELECT id, token FROM subscribers WHERE email = ?", (subscriber.email,)
            ).fetchone()
        return int(row["id"]), str(row["token"])

    def set_status_by_id(
        self, subscriber_id: int, status: str, *, when: datetime, confirmed: bool = False
    ) -> None:
        """Change the status of the subscriber with this id (recording a confirmation)."""
        with self._transaction() as db:
            db.execute(
                """UPDATE subscribers SET status = ?, updated = ?,
                       confirmed = CASE WHEN ? THEN ? ELSE confirmed END
                   WHERE id = ?""",
                (status, stamp(when), confirmed, stamp(when), subscriber_id),
            )

    def notices_since(self, email: str, since: datetime) -> int:
        """How many notices (confirmation requests) were queued to `email` since `since`."""
        count = self._scalar(
            """SELECT count(*) FROM digests
               WHERE recipient = ? AND kind = 'notice' AND created >= ?""",
            (email, stamp(since)),
        )
        return int(count or 0)

    def subscribers(self, *, status: str | None = None) -> list[StoredSubscriber]:
        """Every subscriber (with `status`, when given), by address."""
        if status is None:
            return self._subscriber_rows("TRUE", ())
        return self._subscriber_rows("subscribers.status = ?", (status,))

    def _subscriber_rows(
        self, where: str, arguments: tuple[object, ...], *, one_off: bool = False
    ) -> list[StoredSubscriber]:
        origins = (*ORIGINS, "one-off") if one_off else ORIGINS
        marks = ", ".join("?" for _ in origins)
        rows = self._read(
            f"""SELECT subscribers.*, (
                    SELECT digests.created FROM digests
                    WHERE digests.subscriber_id = subscribers.id AND digests.kind = 'digest'
                        AND digests.status != 'failed'
                    ORDER BY digests.created DESC LIMIT 1
                ) AS last_digest
                FROM subscribers
                WHERE origin IN ({marks}) AND {where}
                ORDER BY email""",
            (*origins, *arguments),
        )
        return [_stored_subscriber(row) for row in rows]

    def previous_digest(self, email: str) -> tuple[datetime, int | None] | None:
        """When the latest digest for `email` that did not fail was made, and the newest
        article stored then (None for digests made before that was recorded)."""
        row = self._read_one(
            """SELECT created, newest_article_id FROM digests
               WHERE recipient = ? AND status != 'failed' AND kind = 'digest'
               ORDER BY id DESC LIMIT 1""",
            (email,),
        )
        if row is None:
            return None
        created = parse_time(row[0])
        assert created is not None  # NOT NULL
        return created, (int(row[1]) if row[1] is not None else None)

    def period_decided(self, email: str, period: str) -> bool:
        """Whether the period's digest was queued, found empty or skipped."""
        row = self._read_one(
            """SELECT 1 FROM periods JOIN subscribers ON subscribers.id = periods.subscriber_id
               WHERE subscribers.email = ? AND periods.period = ?""",
            (email, period),
        )
        return row is not None

    def decide_period(self, email: str, period: str, *, status: str, when: datetime) -> bool:
        """Record a period as ``empty`` or ``skipped``; False when it was already decided."""
        with self._transaction() as db:
            cursor = db.execute(
                """INSERT OR IGNORE INTO periods (subscriber_id, period, status, decided)
                   SELECT id, ?, ?, ? FROM subscribers WHERE email = ?""",
                (period, status, stamp(when), email),
            )
        return cursor.rowcount > 0

    def period_outcome(self, email: str, period: str) -> tuple[str, str | None] | None:
        """How `email`'s `period` was decided (``queued``, ``empty`` or ``skipped``) and, for
        a queued one, its digest's status in the outbox; None while it is undecided."""
        row = self._read_one(
            """SELECT periods.status, digests.status FROM periods
               JOIN subscribers ON subscribers.id = periods.subscriber_id
               LEFT JOIN digests ON digests.id = periods.digest_id
               WHERE subscribers.email = ? AND periods.period = ?""",
            (email, period),
        )
        if row is None:
            return None
        return str(row[0]), None if row[1] is None else str(row[1])

    def periods(self, email: str) -> list[tuple[str, str]]:
        """(period, status) of every decided period of `email`, oldest first."""
        rows = self._read(
            """SELECT period, periods.status FROM periods
               JOIN subscribers ON subscribers.id = periods.subscriber_id
               WHERE subscribers.email = ? ORDER BY period""",
            (email,),
        )
        return [(str(row[0]), str(row[1])) for row in rows]


_ORIGIN_MARKS = ", ".join("?" for _ in ORIGINS)


def claim_period(db: Connection, subscriber_id: int, period: str, digest_id: int, now: str) -> None:
    """Inside a transaction: record that `digest_id` is the period's digest.

    Raises `PeriodTaken` when the period already has one; the caller's transaction then
    rolls back, and the digest with it.
    """
    try:
        db.execute(
            """INSERT INTO periods (subscriber_id, period, status, digest_id, decided)
               VALUES (?, ?, 'queued', ?, ?)""",
            (subscriber_id, period, digest_id, now),
        )
    except INTEGRITY_ERRORS as exc:
        raise PeriodTaken(f"The digest for period {period} was already decided.") from exc


def _values(subscriber: Subscriber) -> tuple[object, ...]:
    return (
        subscriber.email,
        subscriber.name,
        subscriber.timezone,
        subscriber.send_at.strftime("%H:%M"),
        subscriber.weekly_on,
        json.dumps(list(subscriber.sources)),
        subscriber.status,
    )


def _stored_subscriber(row: Row) -> StoredSubscriber:
    hours, minutes = str(row["send_at"]).split(":")
    created = parse_time(row["created"])
    assert created is not None  # NOT NULL
    return StoredSubscriber(
        id=int(row["id"]),
        subscriber=Subscriber(
            email=str(row["email"]),
            name=str(row["name"]),
            timezone=str(row["timezone"]),
            send_at=time(int(hours), int(minutes)),
            weekly_on=row["weekly_on"],
            sources=tuple(json.loads(row["sources"])),
            status=str(row["status"]),
        ),
        origin=str(row["origin"]),
        created=created,
        token=str(row["token"] or ""),
        last_digest=parse_time(row["last_digest"]),
    )
