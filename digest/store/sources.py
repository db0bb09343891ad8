"""Sources in the store: those added on the command line, and every source's fetch state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from digest.errors import StoreError
from digest.models import Source, SourceKind
from digest.store._core import StoreCore, parse_time

FAILED: Final = ("error", "deferred")
"""The fetch statuses that count as a failure: what a working source never reports."""


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the store remembers about fetching one source. While it fails, `failing_since`
    is when its current run of failures began and `failed_attempts` how many fetches have
    failed since; a fetch that works clears both."""

    etag: str | None = None
    last_modified: str | None = None
    last_fetched: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    retry_after: datetime | None = None
    failing_since: datetime | None = None
    failed_attempts: int = 0


class SourcesStore(StoreCore):
    """Queries about sources."""

    def sync_source(self, source: Source) -> None:
        """Record a source, keeping its fetch state; a moved source forgets its validators."""
        with self._transaction() as db:
            db.execute(
                """INSERT INTO sources (name, kind, location, origin, full_text, allow_private,
                       language) VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET kind = excluded.kind,
                       location = excluded.location, origin = excluded.origin,
                       full_text = excluded.full_text, allow_private = excluded.allow_private,
                       language = excluded.language,
                       etag = CASE WHEN sources.location = excluded.location
                                   THEN sources.etag END,
                       last_modified = CASE WHEN sources.location = excluded.location
                                            THEN sources.last_modified END""",
                _source_values(source),
            )

    def add_source(self, source: Source) -> None:
        """Add a source from the command line. Raises `StoreError` if the name is taken."""
        with self._transaction() as db:
            taken = db.execute("SELECT origin FROM sources WHERE name = ?", (source.name,))
            if taken.fetchone() is not None:
                raise StoreError(
                    f"A source named {source.name!r} exists already; choose another --name."
                )
            db.execute(
                """INSERT INTO sources (name, kind, location, origin, full_text, allow_private,
                       language) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                _source_values(source),
            )

    def remove_source(self, name: str) -> bool:
        """Forget a source and which of its items were seen; its articles stay."""
        with self._transaction() as db:
            return db.execute("DELETE FROM sources WHERE name = ?", (name,)).rowcount > 0

    def sources(self, origin: str | None = None) -> list[Source]:
        """Known sources (only those of one `origin` when given), by name."""
        rows = self._read(
            "SELECT * FROM sources WHERE ? IS NULL OR origin = ? ORDER BY name COLLATE NOCASE",
            (origin, origin),
        )
        return [
            Source(
                name=row["name"],
                kind=SourceKind(row["kind"]),
                location=row["location"],
                language=row["language"],
                full_text=row["full_text"],
                allow_private=bool(row["allow_private"]),
                origin=row["origin"],
            )
            for row in rows
        ]

    def source_state(self, name: str) -> SourceState:
        """The fetch state of a source (empty when the source is new)."""
        row = self._read_one("SELECT * FROM sources WHERE name = ?", (name,))
        if row is None:
            return SourceState()
        return SourceState(
            etag=row["etag"],
            last_modified=row["last_modified"],
            last_fetched=parse_time(row["last_fetched"]),
            last_status=row["last_status"],
            last_error=row["last_error"],
            retry_after=parse_time(row["retry_after"]),
            failing_since=parse_time(row["failing_since"]),
            failed_attempts=row["failed_attempts"],
        )

    def record_fetch(
        self,
        name: str,
        *,
        when: datetime,
        status: str,
        error: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        retry_after: datetime | None = None,
        forget_validators: bool = False,
    ) -> None:
        """Record how fetching a source went. Validators are kept unless new ones are given,
        or dropped with `forget_validators` (the next fetch is then unconditional: the source
        has items left that this collection did not take). A status in `FAILED` after one
        that worked starts a run of failures at `when`; later ones keep its start and count
        the attempts; any other status ends it."""
        failed = status in FAILED
        with self._transaction() as db:
            db.execute(
                """UPDATE sources SET last_fetched = ?, last_status = ?, last_error = ?,
                       etag = CASE WHEN ? THEN NULL ELSE COALESCE(?, etag) END,
                       last_modified = CASE WHEN ? THEN NULL
                                            ELSE COALESCE(?, last_modified) END,
                       retry_after = ?,
                       failing_since = CASE WHEN ? THEN COALESCE(failing_since, ?) END,
                       failed_attempts = CASE WHEN ? THEN failed_attempts + 1 ELSE 0 END
                   WHERE name = ?""",
                (
                    when.isoformat(),
                    status,
                    error,
                    forget_validators,
                    etag,
                    forget_validators,
                    last_modified,
                    retry_after.isoformat() if retry_after else None,
                    failed,
                    when.isoformat(),
                    failed,
                    name,
                ),
            )


def _source_values(source: Source) -> tuple[object, ...]:
    return (
        source.name,
        source.kind.value,
        source.location,
        source.origin,
        source.full_text,
        int(source.allow_private),
        source.language,
    )
