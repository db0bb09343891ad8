"""The store's connection: opening (SQLite in WAL mode, or PostgreSQL), transactions and
migrations."""

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
from digest.models import StoreAddress
from digest.store.dialect import (
    ENGINE_ERRORS,
    POSTGRESQL,
    SKIP_LOCKED,
    Connection,
    Row,
    open_postgres,
    target,
)
from digest.store.migrations import MIGRATIONS

LOCK_WAIT = 30.0  # seconds a transaction waits for another process's to end
_FIRST_PAUSE = 0.00005  # seconds; doubled after each try, up to _LONGEST_PAUSE
_LONGEST_PAUSE = 0.005
_MIGRATION_LOCK = 0x6469676573  # "diges": the advisory lock held while migrating


class StoreCore:
    """One connection to a SQLite file or a PostgreSQL database, migrated to the current
    schema (see `digest.store.dialect` for what differs between the two)."""

    def __init__(self, where: Path | str | StoreAddress) -> None:
        self.target = target(where)
        self.path = self.target.path
        self.shared = self.target.engine == POSTGRESQL
        self._where = self.target.describe()
        # Where another process opens this same store (None for an in-memory database).
        self.address: StoreAddress | None = None
        if self.shared:
            self.address = StoreAddress(self.target.url, self.target.password_env)
        elif self.path is not None:
            self.address = StoreAddress(f"sqlite:///{self.path}")
        # One connection may serve several threads (the sender's, beside the one queueing
        # digests); a transaction holds this lock so no other thread's statement joins it.
        self._lock = threading.RLock()
        # Rows another worker has claimed are passed over, not waited for (PostgreSQL only).
        self._skip_locked = SKIP_LOCKED if self.shared else ""
        if self.shared:
            self._db: Connection = open_postgres(self.target)
            try:
                self._migrate_postgres()
            except ENGINE_ERRORS as exc:
                self.close()
                raise StoreError(f"Cannot open the store at {self._where}: {exc}.") from exc
            return
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._sqlite = sqlite3.connect(
                str(self.path or ":memory:"),
                isolation_level=None,
                timeout=LOCK_WAIT,  # until `_begin` takes over, once migrated
                check_same_thread=False,
            )
            self._sqlite.row_factory = sqlite3.Row
            self._db = self._sqlite
            if self.path is not None:
                self._sqlite.execute("PRAGMA journal_mode = WAL")
                # With WAL, NORMAL loses no committed data on a crash of digest itself.
                self._sqlite.execute("PRAGMA synchronous = NORMAL")
                # Fewer, larger checkpoints: each one syncs the files twice.
                self._sqlite.execute("PRAGMA wal_autocheckpoint = 8000")
            self._migrate()
            self._sqlite.execute("PRAGMA foreign_keys = ON")
            # From here a transaction waits for the write lock itself (`_begin`), in steps
            # far shorter than SQLite's own busy handler, which sleeps a millisecond or more.
            self._sqlite.execute("PRAGMA busy_timeout = 0")
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"Cannot open the store at {self._where}: {exc}.") from exc

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        try:
            with self._lock:
                self._begin()
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
        except ENGINE_ERRORS as exc:
            raise StoreError(f"The store at {self._where} failed: {exc}.") from exc

    def _begin(self) -> None:
        """Start a write transaction. On SQLite, wait up to `LOCK_WAIT` for another process's
        to end: writers are short (one digest, one source), so the lock is usually free
        again within a fraction of a millisecond, and the waits start at 50 microseconds and
        double. (PostgreSQL locks rows, not the database: its BEGIN never waits.)"""
        if self.shared:
            self._db.execute("BEGIN")
            return
        deadline = time.monotonic() + LOCK_WAIT
        pause = _FIRST_PAUSE
        while True:
            try:
                self._sqlite.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, _LONGEST_PAUSE)

    def _read(self, sql: str, arguments: Sequence[object] = ()) -> list[Row]:
        """Every row of one query, read under the lock.

        No statement is left open: an open one holds a read snapshot, and another thread's
        transaction on this connection could not then write (SQLite refuses to upgrade a
        stale snapshot, at once, whatever the timeout).
        """
        try:
            with self._lock:
                return self._db.execute(sql, arguments).fetchall()
        except ENGINE_ERRORS as exc:
            raise StoreError(f"The store at {self._where} failed: {exc}.") from exc

    def _read_one(self, sql: str, arguments: Sequence[object] = ()) -> Row | None:
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
        pending = self._apply_migrations()
        # The check reads every table: it runs after a migration changed them, and on
        # demand (`check`), never on a plain open, which stays O(1) however large the store.
        if pending:
            problems = self._db.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise StoreError(
                    f"The store at {self._where} has broken references: {problems[:3]}."
                )

    def _migrate_postgres(self) -> None:
        # A worker opens the store for every job: when nothing is pending, that costs one
        # read. Several workers may start at once: one migrates while the others wait, then
        # finds nothing left to do. PostgreSQL checks every reference as each row is written.
        if self._db.execute("SELECT to_regclass('schema_migrations')").fetchone()[0]:
            rows = self._db.execute("SELECT name FROM schema_migrations").fetchall()
            if {name for name, _ in MIGRATIONS} <= {row[0] for row in rows}:
                return
        self._db.execute("SELECT pg_advisory_lock(?)", (_MIGRATION_LOCK,))
        try:
            self._apply_migrations()
        finally:
            self._db.execute("SELECT pg_advisory_unlock(?)", (_MIGRATION_LOCK,))

    def _apply_migrations(self) -> list[str]:
        """Apply the migrations this database lacks, each in its own transaction with the
        record that it was applied; returns their names."""
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied TEXT)"
        )
        rows = self._db.execute("SELECT name FROM schema_migrations").fetchall()
        applied = {row[0] for row in rows}
        pending = [(name, migration) for name, migration in MIGRATIONS if name not in applied]
        for name, migration in pending:
            with self._transaction() as db:
                migration(db)
                db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (name, now_text()))
        return [name for name, _ in pending]

    def check(self) -> list[str]:
        """Problems found by SQLite's integrity check and a check of every reference
        between tables, one line each; empty when the store is sound. Reads the whole
        store. (PostgreSQL checks references as rows are written; there, each table is
        read through once.)"""
        with self._lock:
            try:
                if self.shared:
                    return self._check_postgres()
                found = [
                    str(row[0])
                    for row in self._db.execute("PRAGMA integrity_check").fetchall()
                    if row[0] != "ok"
                ]
                found += [
                    f"{row[0]} row {row[1]} refers to a missing row of {row[2]}"
                    for row in self._db.execute("PRAGMA foreign_key_check").fetchall()
                ]
            except ENGINE_ERRORS as exc:
                raise StoreError(f"The store at {self._where} failed: {exc}.") from exc
        return found

    def _check_postgres(self) -> list[str]:
        found = []
        for table in self.tables():
            try:
                self._db.execute(f'SELECT count(*) FROM "{table}"').fetchall()
            except ENGINE_ERRORS as exc:
                found.append(f"{table}: {exc}")
        return found

    def tables(self) -> list[str]:
        """Names of the store's tables, sorted."""
        if self.shared:
            sql = """SELECT table_name FROM information_schema.tables
                     WHERE table_schema = current_schema() ORDER BY table_name"""
        else:
            sql = """SELECT name FROM sqlite_master
                     WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"""
        return [str(row[0]) for row in self._read(sql)]

    def columns(self, table: str) -> list[str]:
        """Names of `table`'s columns, sorted."""
        if self.shared:
            rows = self._read(
                """SELECT column_name FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = ?""",
                (table,),
            )
        else:
            rows = self._read("SELECT name FROM pragma_table_info(?)", (table,))
        return sorted(str(row[0]) for row in rows)

    def count(self, table: str) -> int:
        """How many rows `table` holds (one of the store's own tables)."""
        if table not in self.tables():
            raise StoreError(f"The store at {self._where} has no table {table!r}.")
        return int(self._scalar(f'SELECT count(*) FROM "{table}"'))

    def vacuum(self) -> None:
        """Rewrite the database without the space freed rows left behind (on PostgreSQL,
        mark that space free for reuse and refresh the planner's statistics)."""
        with self._lock:
            try:
                if self.shared:
                    self._db.execute("VACUUM ANALYZE")
                    return
                # VACUUM needs the database to itself: let SQLite wait for other writers.
                self._sqlite.execute(f"PRAGMA busy_timeout = {int(LOCK_WAIT * 1000)}")
                try:
                    self._sqlite.execute("VACUUM")
                finally:
                    self._sqlite.execute("PRAGMA busy_timeout = 0")
            except ENGINE_ERRORS as exc:
                raise StoreError(f"The store at {self._where} failed: {exc}.") from exc

    def applied_migrations(self) -> list[str]:
        """Names of the migrations applied to this database, in order."""
        rows = self._read("SELECT name FROM schema_migrations ORDER BY name")
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
