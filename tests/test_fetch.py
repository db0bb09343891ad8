"""Tests for digest.collect.fetch against a real HTTP server on 127.0.0.1.

The private-address guard is tested on its decision, made before any connection: with a
resolver the test controls, or with a policy that tells two loopback addresses apart. No
request ever leaves the loopback interface.
"""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime, timedelta

import pytest

from digest import __version__
from digest.collect.fetch import (
    RETRY_AFTER_LIMIT,
    Fetcher,
    PrivateAddressRefused,
    RetryLater,
    is_public_address,
)
from digest.errors import FetchError

from .conftest import DrippingServer, HttpServer, Route, free_port


def test_fetch_sends_user_agent_and_conditional_headers(http_server: HttpServer) -> None:
    http_server.routes["/feed.xml"] = Route(b"<rss/>", headers={"ETag": '"v1"'})
    with Fetcher() as fetcher:
        first = fetcher.fetch(http_server.url("/feed.xml"), owned=True)
        second = fetcher.fetch(http_server.url("/feed.xml"), etag=first.etag, owned=True)
    assert (first.status, first.etag, first.content) == (200, '"v1"', b"<rss/>")
    assert second.not_modified and second.content == b""
    (_, headers), (_, conditional) = http_server.requests
    assert headers["User-Agent"].startswith(f"digest/{__version__}")
    assert conditional["If-None-Match"] == '"v1"'


@pytest.mark.parametrize(
    ("route", "message"),
    [
        (None, "answered HTTP 404"),
        (Route(b"oops", status=500), "answered HTTP 500"),
        (Route(b"x" * 5000), "sent more than 1,000 bytes; raise \\[http\\] max_bytes"),
    ],
)
def test_fetch_failures_are_one_line_errors(
    http_server: HttpServer, route: Route | None, message: str
) -> None:
    if route is not None:
        http_server.routes["/feed.xml"] = route
    with Fetcher(max_bytes=1000) as fetcher, pytest.raises(FetchError, match=message):
        fetcher.fetch(http_server.url("/feed.xml"), owned=True)


def test_decompression_bomb_stops_at_the_decompressed_cap(http_server: HttpServer) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    http_server.routes["/bomb"] = Route(bomb, headers={"Content-Encoding": "gzip"})
    with (
        Fetcher(max_bytes=100_000, max_decompressed_bytes=1_000_000) as fetcher,
        pytest.raises(FetchError, match=r"max_decompressed_bytes .*decompression bomb"),
    ):
        fetcher.fetch(http_server.url("/bomb"), owned=True)
    assert len(bomb) < 100_000


def test_redirect_loop_is_reported(http_server: HttpServer) -> None:
    http_server.routes["/a"] = Route(b"", status=302, headers={"Location": "/b"})
    http_server.routes["/b"] = Route(b"", status=302, headers={"Location": "/a"})
    with Fetcher() as fetcher, pytest.raises(FetchError, match="redirected too many times"):
        fetcher.fetch(http_server.url("/a"), owned=True)


def test_redirects_are_followed_up_to_the_limit(http_server: HttpServer) -> None:
    for hop in range(5):
        http_server.routes[f"/{hop}"] = Route(b"", status=301, headers={"Location": f"/{hop + 1}"})
    http_server.routes["/5"] = Route(b"done")
    with Fetcher(max_redirects=5) as fetcher:
        result = fetcher.fetch(http_server.url("/0"), owned=True)
    assert (result.content, result.url) == (b"done", http_server.url("/5"))


def test_slow_server_times_out(http_server: HttpServer) -> None:
    http_server.routes["/slow"] = Route(b"late", delay=2.0)
    with Fetcher(timeout=0.5) as fetcher, pytest.raises(FetchError, match="timed out"):
        fetcher.fetch(http_server.url("/slow"), owned=True)


def test_refused_connection_is_reported() -> None:
    with Fetcher(timeout=2) as fetcher, pytest.raises(FetchError, match="Cannot fetch"):
        fetcher.fetch(f"http://127.0.0.1:{free_port()}/feed.xml", owned=True)


def test_short_retry_after_is_waited_for_once(http_server: HttpServer) -> None:
    http_server.routes["/busy"] = Route(
        b"ok", status=503, headers={"Retry-After": "1"}, then=Route(b"ok")
    )
    with Fetcher(max_retry_wait=2) as fetcher:
        assert fetcher.fetch(http_server.url("/busy"), owned=True).content == b"ok"
    assert len(http_server.requests) == 2


def test_long_retry_after_defers_the_source(http_server: HttpServer) -> None:
    now = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    http_server.routes["/busy"] = Route(b"", status=429, headers={"Retry-After": "3600"})
    with Fetcher(clock=lambda: now) as fetcher, pytest.raises(RetryLater) as caught:
        fetcher.fetch(http_server.url("/busy"), owned=True)
    assert caught.value.until == now + timedelta(hours=1)
    assert "asks to retry after 2026-11-26 08:00:00 UTC" in str(caught.value)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:10.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_guard_refuses_a_name_that_resolves_to_a_private_address() -> None:
    """The decision is made on the resolved address, before any connection is attempted."""
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["10.20.30.40"]

    with Fetcher(resolver=resolver) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch("http://intranet.example/secret")
    assert asked == ["intranet.example"]
    assert "resolves to 10.20.30.40, a private or local address" in str(caught.value)
    assert "allow_private = true" in str(caught.value)


def test_guard_refuses_loopback_literals() -> None:
    with Fetcher() as fetcher, pytest.raises(FetchError, match="private or local address"):
        fetcher.fetch(f"http://127.0.0.1:{free_port()}/")


def test_guard_checks_every_redirect_hop(http_server: HttpServer) -> None:
    """A public first hop that redirects to a forbidden address is refused at the redirect.

    The policy allows 127.0.0.1 (standing in for a public address) and forbids 127.0.0.2;
    the resolver sends "inside.test" to 127.0.0.2. Nothing leaves loopback.
    """
    port = http_server.port
    http_server.routes["/start"] = Route(
        b"", status=302, headers={"Location": f"http://inside.test:{port}/secret"}
    )
    http_server.routes["/secret"] = Route(b"secret")

    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.2"] if host == "inside.test" else [host]

    with (
        Fetcher(resolver=resolver, address_allowed=lambda a: a == "127.0.0.1") as fetcher,
        pytest.raises(FetchError, match=r"inside\.test resolves to 127\.0\.0\.2"),
    ):
        fetcher.fetch(http_server.url("/start"))
    assert [path for path, _ in http_server.requests] == ["/start"]


def test_a_sources_own_location_may_reach_its_own_private_host(http_server: HttpServer) -> None:
    """The owner wrote that address; a link (not owned) to the same host is still refused."""
    http_server.routes["/page"] = Route(b"hello")
    with Fetcher() as fetcher:
        assert fetcher.fetch(http_server.url("/page"), owned=True).content == b"hello"
        with pytest.raises(PrivateAddressRefused):
            fetcher.fetch(http_server.url("/page"))
    assert len(http_server.requests) == 1


def test_a_redirect_may_not_leave_the_owners_host_for_another_private_address(
    http_server: HttpServer,
) -> None:
    """The source's own host is 127.0.0.1 (private, allowed as the owner's); its feed
    redirects to "inside.test", which the test's resolver sends to 127.0.0.2: refused before
    any connection. A redirect within the owner's host is followed."""
    port = http_server.port
    http_server.routes["/moved"] = Route(
        b"", status=301, headers={"Location": f"http://127.0.0.1:{port}/feed"}
    )
    http_server.routes["/feed"] = Route(b"feed")
    http_server.routes["/away"] = Route(
        b"", status=302, headers={"Location": f"http://inside.test:{port}/secret"}
    )

    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.2"] if host == "inside.test" else [host]

    with Fetcher(resolver=resolver) as fetcher:
        assert fetcher.fetch(http_server.url("/moved"), owned=True).content == b"feed"
        with pytest.raises(PrivateAddressRefused, match=r"inside\.test resolves to 127\.0\.0\.2"):
            fetcher.fetch(http_server.url("/away"), owned=True)
    assert "/secret" not in [path for path, _ in http_server.requests]


def test_allow_private_lets_a_sources_links_reach_any_address(http_server: HttpServer) -> None:
    http_server.routes["/page"] = Route(b"hello")
    with Fetcher() as fetcher:
        assert fetcher.fetch(http_server.url("/page"), allow_private=True).content == b"hello"


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::127.0.0.1",  # IPv4-compatible
        "::10.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::808:808",  # local-use NAT64
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "::1",
        "fe80::1",
        "fc00::1",
    ],
)
def test_ipv6_forms_of_private_addresses_are_refused_before_connecting(address: str) -> None:
    assert not is_public_address(address)
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return [address]

    with Fetcher(resolver=resolver) as fetcher, pytest.raises(PrivateAddressRefused):
        fetcher.fetch("http://sneaky.test/")
    assert asked == ["sneaky.test"]


@pytest.mark.parametrize(
    "address", ["::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "2606:4700::1111"]
)
def test_ipv6_forms_of_public_addresses_are_public(address: str) -> None:
    assert is_public_address(address)  # the decision only: nothing is fetched


def test_a_name_is_refused_when_any_of_its_addresses_is_private() -> None:
    with (
        Fetcher(resolver=lambda host, port: ["93.184.216.34", "10.0.0.7"]) as fetcher,
        pytest.raises(PrivateAddressRefused, match=r"10\.0\.0\.7"),
    ):
        fetcher.fetch("http://mixed.test/")


@pytest.mark.parametrize("body", [False, True], ids=["headers", "body"])
def test_the_total_deadline_holds_against_a_dripping_server(body: bool) -> None:
    """A line every 0.2 s never trips the 1 s read timeout; the 1.5 s deadline stops it."""
    server = DrippingServer(every=0.2, body=body)
    server.start()
    try:
        started = time.monotonic()
        with (
            Fetcher(timeout=1.0, total_timeout=1.5) as fetcher,
            pytest.raises(FetchError, match=r"took longer than 1.5 s in all.*total_timeout"),
        ):
            fetcher.fetch(server.url("/feed"), owned=True)
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert 1.4 < elapsed < 5.0


def test_the_deadline_covers_every_redirect(http_server: HttpServer) -> None:
    """Each hop is quick enough for the read timeout; all of them together are not."""
    for hop in range(4):
        http_server.routes[f"/{hop}"] = Route(
            b"", status=302, headers={"Location": f"/{hop + 1}"}, delay=0.4
        )
    http_server.routes["/4"] = Route(b"done")
    started = time.monotonic()
    with (
        Fetcher(timeout=1.0, total_timeout=1.0) as fetcher,
        pytest.raises(FetchError, match="took longer than 1 s in all"),
    ):
        fetcher.fetch(http_server.url("/0"), owned=True)
    assert time.monotonic() - started < 4.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1000000000000", RETRY_AFTER_LIMIT),
        ("9" * 5000, RETRY_AFTER_LIMIT),
        ("Fri, 31 Dec 9999 23:59:59 GMT", RETRY_AFTER_LIMIT),
        ("Thu, 01 Jan 1970 00:00:00 GMT", timedelta(0)),
        ("120", timedelta(minutes=2)),
        ("soon", timedelta(minutes=5)),
        ("\u00b2", timedelta(minutes=5)),  # a digit to str.isdigit, not to int()
    ],
)
def test_retry_after_is_clamped_and_never_raises(
    http_server: HttpServer, value: str, expected: timedelta
) -> None:
    now = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    http_server.routes["/busy"] = Route(b"", status=503, headers={"Retry-After": value})
    with (
        Fetcher(clock=lambda: now, max_retry_wait=0) as fetcher,
        pytest.raises(RetryLater) as caught,
    ):
        fetcher.fetch(http_server.url("/busy"), owned=True)
    assert caught.value.until == now + expected


@pytest.mark.parametrize("url", ["http://[::1/post", "http://exa mple.org/x", "http://:80/"])
def test_a_malformed_link_is_a_one_line_fetch_error(url: str) -> None:
    with Fetcher(timeout=1) as fetcher, pytest.raises(FetchError, match="Cannot fetch") as caught:
        fetcher.fetch(url)
    assert "\n" not in str(caught.value)


def test_a_refused_private_address_says_which_setting_allows_it() -> None:
    with Fetcher() as fetcher, pytest.raises(PrivateAddressRefused, match="allow_private"):
        fetcher.fetch(f"http://127.0.0.1:{free_port()}/")
