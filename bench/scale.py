"""Several `digest serve` workers on one store: throughput, and a simulated day.

Usage::

    python bench/scale.py [--subscribers 1000] [--sources 200] [--workers 1,2,3]
                          [--seconds 20] [--day] [--day-seconds 120]

Everything runs on this machine: a throwaway PostgreSQL cluster (Debian's ``postgresql``
package: ``initdb`` and ``pg_ctl`` in a temporary folder, on a Unix socket only), a feed
server on 127.0.0.1 serving ``--sources`` RSS feeds (each answer held back 20 ms, as a
remote server would), and an SMTP server (aiosmtpd) on 127.0.0.1 that counts what it
accepts. The workers are real ``digest serve`` processes with an injected clock
(``--clock-start``, ``--clock-speed``, one shared origin).

It prints, for 1, 2 and 3 workers on PostgreSQL and for one on SQLite, in one run:

- **digests per second**: ``--subscribers`` subscribers in 10 time zones, every one's
  digest due at once, the articles collected beforehand; workers with ``--role send``
  from their start to the last digest accepted by the SMTP server;
- **collections per minute**: workers with ``--role collect`` and a collection interval
  short enough that every source is always due, for ``--seconds``; a collection is one
  fetch of one source answered by the feed server.

With ``--day``, it then runs the acceptance scenario at full size: three workers over a
simulated day (``--day-seconds`` of real time), one killed with SIGKILL mid-send, and
prints whether every subscriber got exactly one digest for their local day, how often each
source was fetched per collection interval, and what the killed worker left behind
(`simulate_day`, which ``tests/test_workers.py`` runs at a smaller size).
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest import config as config_module  # noqa: E402
from digest import pipeline  # noqa: E402
from digest.models import Subscriber  # noqa: E402
from digest.store import Store  # noqa: E402

# Ten zones whose 07:00 falls at ten different hours of a UTC day (November offsets).
ZONES = (
    "Asia/Kolkata",  # 01:30 UTC
    "Africa/Nairobi",  # 04:00
    "Europe/Berlin",  # 06:00
    "UTC",  # 07:00
    "America/Sao_Paulo",  # 10:00
    "America/New_York",  # 12:00
    "America/Los_Angeles",  # 15:00
    "Pacific/Honolulu",  # 17:00
    "Pacific/Auckland",  # 18:00
    "Asia/Tokyo",  # 22:00
)
# The simulated day starts at 23:00 UTC, 1 h after the last zone's send time and 2.5 h
# before the first: each zone's 07:00 comes exactly once before it ends.
DAY_START = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
WORDS = [
    "harbour",
    "council",
    "river",
    "ferry",
    "garden",
    "market",
    "library",
    "school",
    "bridge",
    "station",
    "winter",
    "timetable",
    "residents",
    "budget",
    "volunteers",
    "museum",
    "festival",
    "tram",
    "cyclists",
    "coast",
]


# --- the feed server ---------------------------------------------------------------------


class FeedServer:
    """`count` RSS feeds at /feed/N.xml on 127.0.0.1, each answer held back `latency`
    seconds; every fetch is counted with the real time it came."""

    def __init__(self, count: int, *, latency: float = 0.02) -> None:
        self.count, self.latency = count, latency
        self.fetches: list[tuple[int, float]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.rsplit("/", 1)[-1].removesuffix(".xml")
                if not self.path.startswith("/feed/") or not name.isdigit():
                    self.send_error(404)
                    return
                with server._lock:
                    server.fetches.append((int(name), time.time()))
                time.sleep(server.latency)
                body = feed(int(name), server.url("")).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def feed(number: int, base: str) -> str:
    """Feed `number`: two stories of generated prose, the same on every fetch."""
    items = []
    for story in range(2):
        words = [WORDS[(number * 7 + story * 3 + n * n) % len(WORDS)] for n in range(160)]
        sentences = [" ".join(words[i : i + 16]).capitalize() + "." for i in range(0, 160, 16)]
        items.append(
            f"<item><title>Story {number}.{story} about the {words[0]}</title>"
            f"<link>{base}story/{number}/{story}</link><guid>feed-{number}-{story}</guid>"
            f"<description>{' '.join(sentences)}</description></item>"
        )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel>'
        f"<title>Feed {number}</title><link>{base}</link><description>Feed</description>"
        f"{''.join(items)}</channel></rss>"
    )


# --- the SMTP server ---------------------------------------------------------------------


class Counting:
    """An aiosmtpd handler keeping each accepted message's Message-ID by recipient."""

    def __init__(self) -> None:
        self.received: dict[str, list[str]] = {}
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message_id = ""
        for line in envelope.content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
                break
            if not line:
                break
        for recipient in envelope.rcpt_tos:
            self.received.setdefault(recipient, []).append(message_id)
        self.count += 1
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[int, Counting]]:
    """An SMTP server on 127.0.0.1: its port and its handler."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # aiosmtpd cannot start on port 0
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    handler = Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


# --- the workers -------------------------------------------------------------------------


def write_config(
    folder: Path,
    *,
    store_url: str,
    smtp_port: int,
    feeds: FeedServer,
    collect_minutes: float,
    tick_seconds: float,
) -> Path:
    """A configuration for the workers: the feeds, the SMTP server and the store."""
    sources = "".join(
        f'\n[[sources]]\nname = "feed-{n:03}"\nurl = "{feeds.url(f"feed/{n}.xml")}"\n'
        'allow_private = true\nfull_text = "never"\n'
        for n in range(feeds.count)
    )
    store = f'url = "{store_url}"' if store_url else ""
    path = folder / "digest.toml"
    path.write_text(
        f"""data_dir = "{folder / "data"}"

[digest]
title = "Scale digest"
sentences = 2
max_articles = 10

[delivery]
backend = "smtp"
sender = "Digest <digest@example.org>"

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"

[schedule]
collect_minutes = {collect_minutes}
tick_seconds = {tick_seconds}

[collect]
processes = 1

[store]
{store}
{sources}""",
        encoding="utf-8",
    )
    return path


def add_subscribers(
    config: config_module.Config, count: int, *, created: datetime, due: datetime | None = None
) -> list[str]:
    """`count` subscribers, spread over `ZONES`, subscribed at `created`; with `due`, each
    one's send time is a minute before `due` in their zone (every digest due at once), else
    07:00. Returns their addresses."""
    emails = []
    with Store(config.store_address) as store:
        for n in range(count):
            zone = ZONES[n % len(ZONES)]
            at = clock_time(7, 0)
            if due is not None:
                local = (due - timedelta(minutes=1)).astimezone(ZoneInfo(zone))
                at = clock_time(local.hour, local.minute)
            subscriber = Subscriber(f"reader{n:04}@example.org", f"Reader {n}", zone, at)
            store.save_subscriber(subscriber, origin="cli", when=created)
            emails.append(subscriber.email)
    return emails


@dataclass
class Worker:
    """One `digest serve` process (the leader of its own process group)."""

    process: subprocess.Popen[bytes]
    log: Path

    @property
    def name(self) -> str:
        """The worker's name in the store's leases, from its first log lines."""
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if "this worker (" in line:
                return line.split("this worker (", 1)[1].split(")", 1)[0]
        return ""

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()


def start_workers(
    count: int,
    config: Path,
    *,
    role: str,
    start: datetime,
    speed: float,
    origin: float,
    folder: Path,
) -> list[Worker]:
    """`count` workers, each `digest serve --role role` with the same injected clock."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DIGEST_HOME", None)
    workers = []
    for n in range(count):
        log = folder / f"worker-{role}-{n}.log"
        command = [
            sys.executable, "-m", "digest", "serve", "-c", str(config), "--role", role,
            "--clock-start", start.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "--clock-speed", str(speed), "--clock-origin", repr(origin),
        ]  # fmt: skip
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=sink, start_new_session=True
            )
        workers.append(Worker(process, log))
    return workers


@contextmanager
def running(workers: list[Worker]) -> Iterator[list[Worker]]:
    try:
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def wait_for(condition: Callable[[], bool], *, timeout: float, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


# --- throughput --------------------------------------------------------------------------


def send_rate(folder: Path, store_url: str, workers: int, subscribers: int, sources: int) -> float:
    """Digests per second: every digest due at once, `workers` senders."""
    folder.mkdir(parents=True)
    start = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    with FeedServer(sources, latency=0.0) as feeds, smtp_server() as (port, handler):
        path = write_config(
            folder, store_url=store_url, smtp_port=port, feeds=feeds, collect_minutes=60,
            tick_seconds=1,
        )  # fmt: skip
        config = config_module.load(path)
        add_subscribers(config, subscribers, created=start - timedelta(days=1), due=start)
        with Store(config.store_address) as store:
            pipeline.collect_all(config, store, now=start - timedelta(minutes=10))
        began = time.time()
        processes = start_workers(
            workers, path, role="send", start=start, speed=1, origin=began, folder=folder
        )
        with running(processes):
            if not wait_for(lambda: handler.count >= subscribers, timeout=900):
                raise RuntimeError(f"only {handler.count} of {subscribers} digests arrived")
            elapsed = time.time() - began
    return subscribers / elapsed


def collection_rate(
    folder: Path, store_url: str, workers: int, sources: int, seconds: float
) -> float:
    """Collections (fetches answered) per minute, every source always due."""
    folder.mkdir(parents=True)
    start = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    with FeedServer(sources) as feeds, smtp_server() as (port, _):
        path = write_config(
            folder, store_url=store_url, smtp_port=port, feeds=feeds, collect_minutes=0.1,
            tick_seconds=3600,
        )  # fmt: skip
        with Store(config_module.load(path).store_address):
            pass  # migrated once, before the workers start
        began = time.time()
        processes = start_workers(
            workers, path, role="collect", start=start, speed=60, origin=began, folder=folder
        )
        with running(processes):
            # The first pass of each worker starts the clock: count from the first fetch.
            wait_for(lambda: bool(feeds.fetches), timeout=60)
            first = feeds.fetches[0][1]
            time.sleep(seconds)
            done = sum(1 for _, when in feeds.fetches if first <= when <= first + seconds)
    return done / seconds * 60


# --- the simulated day -------------------------------------------------------------------


@dataclass
class DayResult:
    """What a simulated day left: digests received, fetches, and the killed worker's share."""

    subscribers: list[str]
    received: dict[str, list[str]]
    closest: float = 0.0  # the shortest time between two fetches of one source, in intervals
    fetches: Counter[int] = field(default_factory=Counter)  # by source, over the day
    intervals: int = 0  # collection intervals in the day
    killed: str = ""  # the killed worker's name
    killed_at: datetime | None = None  # on the simulated clock
    left_sending: int = 0  # outbox rows still claimed at the end
    sent: int = 0
    held_by_killed: list[str] = field(default_factory=list)  # sources still leased to it
    not_collected_after_kill: list[str] = field(default_factory=list)
    real_seconds: float = 0.0


def simulate_day(
    folder: Path,
    *,
    store_url: str,
    smtp_port: int,
    received: Callable[[], dict[str, list[str]]],
    subscribers: int,
    sources: int,
    workers: int = 3,
    day_seconds: float = 60.0,
    kill_after: float | None = 0.35,
    collect_minutes: float = 60.0,
) -> DayResult:
    """Run `workers` workers over one simulated day on the store at `store_url`, with
    `subscribers` subscribers in `ZONES` (07:00 local) and `sources` feeds; when a share
    `kill_after` of the digests has arrived and the first worker holds a digest in
    ``sending``, kill it (its whole process group) with SIGKILL. Returns what happened."""
    speed = 86_400 / day_seconds
    with FeedServer(sources) as feeds:
        path = write_config(
            folder, store_url=store_url, smtp_port=smtp_port, feeds=feeds,
            collect_minutes=collect_minutes, tick_seconds=60,
        )  # fmt: skip
        config = config_module.load(path)
        emails = add_subscribers(config, subscribers, created=DAY_START - timedelta(minutes=20))
        result = DayResult(subscribers=emails, received={})
        began = time.time()

        def simulated() -> datetime:
            return DAY_START + timedelta(seconds=(time.time() - began) * speed)

        processes = start_workers(
            workers, path, role="all", start=DAY_START, speed=speed, origin=began, folder=folder
        )
        end = DAY_START + timedelta(days=1)
        with running(processes), Store(config.store_address) as store:
            if kill_after is not None:
                victim = processes[0]

                def sending_for_victim() -> bool:
                    if sum(map(len, received().values())) < kill_after * subscribers:
                        return False
                    return any(_group(e.claimed_by) == victim.process.pid for e in store.sending())

                if wait_for(sending_for_victim, timeout=day_seconds * 1.5, every=0.005):
                    result.killed, result.killed_at = victim.name, simulated()
                    victim.kill()
            wait_for(lambda: simulated() >= end, timeout=day_seconds * 2, every=0.1)
            counts = store.outbox_counts()
            wait_for(
                lambda: (c := store.outbox_counts())["queued"] + c["sending"] + c["deferred"] == 0,
                timeout=120,
            )
        result.real_seconds = time.time() - began
        with Store(config.store_address) as store:
            counts = store.outbox_counts()
            result.left_sending, result.sent = counts["sending"], counts["sent"]
            if result.killed:
                leases = store.source_leases()
                result.held_by_killed = [s.name for s in leases if s.owner == result.killed]
                assert result.killed_at is not None
                result.not_collected_after_kill = [
                    s.name for s in leases if s.collected is None or s.collected <= result.killed_at
                ]
    result.received = received()
    interval = collect_minutes * 60 / speed  # real seconds
    result.intervals = round(86_400 / (collect_minutes * 60))
    times: dict[int, list[float]] = {}
    for number, when in feeds.fetches:
        if when - began < day_seconds:
            result.fetches[number] += 1
            times.setdefault(number, []).append(when)
    gaps = [b - a for each in times.values() for a, b in itertools.pairwise(sorted(each))]
    result.closest = min(gaps, default=0.0) / interval
    return result


def _group(owner: str) -> int | None:
    """The process group of the sender named `owner` (host:pid:...), if it runs here."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        return os.getpgid(int(pid))
    except ProcessLookupError:
        return None


# --- the command line --------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--workers", default="1,2,3")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--day", action="store_true")
    parser.add_argument("--day-seconds", type=float, default=120.0)
    args = parser.parse_args()
    from tests.postgres import PostgresServer, _binaries

    binaries = _binaries()
    if binaries is None:
        print("PostgreSQL is not installed (Debian's postgresql package provides initdb).")
        return 1
    server = PostgresServer(binaries)
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="digest-scale-") as temporary:
            folder = Path(temporary)
            print(
                f"{args.subscribers} subscribers in {len(ZONES)} zones, {args.sources} sources, "
                f"on {os.cpu_count()} CPUs"
            )
            print(f"{'store':<12} {'workers':>7} {'digests/s':>10} {'collections/min':>16}")
            runs = [("postgresql", int(n)) for n in args.workers.split(",")] + [("sqlite", 1)]
            for engine, workers in runs:
                tag = f"{engine}-{workers}"
                url = server.url(server.new_schema()) if engine == "postgresql" else ""
                rate = send_rate(
                    folder / f"send-{tag}", url, workers, args.subscribers, args.sources
                )
                url = server.url(server.new_schema()) if engine == "postgresql" else ""
                collections = collection_rate(
                    folder / f"collect-{tag}", url, workers, args.sources, args.seconds
                )
                print(f"{engine:<12} {workers:>7} {rate:>10.1f} {collections:>16.0f}", flush=True)
            if args.day:
                return _day(folder / "day", server.url(server.new_schema()), args)
    finally:
        server.stop()
    return 0


def _day(folder: Path, url: str, args: argparse.Namespace) -> int:
    folder.mkdir()
    with smtp_server() as (port, handler):
        result = simulate_day(
            folder, store_url=url, smtp_port=port, received=lambda: dict(handler.received),
            subscribers=args.subscribers, sources=args.sources, day_seconds=args.day_seconds,
        )  # fmt: skip
    once = sum(1 for email in result.subscribers if len(set(result.received.get(email, []))) == 1)
    duplicates = sum(len(ids) - 1 for ids in result.received.values())
    print(
        f"\nsimulated day: 3 workers, {result.real_seconds:.0f} s of real time\n"
        f"subscribers with exactly one digest: {once} of {len(result.subscribers)}; "
        f"duplicates (same Message-ID): {duplicates}\n"
        f"fetches per source over the day: {min(result.fetches.values())}-"
        f"{max(result.fetches.values())} for {result.intervals} intervals; "
        f"two fetches of one source at least {result.closest:.2f} intervals apart\n"
        f"killed {result.killed or 'nobody'} at {result.killed_at}; afterwards: "
        f"{result.left_sending} digests left in sending, "
        f"{len(result.held_by_killed)} sources still leased to it, "
        f"{len(result.not_collected_after_kill)} not collected again"
    )
    ok = once == len(result.subscribers) and duplicates <= 1 and result.left_sending == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
