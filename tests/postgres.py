"""A throwaway PostgreSQL server for the tests, and the fixture that runs a test on both engines.

`postgres_server` (once per test session) makes a cluster with ``initdb`` in a temporary
folder and starts it with ``pg_ctl``, listening only on a Unix socket in that folder (no TCP
port at all); it is stopped and removed when the session ends. PostgreSQL refuses to run as
root, so under root (as in CI) the folder is given to the ``postgres`` user and the server
runs as that user. Each test gets a schema of its own (`postgres_url`), so that tests share
the server but never each other's tables.

Without PostgreSQL's programs the PostgreSQL tests are skipped, with the reason; in CI
(``CI=true``) they fail instead, since there the server is always installed.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

ENGINES = ("sqlite", "postgresql")
_schemas = itertools.count(1)


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, reached through its Unix socket."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="digest-pg-"))
        self.data = self.folder / "data"
        self._user: str | None = None
        if os.geteuid() == 0:
            self._user = "postgres"
            record = pwd.getpwnam(self._user)
            os.chown(self.folder, record.pw_uid, record.pw_gid)
        self.folder.chmod(0o755)

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self._user, "--"] if self._user else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        self._run(
            str(self.binaries / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        options = (
            f"-k {self.folder} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        log = self.folder / "server.log"
        self._run(
            str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l", str(log),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip
        self._run(
            str(self.binaries / "createdb"), "-h", str(self.folder), "-U", "postgres", "digest"
        )

    def stop(self) -> None:
        try:
            self._run(
                str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"
            )
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, schema: str | None = None) -> str:
        """The URL of the test database (with `schema` first on the search path)."""
        url = f"postgresql://postgres@/digest?host={quote(str(self.folder))}"
        if schema is not None:
            url += "&options=" + quote(f"-csearch_path={schema}")
        return url

    def new_schema(self) -> str:
        """A new, empty schema's name."""
        import psycopg

        name = f"test_{os.getpid()}_{next(_schemas)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE SCHEMA {name}")
        return name


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    binaries = _binaries()
    if binaries is None:
        reason = "PostgreSQL is not installed (Debian's postgresql package provides initdb)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the PostgreSQL tests.")
        pytest.skip(reason)
    server = PostgresServer(binaries)
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        server.stop()
        pytest.fail(f"PostgreSQL did not start: {exc.stderr or exc.stdout}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of an empty PostgreSQL database (a fresh schema) for one test."""
    return postgres_server.url(postgres_server.new_schema())


@pytest.fixture(params=ENGINES)
def store_where(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a test's store lives: a SQLite file, then an empty PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "data" / "digest.sqlite3"
    return str(request.getfixturevalue("postgres_url"))
