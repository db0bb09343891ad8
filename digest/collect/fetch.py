"""HTTP for the collection stage: the only module that opens network connections to sources.

One `Fetcher` serves a whole run from any number of threads. It gives every request a
User-Agent naming digest, connect/read timeouts and a total deadline, follows at most a few
redirects, enforces a size cap on the wire and another on the decompressed body while
streaming (so a decompression bomb stops early), sends conditional GETs, honours
``Retry-After`` on 429 and 503 (within `RETRY_AFTER_LIMIT`), and limits concurrent requests
per host.

The total deadline covers the whole request: connecting, the headers, the body and every
redirect (`digest.collect.deadline` keeps it at the socket).

Every request goes through one address policy (`digest.collect.addresses`), at every
redirect hop: the host is resolved, every address it resolves to is checked before
connecting, and the connection goes to the very address checked, so DNS cannot change its
answer in between. A public address is always allowed (an IPv6 address that embeds an IPv4
one, mapped, compatible, NAT64 or 6to4, counts as that IPv4 address). Beyond that:

- a link found in a feed (full text behind a teaser) may reach public addresses only;
- a source's own location, which its owner wrote, may also reach the addresses its own host
  resolves to (a feed on the owner's network), but a redirect may not leave for any other
  private address;
- a source with ``allow_private = true`` may reach any address, links included.

Connections are reused only where the policy is the same for every request (public only,
or anything): a connection made to an owner's private host is never handed to a request
that may not reach it.
"""

from __future__ import annotations

import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from digest import __version__
from digest.collect.addresses import (
    BlockedAddress,
    GuardedBackend,
    Resolver,
    is_public_address,
    system_resolver,
    trusted,
    trusting,
)
from digest.collect.deadline import deadline
from digest.errors import FetchError

USER_AGENT = f"digest/{__version__} (self-hosted article digest)"


class RetryLater(FetchError):
    """The server asked us to come back later (429 or 503 with Retry-After)."""

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until

    def __reduce__(self) -> tuple[type[RetryLater], tuple[str, datetime]]:
        return RetryLater, (str(self), self.until)


class PrivateAddressRefused(FetchError):
    """A link led to a private or local address, which its source does not allow."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail  # e.g. "intranet.example resolves to 10.1.2.3"

    def __reduce__(self) -> tuple[type[PrivateAddressRefused], tuple[str, str]]:
        return PrivateAddressRefused, (str(self), self.detail)


RETRY_AFTER_LIMIT = timedelta(hours=6)
"""The longest a server's Retry-After defers a source. A larger number (or a date years
ahead) would stop collecting that source for good; after this long it is simply asked
again, and a server that still wants a pause says so again."""


@cache
def _ssl_context() -> ssl.SSLContext:
    """The TLS settings every client uses (certifi's CAs, or those of $SSL_CERT_FILE), made
    once per process: loading the CAs took a noticeable part of a run that fetches little."""
    return httpx.create_ssl_context()


class _Transport(httpx.HTTPTransport):
    """httpx's transport over one of the backends above; `reuse` false closes every
    connection after its request."""

    def __init__(self, backend: httpcore.NetworkBackend, *, reuse: bool = True) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20 if reuse else 0,
            keepalive_expiry=5.0,
            network_backend=backend,
        )


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One HTTP response, read in full (or not modified)."""

    url: str  # the final URL, after redirects
    status: int
    content: bytes
    content_type: str
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def charset(self) -> str | None:
        match = re.search(r"charset=[\"']?([\w.:-]+)", self.content_type, re.IGNORECASE)
        return match.group(1) if match else None


class Fetcher:
    """An HTTP client for one run, safe to share between threads. Use as a context manager.

    `fetch` raises `FetchError` (or its subclass `RetryLater`) with a one-line reason for
    every failure: timeouts, refused connections, HTTP errors, redirect loops, oversize
    bodies and blocked addresses.
    """

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        total_timeout: float = 60.0,
        max_bytes: int = 10_000_000,
        max_decompressed_bytes: int = 50_000_000,
        max_redirects: int = 5,
        per_host: int = 4,
        max_retry_wait: float = 5.0,
        resolver: Resolver = system_resolver,
        address_allowed: Callable[[str], bool] = is_public_address,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`address_allowed` is the policy's idea of a public address and `resolver` its
        name lookup; tests replace them to check decisions without leaving the machine."""
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.max_decompressed_bytes = max_decompressed_bytes
        self.max_retry_wait = max_retry_wait
        self.per_host = per_host
        self.clock = clock
        options: dict[str, Any] = {
            "timeout": httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            "follow_redirects": True,
            "max_redirects": max_redirects,
            "headers": {"User-Agent": USER_AGENT},
        }
        self.resolver = resolver
        self.address_allowed = address_allowed

        def public_or_trusted(address: str) -> bool:
            return address_allowed(address) or trusted(address)

        # Three clients, one per policy: public addresses only (links); public or the owner's
        # host (a source's own location, never reusing a connection: the host differs per
        # source); any address (sources with allow_private).
        self._public = httpx.Client(
            transport=_Transport(GuardedBackend(resolver, address_allowed)), **options
        )
        self._owned = httpx.Client(
            transport=_Transport(GuardedBackend(resolver, public_or_trusted), reuse=False),
            **options,
        )
        self._any = httpx.Client(
            transport=_Transport(GuardedBackend(resolver, lambda _: True)), **options
        )
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._hosts_lock = threading.Lock()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._public.close()
        self._owned.close()
        self._any.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        owned: bool = False,
        allow_private: bool = False,
    ) -> FetchResult:
        """GET `url`; with `etag`/`last_modified`, a 304 answer yields an empty result.

        The URL and every redirect must resolve to public addresses, or (when `owned`: the
        URL is a source's own location, as its owner wrote it) to the addresses of the URL's
        own host; with `allow_private`, to any address. A 429/503 whose Retry-After is short
        is retried once after waiting; a longer one raises `RetryLater`.
        """
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        client, owner_addresses = self._public, tuple[str, ...]()
        if allow_private:
            client = self._any
        elif owned:
            owner_addresses = self._owner_addresses(url)
            if owner_addresses:
                client = self._owned
        for attempt in (1, 2):
            try:
                with self._host_slot(url), trusting(owner_addresses):
                    return self._get(client, url, headers)
            except ValueError as exc:  # the host part of a malformed link (`http://[::1/x`)
                raise FetchError(f"Cannot fetch {url}: not a valid URL ({exc}).") from exc
            except RetryLater as exc:
                wait = (exc.until - self.clock()).total_seconds()
                if attempt == 2 or wait > self.max_retry_wait:
                    raise
                time.sleep(max(wait, 0.0))
        raise AssertionError("unreachable")  # pragma: no cover

    def _owner_addresses(self, url: str) -> tuple[str, ...]:
        """The non-public addresses the host of a source's own `url` resolves to (none when
        it is public, or cannot be resolved now: the request then fails as usual)."""
        try:
            parts = urlsplit(url)
            host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return ()
        if not host:
            return ()
        try:
            addresses = self.resolver(host, port)
        except OSError:
            return ()
        return tuple(address for address in addresses if not self.address_allowed(address))

    @contextmanager
    def _host_slot(self, url: str) -> Iterator[None]:
        host = urlsplit(url).netloc.lower()
        with self._hosts_lock:
            slot = self._hosts.setdefault(host, threading.BoundedSemaphore(self.per_host))
        with slot:
            yield

    def _get(self, client: httpx.Client, url: str, headers: dict[str, str]) -> FetchResult:
        with deadline(self.total_timeout) as until:
            try:
                return self._send(client, url, headers, until)
            except BlockedAddress as exc:
                raise PrivateAddressRefused(
                    f"{url} was not fetched: {exc}, a private or local address; a link from "
                    "a feed, or a redirect away from a source's own host, may only lead to "
                    "public addresses unless the source sets allow_private = true.",
                    str(exc),
                ) from exc
            except httpx.TooManyRedirects as exc:
                raise FetchError(f"{url} redirected too many times (a redirect loop?).") from exc
            except httpx.TimeoutException as exc:
                if time.monotonic() >= until:
                    raise FetchError(self._too_slow(url)) from exc
                raise FetchError(f"{url} timed out.") from exc
            except httpx.DecodingError as exc:
                raise FetchError(f"{url} sent a body that could not be decompressed.") from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"Cannot fetch {url}: {_reason(exc)}.") from exc
            except (httpx.InvalidURL, ValueError) as exc:  # a malformed link or redirect
                raise FetchError(f"Cannot fetch {url}: not a valid URL ({exc}).") from exc

    def _send(
        self, client: httpx.Client, url: str, headers: dict[str, str], deadline: float
    ) -> FetchResult:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return _result(response, b"")
            if response.status_code in (429, 503) and "retry-after" in response.headers:
                until = self._retry_after(response.headers["retry-after"])
                raise RetryLater(
                    f"{url} answered HTTP {response.status_code} and asks to retry after "
                    f"{until:%Y-%m-%d %H:%M:%S} UTC.",
                    until,
                )
            if response.status_code >= 400:
                reason = response.reason_phrase or "error"
                raise FetchError(f"{url} answered HTTP {response.status_code} {reason}.")
            return _result(response, self._read(url, response, deadline))

    def _read(self, url: str, response: httpx.Response, deadline: float) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(self._too_big(url, "max_bytes", self.max_bytes))
        body = bytearray()
        for chunk in response.iter_bytes():
            body.extend(chunk)
            if response.num_bytes_downloaded > self.max_bytes:
                raise FetchError(self._too_big(url, "max_bytes", self.max_bytes))
            if len(body) > self.max_decompressed_bytes:
                raise FetchError(
                    self._too_big(url, "max_decompressed_bytes", self.max_decompressed_bytes)
                    + " (a decompression bomb?)"
                )
            if time.monotonic() > deadline:
                raise FetchError(self._too_slow(url))
        return bytes(body)

    def _too_slow(self, url: str) -> str:
        return (
            f"{url} took longer than {self.total_timeout:g} s in all "
            "(raise [http] total_timeout to wait longer)."
        )

    @staticmethod
    def _too_big(url: str, key: str, limit: int) -> str:
        return f"{url} sent more than {limit:,} bytes; raise [http] {key} to accept it."

    def _retry_after(self, value: str) -> datetime:
        """When a Retry-After value (seconds or an HTTP date) asks us back, never further
        than `RETRY_AFTER_LIMIT` ahead nor before now; five minutes when it is unreadable."""
        now = self.clock()
        latest = now + RETRY_AFTER_LIMIT
        value = value.strip()
        if re.fullmatch(r"[0-9]+", value):
            # Compared as text length first: int() refuses very long numbers, and a huge
            # one would overflow timedelta.
            seconds = int(value) if len(value) <= 9 else None
            if seconds is None or seconds > RETRY_AFTER_LIMIT.total_seconds():
                return latest
            return now + timedelta(seconds=seconds)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return now + timedelta(minutes=5)
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        return max(now, min(when, latest))


def _result(response: httpx.Response, content: bytes) -> FetchResult:
    return FetchResult(
        url=str(response.url),
        status=response.status_code,
        content=content,
        content_type=response.headers.get("content-type", ""),
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
    )


def _reason(exc: httpx.HTTPError) -> str:
    text = str(exc).strip()
    return text.rstrip(".") if text else type(exc).__name__
