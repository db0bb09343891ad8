"""Copying a SQLite store into an empty PostgreSQL database (``digest store copy``).

Every table is copied whole, parents before the rows that refer to them, in one transaction
on the target: either all of the store arrives or none of it. Rows are read from SQLite in
batches in rowid order and loaded with PostgreSQL's ``COPY``; the identity sequences then
continue after the highest copied id, and each table's count is compared on both sides.
"""

from __future__ import annotations

from collections.abc import Iterator

from digest.errors import StoreError
from digest.store._core import StoreCore
from digest.store.dialect import PostgresConnection

# Parents first, so that every reference finds its row.
TABLES = (
    "sources",
    "articles",
    "items",
    "full_texts",
    "subscribers",
    "digests",
    "digest_articles",
    "deliveries",
    "periods",
)
_IDENTITIES = ("sources", "articles", "subscribers", "digests")  # tables with an `id` key
_BATCH = 2000


def copy_store(source: StoreCore, target: StoreCore) -> list[tuple[str, int]]:
    """Copy every row of the SQLite store `source` into the empty PostgreSQL store `target`
    (both migrated to the current schema). Returns (table, rows) for each table, once the
    counts on both sides are equal. Raises `StoreError` when `target` holds rows already
    or a count differs."""
    if source.shared or not target.shared:
        raise StoreError("digest store copy copies a SQLite store into a PostgreSQL database.")
    missing = [
        name for name in source.applied_migrations() if name not in target.applied_migrations()
    ]
    if missing:
        raise StoreError(
            f"The store at {target.target.describe()} lacks migrations {', '.join(missing)}; "
            "upgrade digest where it runs, then copy again."
        )
    filled = [(table, count) for table in TABLES if (count := target.count(table))]
    if filled:
        listed = ", ".join(f"{table} ({count:,})" for table, count in filled)
        raise StoreError(
            f"The store at {target.target.describe()} is not empty ({listed}); "
            "copy into an empty database."
        )
    with target._transaction() as db:
        assert isinstance(db, PostgresConnection)  # a shared store is PostgreSQL's
        for table in TABLES:
            columns = source.columns(table)
            db.copy_rows(table, columns, _rows(source, table, columns))
        for table in _IDENTITIES:
            db.execute(
                f"""SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                       COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"""
            )
    counts = [(table, source.count(table), target.count(table)) for table in TABLES]
    differ = [
        f"{table}: {mine:,} here, {theirs:,} there"
        for table, mine, theirs in counts
        if mine != theirs
    ]
    if differ:
        raise StoreError(f"The copy does not match the store: {'; '.join(differ)}.")
    return [(table, mine) for table, mine, _ in counts]


def _rows(source: StoreCore, table: str, columns: list[str]) -> Iterator[tuple[object, ...]]:
    """Every row of `table` in the SQLite store, `columns` in that order, batch by batch."""
    names = ", ".join(f'"{column}"' for column in columns)
    last = None
    while True:
        batch = source._read(
            f"""SELECT rowid, {names} FROM "{table}" WHERE ? IS NULL OR rowid > ?
                ORDER BY rowid LIMIT ?""",
            (last, last, _BATCH),
        )
        for row in batch:
            yield tuple(row[index] for index in range(1, len(columns) + 1))
        if len(batch) < _BATCH:
            return
        last = batch[-1][0]
