"""Time collection passes against hostile sources served on 127.0.0.1.

Usage::

    python bench/hostile.py [--items 40000] [--max-items 300] [--drip 0.5]
                            [--total-timeout 10]

Three passes, each with one good feed beside the hostile source, through
`digest.pipeline.collect_all` on a fresh store in a temporary folder:

- a feed of ``--items`` short entries (about 190 bytes each), read with
  ``[collect] max_items_per_source = --max-items``, then read again an hour later (it has
  items left, so it is fetched in full again);
- a server that sends one header line every ``--drip`` seconds and never ends, with
  ``[http] total_timeout = --total-timeout``;
- a server answering 503 with ``Retry-After: 1000000000000``.

For each it prints the wall time, what the pass found and the failures' reasons. Passing a
``--max-items`` as large as ``--items`` shows the time of taking the whole feed at once.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from digest import config as config_module
from digest.collect import CollectionReport
from digest.pipeline import collect_all
from digest.store import Store

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
GOOD_TEXT = (
    "The council opened a new reading room in the old post office on Tuesday. It holds "
    "about 6,000 books and will stay open until nine every evening."
)


def feed(count: int) -> bytes:
    start = NOW - timedelta(hours=1)
    entries = "".join(
        f"<item><title>Entry {n}</title><link>https://big.example/{n}</link><guid>n{n}</guid>"
        f"<pubDate>{(start - timedelta(minutes=n)):%a, %d %b %Y %H:%M:%S +0000}</pubDate>"
        f"<description>Entry {n} of the archive.</description></item>"
        for n in range(count)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>'
        f"<link>https://big.example/</link>{entries}</channel></rss>"
    ).encode()


def good_feed() -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title>'
        "<link>https://good.example/</link><item><title>Reading room</title>"
        "<link>https://good.example/1</link><guid>g1</guid>"
        f"<description>{GOOD_TEXT}</description></item></channel></rss>"
    ).encode()


@contextlib.contextmanager
def serve(routes: dict[str, tuple[int, dict[str, str], bytes]]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 answering `routes` (path: status, headers, body)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = routes.get(self.path, (404, {}, b""))
            self.send_response(status)
            for name, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def drip(every: float) -> Iterator[str]:
    """A server that sends a status line, then one header line every `every` seconds."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def answer(connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\n")
            count = 0
            while not stop.wait(every):
                count += 1
                connection.sendall(f"X-Drip-{count}: yes\r\n".encode())

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed as the benchmark ends
                return
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed"
    finally:
        stop.set()
        listener.close()


def collect(
    folder: Path, good: str, bad: str, *, now: datetime = NOW, **settings: Any
) -> tuple[CollectionReport, float]:
    raw = {
        "data_dir": str(folder),
        "sources": [
            {"name": "Good", "url": good, "full_text": "never"},
            {"name": "Bad", "url": bad, "full_text": "never"},
        ],
        **settings,
    }
    config = config_module.parse(raw, base=folder)
    started = time.perf_counter()
    with Store(config.database) as store:
        report = collect_all(config, store, now=now)
    return report, time.perf_counter() - started


def show(label: str, report: CollectionReport, seconds: float) -> None:
    print(
        f"{label}: {seconds:.2f} s, {report.new_articles} new articles, "
        f"items left {report.items_left or 0}, {len(report.source_failures)} sources failed"
    )
    for failure in report.source_failures:
        print(f"    {failure.what}: {failure.reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=40_000)
    parser.add_argument("--max-items", type=int, default=300)
    parser.add_argument("--drip", type=float, default=0.5)
    parser.add_argument("--total-timeout", type=float, default=10.0)
    options = parser.parse_args()
    logging.getLogger("digest").setLevel(logging.CRITICAL)  # the failures are printed below
    body = feed(options.items)
    print(f"feed of {options.items:,} entries: {len(body):,} bytes")
    routes = {
        "/good": (200, {"Content-Type": "application/rss+xml"}, good_feed()),
        "/big": (200, {"Content-Type": "application/rss+xml", "ETag": '"all"'}, body),
        "/busy": (503, {"Retry-After": "1000000000000"}, b""),
    }
    with tempfile.TemporaryDirectory() as folder, serve(routes) as base:
        root = Path(folder)
        cap = {"collect": {"max_items_per_source": options.max_items}}
        first = collect(root / "big", f"{base}/good", f"{base}/big", **cap)
        show(f"big feed, max_items_per_source = {options.max_items}, run 1", *first)
        later = NOW + timedelta(hours=1)
        second = collect(root / "big", f"{base}/good", f"{base}/big", now=later, **cap)
        show(f"big feed, max_items_per_source = {options.max_items}, run 2", *second)
        http = {"http": {"total_timeout": options.total_timeout}}
        with drip(options.drip) as dripping:
            report = collect(root / "drip", f"{base}/good", dripping, **http)
        show(f"dripping headers, total_timeout = {options.total_timeout:g} s", *report)
        show("Retry-After: 1000000000000", *collect(root / "busy", f"{base}/good", f"{base}/busy"))


if __name__ == "__main__":
    main()
