"""The store's connection: opening, WAL mode, transactions and migrations."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from digest.errors import StoreError
from digest.store.migrations import MIGRATIONS

LOCK_WAIT = 30.0  # seconds a transaction waits for another process's to end
_FIRST_PAUSE = 0.00005  # seconds; doubled after each try, up to _LONGEST_PAUSE
_LONGEST_PAUSE = 0.005


class StoreCore:
    """One SQLite connection, migrated to the current schema."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path) if path != ":memory:" else None
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                str(path), isolation_level=None, timeout=30, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            # One connection may serve several threads (the sender's, beside the one queueing
            # digests); a transaction holds this lock so no other thread's statement joins it.
            self._lock = threading.RLock()
            if self.path is not None:
                self._db.execute("PRAGMA journal_mode = WAL")
                # With WAL, NORMAL loses no committed data on a crash of digest itself.
                self._db.execute("PRAGMA synchronous = NORMAL")
                # Fewer, larger checkpoints: each one syncs the files twice.
                self._db.execute("PRAGMA wal_autocheckpoint = 8000")
            self._migrate()
            self._db.execute("PRAGMA foreign_keys = ON")
            # From here a transaction waits for the write lock itself (`_begin`), in steps
            # far shorter than SQLite's own busy handler, which sleeps a millisecond or more.
            self._db.execute("PRAGMA busy_timeout = 0")
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"Cannot open the store at {path}: {exc}.") from exc

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._lock:
                self._begin()
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"The store at {self.path or ':memory:'} failed: {exc}.") from exc

    def _begin(self) -> None:
        """Start a write transaction, waiting up to `LOCK_WAIT` for another process's to end.

        Writers are short (one digest, one source), so the lock is usually free again within
        a fraction of a millisecond: the waits start at 50 microseconds and double."""
        deadline = time.monotonic() + LOCK_WAIT
        pause = _FIRST_PAUSE
        while True:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, _LONGEST_PAUSE)

    def _read(self, sql: str, arguments: Sequence[object] = ()) -> list[sqlite3.Row]:
        """Every row of one query, read under the lock.

        No statement is left open: an open one holds a read snapshot, and another thread's
        transaction on this connection could not then write (SQLite refuses to upgrade a
        stale snapshot, at once, whatever the timeout).
        """
        try:
            with self._lock:
                return self._db.execute(sql, arguments).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"The store at {self.path or ':memory:'} failed: {exc}.") from exc

    def _read_one(self, sql: str, arguments: Sequence[object] = ()) -> sqlite3.Row | None:
        """The first row of one query, or None."""
        rows = self._read(sql, arguments)
        return rows[0] if rows else None

    def _scalar(self, sql: str, arguments: Sequence[object] = ()) -> Any:
        """The first value of the first row of one query (an aggregate), or None."""
        row = self._read_one(sql, arguments)
        return row[0] if row is not None else None

    def _migrate(self) -> None:
        # Foreign keys stay off while tables are rebuilt (the pragma is a no-op inside a
        # transaction), and are checked once every migration has run.
        self._db.execute("PRAGMA foreign_keys = OFF")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied TEXT)"
        )
        applied = {row[0] for row in self._db.execute("SELECT name FROM schema_migrations")}
        pending = [(name, migration) for name, migration in MIGRATIONS if name not in applied]
        for name, migration in pending:
            with self._transaction() as db:
                migration(db)
                db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (name, now_text()))
        # The check reads every table: it runs after a migration changed them, and on
        # demand (`check`), never on a plain open, which stays O(1) however large the store.
        if pending:
            problems = self._db.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise StoreError(f"The store at {self.path} has broken references: {problems[:3]}.")

    def check(self) -> list[str]:
        """Problems found by SQLite's integrity check and a check of every reference
        between tables, one line each; empty when the store is sound. Reads the whole
        store."""
        with self._lock:
            try:
                found = [
                    str(row[0])
                    for row in self._db.execute("PRAGMA integrity_check")
                    if row[0] != "ok"
                ]
                found += [
                    f"{row[0]} row {row[1]} refers to a missing row of {row[2]}"
                    for row in self._db.execute("PRAGMA foreign_key_check")
                ]
            except sqlite3.Error as exc:
                raise StoreError(f"The store at {self.path or ':memory:'} failed: {exc}.") from exc
        return found

    def vacuum(self) -> None:
        """Rewrite the database file without the space freed rows left behind."""
        with self._lock:
            try:
                # VACUUM needs the database to itself: let SQLite wait for other writers.
                self._db.execute(f"PRAGMA busy_timeout = {int(LOCK_WAIT * 1000)}")
                try:
                    self._db.execute("VACUUM")
                finally:
                    self._db.execute("PRAGMA busy_timeout = 0")
            except sqlite3.Error as exc:
                raise StoreError(f"The store at {self.path or ':memory:'} failed: {exc}.") from exc

    def applied_migrations(self) -> list[str]:
        """Names of the migrations applied to this database, in order."""
        rows = self._db.execute("SELECT name FROM schema_migrations ORDER BY name")
        return [row[0] for row in rows]


def _busy(exc: sqlite3.OperationalError) -> bool:
    """Whether `exc` says another connection holds the lock."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


def now_text() -> str:
    return datetime.now(UTC).isoformat()


def stamp(moment: datetime) -> str:
    """`moment` as fixed-width UTC text, so that stored times sort as text."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
