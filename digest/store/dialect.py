"""The two engines behind the store: SQLite (the default) and PostgreSQL.

Everything that differs between them is here, and nowhere else. The store's SQL is written
once, in SQLite's dialect; on PostgreSQL each statement is translated once (and cached) by
`postgres_sql`: ``?`` and ``:name`` placeholders become psycopg's, a literal ``%`` is
doubled, and the few SQLite-only phrases become their PostgreSQL equivalents (``INSERT OR
IGNORE``, ``INDEXED BY``, ``COLLATE NOCASE``, ``json_group_array``, ``julianday``, a random
token). Schema text goes through `postgres_ddl` as well (``INTEGER PRIMARY KEY`` becomes an
identity column, ``INTEGER`` a 64-bit ``BIGINT``, ``BLOB`` ``BYTEA``). On SQLite, statements
run as written, so that path costs nothing more than it did before PostgreSQL existed.

A connection of either engine is used through the same small interface (`Connection`,
`Cursor`, `Row`): `sqlite3.Connection` has it already; `PostgresConnection` gives it to a
psycopg connection, and turns psycopg's errors into `EngineError` (and `EngineIntegrityError`
for a broken unique key), so that the store catches `ENGINE_ERRORS` without importing
psycopg, which is needed only when a PostgreSQL store is opened.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from digest.errors import StoreError
from digest.models import StoreAddress

SQLITE, POSTGRESQL = "sqlite", "postgresql"
SKIP_LOCKED = "FOR UPDATE SKIP LOCKED"  # a claim passes over rows others are claiming


class EngineError(Exception):
    """A PostgreSQL statement failed (psycopg's error, with its message)."""


class EngineIntegrityError(EngineError):
    """A PostgreSQL statement broke a unique key or another constraint."""


ENGINE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, EngineError)
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError, EngineIntegrityError)


class Row(Protocol):
    """A result row, read by position (``row[0]``) or by column name (``row["id"]``)."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """What the store's queries use of a connection; `sqlite3.Connection` is one."""

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Target:
    """Where a store lives: a SQLite file (or ``:memory:``), or a PostgreSQL URL."""

    engine: str
    path: Path | None = None  # SQLite: the file, None for an in-memory database
    url: str = ""  # PostgreSQL: the URL, without a password
    password_env: str = ""  # PostgreSQL: the environment variable holding the password

    def describe(self) -> str:
        """Where the store is, fit for a message or a log line (no password in it)."""
        if self.engine == SQLITE:
            return str(self.path) if self.path is not None else ":memory:"
        return safe_url(self.url)


def target(where: Path | str | StoreAddress) -> Target:
    """The `Target` of a path, a URL, or a configured `StoreAddress`."""
    if isinstance(where, StoreAddress):
        url, password_env = where.url, where.password_env
    else:
        url, password_env = str(where), ""
    if url == ":memory:":
        return Target(SQLITE)
    if url.startswith("sqlite://"):
        # As SQLAlchemy writes them: sqlite:///relative/path, sqlite:////absolute/path.
        path = url.removeprefix("sqlite://").removeprefix("/")
        return Target(SQLITE) if path in ("", ":memory:") else Target(SQLITE, Path(path))
    if url.startswith(("postgresql://", "postgres://")):
        if urlsplit(url).password is not None:
            raise StoreError(
                f"The store URL {safe_url(url)} holds a password; put the password in the "
                "environment variable named by [store] password_env instead."
            )
        return Target(POSTGRESQL, url=url, password_env=password_env)
    if "://" in url:
        raise StoreError(
            f"The store URL {safe_url(url)} is neither sqlite:///path nor postgresql://..."
        )
    return Target(SQLITE, Path(url))


def safe_url(url: str) -> str:
    """`url` with any password in it replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = unquote(parts.username or "")
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def open_postgres(where: Target) -> PostgresConnection:
    """A connection to the PostgreSQL database at `where`, in autocommit mode (the store
    begins and commits its own transactions). Raises `StoreError` when psycopg is missing
    or the server cannot be reached."""
    try:
        import psycopg
    except ImportError as exc:
        raise StoreError(
            "A PostgreSQL store needs psycopg: pip install 'digest[postgresql]'."
        ) from exc
    password = os.environ.get(where.password_env) if where.password_env else None
    try:
        connection = psycopg.connect(
            where.url,
            autocommit=True,
            password=password,
            cursor_factory=psycopg.ClientCursor,
            connect_timeout=30,
            application_name="digest",
        )
    except psycopg.Error as exc:
        raise StoreError(
            f"Cannot open the store at {where.describe()}: {_first_line(exc)}."
        ) from exc
    return PostgresConnection(connection)


class PostgresConnection:
    """A psycopg connection with the store's interface: SQLite-dialect SQL in, rows that
    read like `sqlite3.Row` out, `EngineError` for a failure.

    Parameters are bound on the client side (``ClientCursor``), as SQLite binds them: a
    statement's parameter may then be compared with NULL or used as a condition without a
    declared type.
    """

    def __init__(self, connection: Any) -> None:
        import psycopg

        self._connection = connection
        self._errors = psycopg.Error
        self._integrity = psycopg.IntegrityError

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        try:
            cursor = self._connection.cursor(row_factory=_row_factory)
            cursor.execute(postgres_sql(sql), _parameters(parameters))
        except self._errors as exc:
            raise self._engine_error(exc) from exc
        return _PostgresCursor(cursor)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Cursor:
        try:
            cursor = self._connection.cursor(row_factory=_row_factory)
            rows = [_parameters(each) for each in parameters]
            if rows:
                cursor.executemany(postgres_sql(sql), rows)
        except self._errors as exc:
            raise self._engine_error(exc) from exc
        return _PostgresCursor(cursor)

    def close(self) -> None:
        self._connection.close()

    def copy_rows(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> int:
        """Load `rows` into `table` with ``COPY`` (far faster than one ``INSERT`` a row);
        returns how many were loaded."""
        names = ", ".join(f'"{column}"' for column in columns)
        count = 0
        try:
            with (
                self._connection.cursor() as cursor,
                cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy,
            ):
                for row in rows:
                    copy.write_row(tuple(_value(value) for value in row))
                    count += 1
        except self._errors as exc:
            raise self._engine_error(exc) from exc
        return count

    def _engine_error(self, exc: Exception) -> EngineError:
        kind = EngineIntegrityError if isinstance(exc, self._integrity) else EngineError
        return kind(_first_line(exc))


class _PostgresCursor:
    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description is not None else None

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall()) if self._cursor.description is not None else []


class PostgresRow(tuple[Any, ...]):
    """A PostgreSQL result row that reads like `sqlite3.Row`: by position or by name."""

    __slots__ = ()
    _names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    description = cursor.description
    if description is None:
        return tuple
    return _row_type(tuple(column.name for column in description))


@lru_cache(maxsize=256)
def _row_type(names: tuple[str, ...]) -> type[PostgresRow]:
    """The row class of one result's columns (made once per set of columns)."""
    where = {name: index for index, name in reversed(list(enumerate(names)))}
    return type("Row", (PostgresRow,), {"__slots__": (), "_names": where})


def _parameters(parameters: Any) -> Any:
    """Parameters as psycopg binds them: `memoryview` (SQLite's BLOB) as bytes."""
    if isinstance(parameters, dict):
        return {key: _value(value) for key, value in parameters.items()}
    return tuple(_value(value) for value in parameters)


def _value(value: object) -> object:
    return bytes(value) if isinstance(value, memoryview) else value


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(".")


# -- SQL translation ---------------------------------------------------------------------

_LITERAL = re.compile(r"('(?:[^']|'')*')")
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\s+INDEXED BY \w+"), ""),
    (re.compile(r"(\w+(?:\.\w+)?) COLLATE NOCASE"), r"lower(\1)"),
    (re.compile(r"lower\(hex\(randomblob\(16\)\)\)"), "md5(random()::text || clock_timestamp())"),
    (re.compile(r"json_group_array\((\w+)\)"), r"COALESCE(json_agg(\1)::text, '[]')"),
    (re.compile(r"julianday\(([^()]*)\)"), r"CAST(\1 AS timestamptz)"),
)
_DDL: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bINTEGER PRIMARY KEY\b"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
)


@lru_cache(maxsize=1024)
def postgres_sql(sql: str) -> str:
    """A statement in SQLite's dialect, as PostgreSQL (through psycopg) reads it."""
    insert_or_ignore = bool(re.match(r"\s*INSERT OR IGNORE\b", sql))
    if insert_or_ignore:
        sql = re.sub(r"INSERT OR IGNORE", "INSERT", sql, count=1)
    parts = _LITERAL.split(sql)
    for index in range(0, len(parts), 2):  # the text between string literals
        text = parts[index].replace("%", "%%")
        text = re.sub(r"(?<!:):([A-Za-z_]\w*)", r"%(\1)s", text.replace("?", "%s"))
        for pattern, replacement in _PHRASES:
            text = pattern.sub(replacement, text)
        parts[index] = text
    for index in range(1, len(parts), 2):  # a literal percent sign, doubled for psycopg
        parts[index] = parts[index].replace("%", "%%")
    translated = "".join(parts)
    if insert_or_ignore:
        translated = translated.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    return translated


def postgres_ddl(sql: str) -> str:
    """Schema text in SQLite's dialect as PostgreSQL's (column types, identity keys)."""
    for pattern, replacement in _DDL:
        sql = pattern.sub(replacement, sql)
    return sql


def is_postgres(db: Connection) -> bool:
    return isinstance(db, PostgresConnection)


def insert_id(db: Connection, sql: str, parameters: Sequence[object]) -> int:
    """Run one ``INSERT`` and return the id of the row it added."""
    if isinstance(db, sqlite3.Connection):
        return int(db.execute(sql, parameters).lastrowid or 0)
    return int(db.execute(f"{sql} RETURNING id", parameters).fetchall()[0][0])
