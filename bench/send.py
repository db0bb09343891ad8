"""Render and send many personalised digests, against plain smtplib sending the same mail.

Usage::

    python bench/send.py [--digests 10000] [--articles 5] [--connections 1] [--repeat 1]

An SMTP server (aiosmtpd, bound to 127.0.0.1 on a free port) runs in a child process and
counts what it accepts. Two measurements follow, each in a fresh child process so that its
peak memory is its own:

- **digest**: a store in a temporary folder, a folder source of ``--articles`` articles
  (generated prose, 300-500 words each, the same on every run), and ``--digests``
  subscribers, each with their own name, address and time zone. One
  `digest.pipeline.run_once` collects and summarises the articles, then renders every
  subscriber's digest (HTML with inlined CSS, and text), builds its message, queues it in
  the outbox and sends it over ``--connections`` SMTP connections. The clock runs from the
  call to the last digest marked sent.
- **smtplib**: the same number of messages, built beforehand (the digests the first
  measurement queued, read back from its store), sent with ``smtplib.SMTP.sendmail`` over
  one reused connection; only the sending is timed.

It prints each measurement's messages per second, wall time, how many the server
received, and the peak RSS of the child process (for digest, the renderer's peak plus
that of its sending process), then the ratio of the two rates and PASS/FAIL against the
targets: digest's rate at least 80 % of smtplib's, peak memory under 300 MB. With
``--repeat N`` both measurements run N times, one right after the other in each round;
on a shared machine the rates drift from minute to minute, so the ratio that counts is the
median of the rounds' ratios (each pair measured under the same conditions). The best rate
of each is printed too, and digest's highest peak memory over the runs is the one judged.
The exit status is 1 when a measurement went wrong (a digest not sent, the server not
receiving every message), else 0.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import smtplib
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.8
TARGET_RSS_MB = 300
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland", "UTC")
WORDS = [
    "harbour",
    "council",
    "river",
    "bridge",
    "museum",
    "library",
    "tram",
    "station",
    "market",
    "school",
    "festival",
    "budget",
    "planning",
    "weather",
    "storm",
    "repair",
    "opening",
    "season",
    "visitors",
    "residents",
    "volunteers",
    "survey",
    "report",
    "engineers",
    "funding",
    "archive",
    "garden",
    "orchestra",
    "street",
    "lantern",
    "ferry",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(port: int, count: Any, ready: Any) -> None:
    """The SMTP server process: accept and count every message."""
    from aiosmtpd.controller import Controller

    class Counter:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def write_articles(folder: Path, count: int) -> None:
    rng = random.Random(5)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        paragraphs = []
        for _ in range(rng.randint(6, 9)):
            sentences = []
            for _ in range(rng.randint(3, 5)):
                words = [rng.choice(WORDS) for _ in range(rng.randint(10, 18))]
                sentences.append(" ".join(words).capitalize() + ".")
            paragraphs.append(f"<p>{' '.join(sentences)}</p>")
        title = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize()
        html = (
            f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{''.join(paragraphs)}</article></body></html>"
        )
        (folder / f"article-{number:02}.html").write_text(html, encoding="utf-8")


def project(home: Path, port: int, digests: int, connections: int) -> dict[str, Any]:
    """Render, queue and send `digests` digests with digest itself."""
    from digest import config as config_module
    from digest.models import Subscriber
    from digest.pipeline import run_once
    from digest.store import Store

    raw = {
        "data_dir": str(home),
        "digest": {"title": "Benchmark digest", "sentences": 3},
        "delivery": {"backend": "smtp", "sender": "Digest <digest@example.org>"},
        "smtp": {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "connections": connections,
            "messages_per_connection": 1_000_000,
        },
        "sources": [{"name": "Articles", "path": str(home / "articles")}],
    }
    config = config_module.parse(raw, base=home)
    readers = tuple(
        Subscriber(f"reader{n:05}@example.org", f"Reader {n}", ZONES[n % len(ZONES)])
        for n in range(digests)
    )
    with Store(home / "digest.sqlite3") as store:
        started = time.perf_counter()
        report = run_once(config, store, now=datetime.now(UTC), recipients=readers)
        seconds = time.perf_counter() - started
    # The sender runs in a child process: count its peak too (the sum bounds the total).
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "seconds": seconds,
        "sent": len(report.sending.sent),
        "problem": report.sending.problem,
        "rss_mb": own + children,
    }


def baseline(home: Path, port: int) -> dict[str, Any]:
    """Send the messages digest queued, pre-built, with plain smtplib over one connection."""
    with sqlite3.connect(home / "digest.sqlite3") as db:
        rows = db.execute(
            """SELECT envelope_from, recipient, message FROM digests
               JOIN digest_messages ON digest_messages.digest_id = digests.id
               ORDER BY digests.id"""
        ).fetchall()
    messages = [(str(sender), str(recipient), bytes(data)) for sender, recipient, data in rows]
    client = smtplib.SMTP("127.0.0.1", port)
    started = time.perf_counter()
    for sender, recipient, data in messages:
        client.sendmail(sender, [recipient], data)
    seconds = time.perf_counter() - started
    client.quit()
    return {
        "seconds": seconds,
        "sent": len(messages),
        "problem": "",
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_worker(kind: str, home: Path, port: int, digests: int, connections: int) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--worker",
        kind,
        "--home",
        str(home),
        "--port",
        str(port),
        "--digests",
        str(digests),
        "--connections",
        str(connections),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"The {kind} worker failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--digests", type=int, default=10_000)
    parser.add_argument("--articles", type=int, default=5)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--worker", choices=("project", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        if args.worker == "project":
            result = project(args.home, args.port, args.digests, args.connections)
        else:
            result = baseline(args.home, args.port)
        print(json.dumps(result))
        return 0

    port = free_port()
    context = multiprocessing.get_context("spawn")
    count = context.Value("q", 0)
    ready = context.Event()
    server = context.Process(target=serve, args=(port, count, ready), daemon=True)
    server.start()
    if not ready.wait(30):
        print("The SMTP server did not start.")
        return 1
    print(
        f"{args.digests} digests of {args.articles} articles, {args.connections} "
        f"connection(s), server on 127.0.0.1:{port} in a separate process"
    )
    ok = True
    project_rate = 0.0
    best: dict[str, dict[str, Any]] = {}
    peak_rss = 0.0
    ratios: list[float] = []
    try:
        for round_number in range(1, args.repeat + 1):
            with tempfile.TemporaryDirectory(prefix="digest-send-") as folder:
                home = Path(folder)
                write_articles(home / "articles", args.articles)
                for kind in ("project", "baseline"):
                    before = count.value
                    result = run_worker(kind, home, port, args.digests, args.connections)
                    received = count.value - before
                    rate = result["sent"] / result["seconds"]
                    label = "digest " if kind == "project" else "smtplib"
                    print(
                        f"run {round_number} {label}: {rate:7.1f} messages/s, "
                        f"{result['seconds']:6.2f} s, {result['sent']} sent, "
                        f"{received} received, peak RSS {result['rss_mb']:.0f} MB"
                        + (f", stopped: {result['problem']}" if result["problem"] else "")
                    )
                    if result["sent"] != args.digests or received != args.digests:
                        ok = False
                    result["rate"] = rate
                    if kind == "project":
                        peak_rss = max(peak_rss, result["rss_mb"])
                    if kind not in best or rate > best[kind]["rate"]:
                        best[kind] = result
                    if kind == "project":
                        project_rate = rate
                    else:
                        ratios.append(project_rate / rate)
    finally:
        server.kill()
    ratio = statistics.median(ratios)
    rss = peak_rss
    best_ratio = best["project"]["rate"] / best["baseline"]["rate"]
    print(
        "ratio of the rates in each round: " + ", ".join(f"{each:.0%}" for each in ratios)
        + f"; of the best rates: {best_ratio:.0%}"
    )  # fmt: skip
    print(
        f"digest's rate is {ratio:.0%} of smtplib's, the median of the rounds (target at "
        f"least {TARGET_RATIO:.0%}): {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}"
    )
    print(
        f"digest's peak RSS is {rss:.0f} MB (target under {TARGET_RSS_MB} MB): "
        f"{'PASS' if rss < TARGET_RSS_MB else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
