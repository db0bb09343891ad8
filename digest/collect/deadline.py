"""The request deadline of the HTTP client (`digest.collect.fetch`), kept at the socket.

httpx's timeouts bound each socket operation alone, so a server that sends one header line
(or one body byte) just before each read timeout would hold a request forever. Here every
connection goes through a network backend whose reads, writes, connects and TLS handshakes
are each given no more time than is left before the deadline of the request that the
calling thread is running (`deadline`); past it, the next operation fails at once. httpx's
synchronous client does all of a request's I/O (redirects included) in the calling thread,
which is what makes a thread-local deadline hold for the whole request.

`stop_requests` (Ctrl-C) fails every request at once: it shuts down the socket of every open
connection, which wakes a thread blocked reading it, and refuses every operation after.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpcore

_deadlines = threading.local()
_stopped = threading.Event()
_open: weakref.WeakSet[_DeadlineStream] = weakref.WeakSet()
_open_lock = threading.Lock()


def stop_requests() -> None:
    """Fail every request now, and every one after, for the rest of the process (Ctrl-C
    ends it). Safe to call from a signal handler: it only sets a flag and shuts sockets
    down."""
    _stopped.set()
    with _open_lock:
        streams = list(_open)
    for stream in streams:
        stream.abort()


def _time_left(timeout: float | None) -> float | None:
    """`timeout` cut to the time left before this thread's request deadline.

    Raises `httpcore.ReadTimeout` once the deadline has passed: a zero timeout would make
    the socket non-blocking instead of failing.
    """
    if _stopped.is_set():
        raise httpcore.ReadError("the run was stopped")
    deadline: float | None = getattr(_deadlines, "at", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the request's total deadline passed")
    return left if timeout is None else min(timeout, left)


@contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Every socket operation of this thread, until the block ends, finishes within
    `seconds` from now in all; yields the deadline (a `time.monotonic` value)."""
    at = time.monotonic() + seconds
    _deadlines.at = at
    try:
        yield at
    finally:
        _deadlines.at = None


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake is cut to the time left."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream
        with _open_lock:
            _open.add(self)

    def abort(self) -> None:
        """Shut the socket down: a read blocked on it returns at once."""
        sock = self._stream.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _time_left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, _time_left(timeout))
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.SyncBackend):
    """A network backend whose connections keep to the request deadline (see `deadline`)."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = super().connect_tcp(
            host, port, _time_left(timeout), local_address=local_address,
            socket_options=socket_options,
        )  # fmt: skip
        return _DeadlineStream(stream)
