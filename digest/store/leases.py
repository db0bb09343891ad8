"""Work shared by several workers on one store: sources leased for collection, and the
periods whose digest a worker has claimed to render.

With one `digest serve` on SQLite (the lock file keeps it alone) none of this is needed,
and the service does not use it. On PostgreSQL, several workers collect and send at once:

- a *source* is collected once per collection interval whatever the number of workers: just
  before collecting it, a worker leases it if its last collection began an interval ago or
  more and nobody holds it, sets when its collection began, and lets it go once collected.
  The claim passes over a row another worker is claiming at that moment (``FOR UPDATE SKIP
  LOCKED``) rather than waiting for it. A worker that dies keeps its sources until its
  lease runs out; then they are due again and another worker collects them.
- a *period's* digest is rendered by the worker that claimed it: the claim is a row per
  subscriber and period, taken when none exists or the one there has run out (its worker
  died before queueing). The period's row in `periods`, written when the digest is queued,
  remains what makes a second digest impossible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from digest.store._core import StoreCore, parse_time, stamp


@dataclass(frozen=True, slots=True)
class SourceLease:
    """Who holds a source for collection, and when its last collection began."""

    name: str
    owner: str | None
    until: datetime | None
    collected: datetime | None


_DUE = """(lease_until IS NULL OR lease_until <= ?) AND (collected IS NULL OR collected <= ?)"""


class LeasesStore(StoreCore):
    """Leases on sources and claims on periods."""

    def claim_source(
        self, name: str, *, owner: str, now: datetime, interval: timedelta, lease: timedelta
    ) -> bool:
        """Lease the source `name` to `owner`, until `now` + `lease`, if nobody holds it and
        its last collection began at least `interval` before `now`; whether it did."""
        due = (stamp(now), stamp(now - interval))
        with self._transaction() as db:
            rows = db.execute(
                f"""UPDATE sources SET lease_owner = ?, lease_until = ?, collected = ?
                    WHERE id IN (SELECT id FROM sources WHERE name = ? AND {_DUE}
                                 {self._skip_locked})
                        AND {_DUE}
                    RETURNING id""",
                (owner, stamp(now + lease), stamp(now), name, *due, *due),
            ).fetchall()
        return bool(rows)

    def release_source(self, name: str, *, owner: str) -> None:
        """Let go of the source `owner` leased (unless another worker took it over)."""
        with self._transaction() as db:
            db.execute(
                """UPDATE sources SET lease_owner = NULL, lease_until = NULL
                   WHERE name = ? AND lease_owner = ?""",
                (name, owner),
            )

    def source_leases(self) -> list[SourceLease]:
        """Every source's lease and last collection, by name."""
        rows = self._read(
            "SELECT name, lease_owner, lease_until, collected FROM sources ORDER BY name"
        )
        return [
            SourceLease(
                name=str(row[0]),
                owner=row[1],
                until=parse_time(row[2]),
                collected=parse_time(row[3]),
            )
            for row in rows
        ]

    def claim_period_digest(
        self, email: str, period: str, *, owner: str, now: datetime, lease: timedelta
    ) -> bool:
        """Claim the rendering of `email`'s digest for `period` for `owner`, until `now` +
        `lease`; False when another worker holds the claim (or the address is unknown)."""
        with self._transaction() as db:
            cursor = db.execute(
                """INSERT INTO period_claims (subscriber_id, period, owner, until)
                   SELECT id, ?, ?, ? FROM subscribers WHERE email = ?
                   ON CONFLICT (subscriber_id, period) DO UPDATE
                       SET owner = excluded.owner, until = excluded.until
                       WHERE period_claims.until <= ? OR period_claims.owner = excluded.owner""",
                (period, owner, stamp(now + lease), email, stamp(now)),
            )
            return cursor.rowcount > 0
