"""The address policy of every fetch: which addresses a request may connect to.

A host is resolved once, every address it resolves to is checked before connecting, and the
connection goes to the very address checked, so DNS cannot change its answer in between. A
public address is always allowed; an IPv6 address that embeds an IPv4 one (mapped,
compatible, NAT64, 6to4) is judged as that IPv4 address. Which other addresses a request may
reach is decided by `digest.collect.fetch` per request: none (a link from a feed), the
addresses of a source's own host (`trusting`), or any (``allow_private``).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore

from digest.collect.deadline import DeadlineBackend

__all__ = [
    "BlockedAddress",
    "GuardedBackend",
    "Resolver",
    "embedded_ipv4",
    "is_public_address",
    "system_resolver",
    "trusted",
    "trusting",
]

Resolver = Callable[[str, int], list[str]]
"""Turns a host name and port into the IP addresses a connection may use."""


class BlockedAddress(Exception):
    """A host resolved to an address the guard does not allow."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address in the last 32 bits
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: local-use, never public
_COMPATIBLE = ipaddress.ip_network("::/96")  # RFC 4291's deprecated IPv4-compatible form


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it embeds one: IPv4-mapped,
    IPv4-compatible, NAT64 (64:ff9b::/96) or 6to4 (2002::/16)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _COMPATIBLE and int(ip) > 1):  # not :: or ::1
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public_address(address: str) -> bool:
    """Whether an IP address is globally routable (not loopback, private, link-local...),
    judging an IPv6 address that embeds an IPv4 one by that IPv4 address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        inner = embedded_ipv4(ip)
        if inner is not None:
            return inner.is_global and not inner.is_multicast
    return ip.is_global and not ip.is_multicast


_trusted = threading.local()  # .addresses: the owner's host's addresses, for this thread


class GuardedBackend(DeadlineBackend):
    """A network backend that connects only to allowed addresses, checked before connecting."""

    def __init__(self, resolver: Resolver, allowed: Callable[[str], bool]) -> None:
        self.resolver = resolver
        self.allowed = allowed

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self.resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        blocked = [address for address in addresses if not self.allowed(address)]
        if blocked or not addresses:
            raise BlockedAddress(f"{host} resolves to {blocked[0] if blocked else 'nothing'}")
        # Connect to the address just checked, never to a second lookup of the name.
        return super().connect_tcp(
            addresses[0], port, timeout, local_address=local_address, socket_options=socket_options
        )


@contextmanager
def trusting(addresses: tuple[str, ...]) -> Iterator[None]:
    """The owner's host's `addresses` are allowed to this thread while the block runs."""
    _trusted.addresses = addresses
    try:
        yield
    finally:
        _trusted.addresses = ()


def trusted(address: str) -> bool:
    """Whether `address` is one of the owner's host's addresses this thread may reach."""
    return address in getattr(_trusted, "addresses", ())
