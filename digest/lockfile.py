"""One process at a time works on a store: `digest run`, `digest send` and `digest serve`
exclude each other.

The lock is an advisory ``flock`` on a file beside the store (``<database>.lock``), which the
kernel releases when the process ends however it ends, so a crash never leaves a stale lock.
The file names the holder (process id and command), for the message a second process shows.
A second process may wait a little for the first to finish; then it gives up with that
message. Two runs at once would each choose, render and queue the same new articles for the
same readers; with the lock, the second finds them sent.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from digest.errors import ServiceError

__all__ = ["StoreLock", "lock_path"]

_POLL = 0.1  # seconds between tries while waiting


def lock_path(database: Path) -> Path:
    """The lock file of the store in `database`."""
    return database.with_name(database.name + ".lock")


class StoreLock:
    """Hold `path` locked while in the ``with`` block, as `command` (``"digest run"``).

    Waits up to `wait` seconds for another holder to let go, then raises `ServiceError`
    naming it.
    """

    def __init__(self, path: Path, command: str, *, wait: float = 0.0) -> None:
        self.path = path
        self.command = command
        self.wait = wait
        self._handle: IO[str] | None = None

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip()
                    handle.close()
                    raise ServiceError(self._taken(holder)) from None
                time.sleep(_POLL)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {self.command}\n")
        handle.flush()
        self._handle = handle
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()  # no holder named once it is free
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def _taken(self, holder: str) -> str:
        pid, _, command = holder.partition(" ")
        who = f"`{command}` (process {pid})" if command else f"process {pid or 'unknown'}"
        waited = f" after waiting {self.wait:g} s" if self.wait else ""
        return (
            f"Another digest process, {who}, is using the store {self.path.with_suffix('')}"
            f"{waited}; `{self.command}` did nothing. Let it finish (a `digest serve` sends "
            "digests itself), or give this one another data folder (DIGEST_HOME)."
        )
