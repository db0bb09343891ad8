"""A lock file that lets one long-running service use a data folder at a time.

The lock is an advisory ``flock`` on ``<data folder>/serve.lock``, which the kernel
releases when the process ends however it ends, so a crash never leaves a stale lock. The
file holds the holder's process id, for the message a second service shows.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from digest.errors import ServiceError


class ServiceLock:
    """Hold `path` locked while in the ``with`` block; raises `ServiceError` when taken."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def __enter__(self) -> Self:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise ServiceError(
                f"Another `digest serve` (process {holder}) is already running on the store "
                f"in {self.path.parent}; stop it first, or give this one another data folder "
                "(DIGEST_HOME)."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
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
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
