"""Time a whole collection pass against many feeds served over slow local HTTP.

Usage::

    python bench/collect.py [--feeds 200] [--entries 20] [--latency-ms 50]
                            [--concurrency N] [--per-host N] [--duplicates 10]
                            [--tracemalloc] [--profile] [--profile-out FILE]

A server in a child process (bound to 127.0.0.1 on a free port, one thread per
connection) serves ``/feed/<n>.xml``: RSS 2.0 feeds whose entries carry their whole text
(400-700 words of generated HTML prose in ``<content:encoded>``, different for every
entry, the same on every run), so no linked page is ever fetched; every source also sets
``full_text = "never"``. Every request waits ``--latency-ms`` before it is answered. Each
feed has an ETag and a Last-Modified date, and a request repeating either is answered
304. ``--duplicates`` pairs of entries in different feeds carry the same text (half
verbatim, half with a sentence added) so that de-duplication has something to find, and
``--look-alikes`` pairs are distinct stories built to fool it: the second shares the first's
opening 30 % of sentences (about a fifth of its word 3-shingles), and the rest of its
sentences are picked from generated ones so that its SimHash lands within a few bits of the
first's (`look_alike`, which reads the fingerprint's own shingle hashing). After the first
run the benchmark looks each planted pair up in the store and prints how many near-duplicates
were merged (all should be) and how many look-alikes were (false merges; none should be).

The benchmark then builds a configuration with `digest.config.parse`, opens a fresh
store in a temporary folder and calls `digest.pipeline.collect_all` twice: the first
run fetches, parses, cleans, fingerprints, de-duplicates and stores every entry (nothing
is summarised); the second is answered by 304s. It prints what each run found, the wall
time of each, articles per second, the peak RSS of this process (the server's memory is
not counted) and PASS/FAIL against the targets: run 1 under 10 s, run 2 under 2 s (on 2
cores). It also prints each run's CPU time, which shows how many cores were kept busy and
is less disturbed than wall time by other work on the machine. ``--tracemalloc`` adds
Python's own allocation peak (and slows the runs down).
``--profile`` runs the first collection under cProfile (several times slower), one
profiler per thread merged at the end, and prints the top 25 functions by cumulative and
by own time. The times are CPU seconds of each thread, added up over threads: waiting
(for the network, or for the GIL) is not counted. Profiling inflates code made of many
tiny calls (generator expressions) the most, so time a suspect stage on its own before
trusting its share.

All the feeds live on one host here, while real feeds are spread over many; so that
``[http] per_host`` does not serialise the whole run, it defaults to the concurrency.
Pass ``--per-host 4`` to see the default configuration against a single host.

The exit status is 0 when both runs completed, whether or not the targets were met, and
1 when something went wrong (the server did not start, or a source failed).
"""

from __future__ import annotations

import argparse
import cProfile
import email.utils
import hashlib
import html
import io
import os
import pstats
import random
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any, cast
from xml.sax.saxutils import escape

import numpy as np
import numpy.typing as npt

from digest.collect import CollectionReport, fingerprint
from digest.collect.fingerprint import simhash
from digest.config import HOME_ENV, Config, HttpSettings, parse
from digest.pipeline import collect_all
from digest.store import Store

TARGET_FIRST = 10.0  # seconds, a full collection
TARGET_SECOND = 2.0  # seconds, a collection answered by 304s
SERVER_START_TIMEOUT = 120.0
LAST_MODIFIED = email.utils.formatdate(1_735_689_600, usegmt=True)  # 2025-01-01
LAST_MODIFIED_TIME = email.utils.parsedate_to_datetime(LAST_MODIFIED)

# --- generated prose ----------------------------------------------------------------------

_FUNCTION_WORDS = (
    *("the", "of", "and", "to", "a", "in", "that", "is", "was", "for", "on", "with", "as"),
    *("by", "at", "from", "it", "were", "which", "this", "be", "are", "has", "had", "have"),
    *("not", "but", "or", "an", "their", "its", "after", "more", "than", "they", "who"),
    *("would", "said", "also", "been", "over", "into", "about", "could", "when", "new"),
    *("two", "first", "will", "other", "some", "most", "people", "year", "city", "report"),
    *("government", "officials", "market", "company", "week", "data", "plan", "local"),
)
_ONSETS = ("b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z")
_ONSETS_2 = ("br", "ch", "cl", "dr", "fl", "gr", "pl", "sh", "st", "th", "tr")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ou")
_CODAS = ("", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "rk")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Words to draw prose from, with Zipf-like weights (common words often, rare ones not)."""

    words: tuple[str, ...]
    cum_weights: tuple[float, ...]

    @classmethod
    def build(cls, seed: int, size: int = 6000) -> Vocabulary:
        rng = random.Random(f"vocabulary:{seed}")
        made: dict[str, None] = {}
        while len(made) < size:
            syllables = rng.choice((1, 1, 2, 2, 2, 3))
            word = "".join(
                rng.choice(_ONSETS_2 if rng.random() < 0.2 else _ONSETS)
                + rng.choice(_VOWELS)
                + rng.choice(_CODAS)
                for _ in range(syllables)
            )
            if word not in _FUNCTION_WORDS:
                made[word] = None
        words = (*_FUNCTION_WORDS, *made)
        weights = [2.0 / (rank + 1) for rank in range(len(_FUNCTION_WORDS))]
        weights += [1.0 / (rank + 30) ** 0.9 for rank in range(len(made))]
        total = 0.0
        cumulative: list[float] = []
        for weight in weights:
            total += weight
            cumulative.append(total)
        return cls(words, tuple(cumulative))

    def draw(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum_weights, k=count)


def _sentence(rng: random.Random, vocabulary: Vocabulary, site: str, *, markup: bool) -> str:
    words = vocabulary.draw(rng, rng.randint(8, 24))
    for i, word in enumerate(words):
        roll = rng.random()
        if roll < 0.04:
            words[i] = word.capitalize()  # a name
        elif roll < 0.07 and i < len(words) - 1:
            words[i] = word + ","
        elif markup and roll < 0.085:
            words[i] = f'<a href="https://{site}/topic/{word}">{word}</a>'
        elif markup and roll < 0.095:
            words[i] = f"<em>{word}</em>"
        elif markup and roll < 0.1:
            words[i] = f"<strong>{word}</strong>"
        elif roll < 0.103:
            words[i] = word + "\u2019s"
        elif roll < 0.105:
            words[i] = "R&amp;D"
    words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words) + rng.choice((".", ".", ".", ".", ".", "?", "!"))


def article_html(rng: random.Random, vocabulary: Vocabulary, site: str) -> str:
    """400-700 words of HTML paragraphs, with the odd heading, list and quotation."""
    target = rng.randint(400, 700)
    parts: list[str] = []
    words = 0
    while words < target:
        roll = rng.random()
        if roll < 0.08 and parts:
            heading = " ".join(vocabulary.draw(rng, rng.randint(3, 6))).capitalize()
            parts.append(f"<h2>{heading}</h2>")
            words += heading.count(" ") + 1
        elif roll < 0.14:
            items = [
                " ".join(vocabulary.draw(rng, rng.randint(2, 5))).capitalize()
                for _ in range(rng.randint(3, 5))
            ]
            parts.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
            words += sum(item.count(" ") + 1 for item in items)
        else:
            sentences = [
                _sentence(rng, vocabulary, site, markup=True) for _ in range(rng.randint(2, 6))
            ]
            body = " ".join(sentences)
            parts.append(
                f"<blockquote><p>{body}</p></blockquote>" if roll < 0.18 else f"<p>{body}</p>"
            )
            words += body.count(" ") + 1
    return "\n".join(parts)


@dataclass(frozen=True, slots=True)
class Entry:
    title: str
    html: str


def plan_entries(
    feeds: int, entries: int, duplicates: int, seed: int, look_alikes: int = 0
) -> tuple[list[list[Entry]], int, int]:
    """Every feed's entries; returns them with the numbers of duplicate and look-alike pairs
    planted.

    Pair p copies the first entry of feed 2p into the last entry of feed 2p + 1: verbatim
    for even p (the same words), with one sentence added for odd p (a near-duplicate).
    Look-alike pair q replaces the second entry of feed 2q with a story and the last but one
    of feed 2q + 1 with its `look_alike`.
    """
    vocabulary = Vocabulary.build(seed)
    plan: list[list[Entry]] = []
    for feed in range(feeds):
        site = f"news{feed}.example"
        row: list[Entry] = []
        for index in range(entries):
            rng = random.Random(f"entry:{seed}:{feed}:{index}")
            title = " ".join(vocabulary.draw(rng, rng.randint(5, 10))).capitalize()
            row.append(Entry(title, article_html(rng, vocabulary, site)))
        plan.append(row)
    pairs = min(duplicates, feeds // 2) if entries >= 2 else 0
    for pair in range(pairs):
        original = plan[2 * pair][0]
        html = original.html
        if pair % 2:
            rng = random.Random(f"near:{seed}:{pair}")
            extra = _sentence(rng, vocabulary, "syndicated.example", markup=False)
            html += f"\n<p>{extra}</p>"
        plan[2 * pair + 1][-1] = Entry(original.title, html)
    alikes = min(look_alikes, feeds // 2) if entries >= 4 else 0
    for pair in range(alikes):
        rng = random.Random(f"alike:{seed}:{pair}")
        story = [_sentence(rng, vocabulary, "wire.example", markup=False) for _ in range(36)]
        other = look_alike(rng, vocabulary, story)
        for feed, index, sentences in ((2 * pair, 1, story), (2 * pair + 1, entries - 2, other)):
            title = " ".join(vocabulary.draw(rng, rng.randint(5, 10))).capitalize()
            paragraphs = [sentences[i : i + 4] for i in range(0, len(sentences), 4)]
            html = "\n".join(f"<p>{' '.join(each)}</p>" for each in paragraphs)
            plan[feed][index] = Entry(title, html)
    return plan, pairs, alikes


def look_alike(
    rng: random.Random, vocabulary: Vocabulary, story: list[str], tries: int = 8
) -> list[str]:
    """A different story as long as `story`, sharing its first 30 % of sentences, whose
    SimHash is as close to the story's as a greedy pick from generated sentences makes it.

    Each pick adds the sentence whose shingles' bit votes most move the look-alike's votes
    towards the story's fingerprint (each bit's agreement counted up to a margin).
    """
    target = simhash(_plain(story))
    assert target is not None
    wanted = np.array([1 if target >> bit & 1 else -1 for bit in range(64)], dtype=np.int64)
    shared = story[: len(story) * 3 // 10]
    best: list[str] = []
    best_distance = 65
    for _ in range(tries):
        chosen = list(shared)
        votes = _votes(_plain(chosen))
        pool = [_sentence(rng, vocabulary, "desk.example", markup=False) for _ in range(300)]
        pool_votes = np.array([_votes(_plain([each])) for each in pool])
        used = np.zeros(len(pool), dtype=bool)
        while len(chosen) < len(story):
            scores = np.minimum((votes + pool_votes) * wanted, 12).sum(axis=1)
            scores[used] = np.iinfo(np.int64).min
            pick = int(np.argmax(scores))
            used[pick] = True
            chosen.append(pool[pick])
            votes = votes + pool_votes[pick]
        made = simhash(_plain(chosen))
        distance = bin((made or 0) ^ target).count("1")
        if distance < best_distance:
            best, best_distance = chosen, distance
        if distance <= 4:
            break
    return best


def _plain(sentences: list[str]) -> str:
    return html.unescape(" ".join(sentences))


def _votes(text: str) -> npt.NDArray[np.int64]:
    """Each bit's vote (+1 per shingle with it set, -1 per shingle without), as
    `digest.collect.fingerprint` sums them before taking signs."""
    words = fingerprint._WORD.findall(text.casefold())
    if len(words) < 3:
        return np.zeros(64, dtype=np.int64)
    ids = np.array([fingerprint._word_hash(word) for word in words], dtype=np.uint64)
    with np.errstate(over="ignore"):
        mixed = ids[:-2] * fingerprint._K1 + ids[1:-1] * fingerprint._K2 + ids[2:] * fingerprint._K3
        shingles = fingerprint._finalise(np.unique(mixed))
    bits = np.unpackbits(shingles.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    votes: npt.NDArray[np.int64] = bits.sum(axis=0, dtype=np.int64) * 2 - len(shingles)
    return votes


def feed_xml(feed: int, row: list[Entry]) -> bytes:
    """One RSS 2.0 document; links point at ``news<feed>.example`` and are never fetched."""
    site = f"https://news{feed}.example"
    items: list[str] = []
    for index, entry in enumerate(row):
        published = email.utils.formatdate(1_735_689_600 - 3600 * (feed + 7 * index), usegmt=True)
        teaser = entry.html.split("</p>", 1)[0].removeprefix("<p>")[:300]
        items.append(
            "<item>"
            f"<title>{escape(entry.title)}</title>"
            f"<link>{site}/{2024 + index % 2}/story-{feed}-{index}</link>"
            f'<guid isPermaLink="false">news{feed}-entry-{index}</guid>'
            f"<pubDate>{published}</pubDate>"
            f"<dc:creator>Reporter {index % 5}</dc:creator>"
            f"<description>{escape(teaser)}</description>"
            f"<content:encoded><![CDATA[{entry.html}]]></content:encoded>"
            "</item>"
        )
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f"<channel><title>News {feed}</title><link>{site}/</link>"
        f"<description>Stories from news {feed}</description>"
        f"<lastBuildDate>{LAST_MODIFIED}</lastBuildDate>\n"
        + "\n".join(items)
        + "\n</channel></rss>\n"
    )
    return document.encode("utf-8")


# --- the server (child process) ---------------------------------------------------------


class _FeedServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 drops connections under concurrency

    def __init__(self, feeds: dict[str, tuple[bytes, str]], latency: float) -> None:
        super().__init__(("127.0.0.1", 0), _FeedHandler)
        self.feeds = feeds
        self.latency = latency
        self.counts = {"200": 0, "304": 0, "404": 0}
        self.counts_lock = threading.Lock()

    def count(self, status: str) -> None:
        with self.counts_lock:
            self.counts[status] += 1


class _FeedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers allow

    def do_GET(self) -> None:
        server = cast(_FeedServer, self.server)
        time.sleep(server.latency)
        found = server.feeds.get(self.path)
        if found is None:
            server.count("404")
            self.send_error(404)
            return
        body, etag = found
        if self._not_modified(etag):
            server.count("304")
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.end_headers()
            return
        server.count("200")
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", LAST_MODIFIED)
        self.end_headers()
        self.wfile.write(body)

    def _not_modified(self, etag: str) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:  # it takes precedence over If-Modified-Since
            return etag in (tag.strip() for tag in if_none_match.split(","))
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            return email.utils.parsedate_to_datetime(since) >= LAST_MODIFIED_TIME
        except (TypeError, ValueError):
            return False

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would drown the figures


def serve(
    conn: Connection,
    feeds: int,
    entries: int,
    duplicates: int,
    seed: int,
    latency: float,
    look_alikes: int = 0,
) -> None:
    """The child process: build every feed once, serve them, answer "stats" and "stop"."""
    plan, pairs, alikes = plan_entries(feeds, entries, duplicates, seed, look_alikes)
    documents: dict[str, tuple[bytes, str]] = {}
    for feed, row in enumerate(plan):
        body = feed_xml(feed, row)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        documents[f"/feed/{feed}.xml"] = (body, etag)
    size = sum(len(body) for body, _ in documents.values())
    del plan
    server = _FeedServer(documents, latency)
    thread = threading.Thread(target=server.serve_forever, name="feed-server", daemon=True)
    thread.start()
    conn.send(("ready", server.server_address[1], pairs, alikes, size))
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:  # the benchmark went away
                break
            if message == "stats":
                with server.counts_lock:
                    conn.send(dict(server.counts))
            elif message == "stop":
                break
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass(slots=True)
class FeedServer:
    """The parent's handle on the server process."""

    port: int
    planted_duplicates: int
    planted_look_alikes: int
    bytes_served: int
    conn: Connection
    process: Any  # a SpawnProcess; typeshed gives it no public name

    def stats(self) -> dict[str, int]:
        self.conn.send("stats")
        return cast(dict[str, int], self.conn.recv())


@contextmanager
def feed_server(
    feeds: int, entries: int, duplicates: int, seed: int, latency: float, look_alikes: int = 0
) -> Iterator[FeedServer]:
    """Start the server process, wait until it listens, and stop it cleanly afterwards."""
    context = get_context("spawn")  # a fresh interpreter: no state shared with this one
    parent, child = context.Pipe()
    process = context.Process(
        target=serve,
        args=(child, feeds, entries, duplicates, seed, latency, look_alikes),
        name="bench-feed-server",
    )
    process.start()
    child.close()
    try:
        if not parent.poll(SERVER_START_TIMEOUT):
            raise RuntimeError(f"The feed server did not start within {SERVER_START_TIMEOUT:g} s.")
        _, port, pairs, alikes, size = parent.recv()
        yield FeedServer(int(port), int(pairs), int(alikes), int(size), parent, process)
    except EOFError as exc:
        raise RuntimeError(f"The feed server exited with code {process.exitcode}.") from exc
    finally:
        with suppress(OSError):  # already gone
            parent.send("stop")
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
        parent.close()


# --- the benchmark ----------------------------------------------------------------------


def build_config(args: argparse.Namespace, port: int, data_dir: Path) -> Config:
    """The configuration a user would write for these feeds."""
    http: dict[str, Any] = {}
    if args.concurrency is not None:
        http["concurrency"] = args.concurrency
    per_host = args.per_host or args.concurrency or HttpSettings().concurrency
    http["per_host"] = per_host
    sources = [
        {
            "name": f"news-{feed:03d}",
            "url": f"http://127.0.0.1:{port}/feed/{feed}.xml",
            "full_text": "never",
        }
        for feed in range(args.feeds)
    ]
    raw: dict[str, Any] = {"data_dir": str(data_dir), "http": http, "sources": sources}
    if args.processes is not None:
        raw["collect"] = {"processes": args.processes}
    return parse(raw, base=data_dir, name="<bench>")


@dataclass(frozen=True, slots=True)
class Run:
    report: CollectionReport
    seconds: float
    cpu_seconds: float  # of every thread of this process (not the server's)
    peak_rss_mb: float
    traced_peak_mb: float | None
    served: dict[str, int]


def timed_collection(
    config: Config, store: Store, server: FeedServer, profiler: ThreadProfiler | None = None
) -> Run:
    """One `collect_all`, timed, with the server's answers counted."""
    before = server.stats()
    if tracemalloc.is_tracing():
        tracemalloc.reset_peak()
    if profiler is not None:
        profiler.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        report = collect_all(config, store, now=datetime.now(UTC))
    finally:
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        if profiler is not None:
            profiler.stop()
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if tracemalloc.is_tracing() else None
    after = server.stats()
    served = {status: after[status] - before[status] for status in after}
    return Run(report, seconds, cpu_seconds, peak_rss_mb(), traced, served)


def planted_merges(store: Store, entries: int, server: FeedServer) -> tuple[int, int]:
    """How many planted duplicate pairs, and how many look-alike pairs, the store holds as
    one article (see `plan_entries` for where each pair was planted)."""

    def one_article(first: tuple[int, int], second: tuple[int, int]) -> bool:
        ids = [
            store._read(  # the benchmark's own look at what was stored
                """SELECT items.article_id FROM items JOIN sources ON sources.id = items.source_id
                   WHERE sources.name = ? AND items.guid = ?""",
                (f"news-{feed:03d}", f"news{feed}-entry-{index}"),
            )
            for feed, index in (first, second)
        ]
        return bool(ids[0] and ids[1]) and ids[0][0][0] == ids[1][0][0]

    duplicates = sum(
        one_article((2 * p, 0), (2 * p + 1, entries - 1)) for p in range(server.planted_duplicates)
    )
    alikes = sum(
        one_article((2 * q, 1), (2 * q + 1, entries - 2)) for q in range(server.planted_look_alikes)
    )
    return duplicates, alikes


def peak_rss_mb() -> float:
    """The peak resident set size of this process so far (kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


class ThreadProfiler:
    """cProfile for the calling thread and for every thread started while it runs.

    A cProfile profiler follows one thread only, so each new thread gets its own (started
    by a `threading.setprofile` hook on its first event) and the results are merged. Each
    counts its thread's CPU time: wall time would charge every function with the time its
    thread spent waiting for the GIL, which other threads held.
    """

    def __init__(self) -> None:
        self._main = cProfile.Profile(time.thread_time)
        self._others: list[cProfile.Profile] = []
        self._lock = threading.Lock()

    def _hook(self, frame: FrameType, event: str, arg: Any) -> None:
        profiler = cProfile.Profile(time.thread_time)
        with self._lock:
            self._others.append(profiler)
        profiler.enable()  # replaces this hook for the rest of the thread's life

    def start(self) -> None:
        threading.setprofile(self._hook)
        self._main.enable()

    def stop(self) -> None:
        self._main.disable()
        threading.setprofile(None)  # None removes the hook

    def print(self, top: int = 25, save: Path | None = None) -> None:
        """Print the merged stats; with `save`, also write them for pstats or snakeviz."""
        stream = io.StringIO()
        stats = pstats.Stats(self._main, stream=stream)
        with self._lock:
            for profiler in self._others:
                profiler.disable()
                stats.add(profiler)
        if save is not None:
            stats.dump_stats(save)
        stats.strip_dirs()
        print(
            f"\nProfile of run 1: CPU seconds of {1 + len(self._others)} threads, merged"
            f" ({stats.total_tt:.1f} s in all)"  # type: ignore[attr-defined]
        )
        for key, what in (("cumulative", "cumulative time"), ("tottime", "own time")):
            stream.seek(0)
            stream.truncate()
            stats.sort_stats(key).print_stats(top)
            lines = stream.getvalue().splitlines()
            start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
            print(f"\nTop {top} functions by {what}:")
            print("\n".join(lines[start:]).rstrip())


def print_run(label: str, run: Run, target: float) -> None:
    report = run.report
    processed = report.new_articles + report.duplicates + len(report.item_failures)
    verdict = "PASS" if run.seconds < target else "FAIL"
    print(f"\n{label}")
    print(f"  feeds read          {report.sources_read} ({report.sources_unchanged} not modified)")
    print(
        f"  server answers      {run.served['200']} x 200, {run.served['304']} x 304,"
        f" {run.served['404']} x 404"
    )
    print(f"  entries processed   {processed}")
    print(f"  new articles        {report.new_articles}")
    print(f"  duplicates          {report.duplicates}")
    failures = len(report.source_failures) + len(report.item_failures)
    print(f"  failures            {failures} (sources {len(report.source_failures)},"
          f" items {len(report.item_failures)},"
          f" full text {len(report.full_text_failures)})")  # fmt: skip
    print(f"  wall time           {run.seconds:.2f} s  (target < {target:g} s: {verdict})")
    print(
        f"  CPU time            {run.cpu_seconds:.2f} s"
        f" ({run.cpu_seconds / run.seconds:.2f} cores busy on average)"
    )
    if report.new_articles:
        print(f"  articles/s          {report.new_articles / run.seconds:.0f}")
    print(f"  peak RSS so far     {run.peak_rss_mb:.0f} MB")
    if run.traced_peak_mb is not None:
        print(f"  tracemalloc peak    {run.traced_peak_mb:.0f} MB")
    for failure in (*report.source_failures, *report.item_failures)[:5]:
        print(f"  ! {failure.what}: {failure.reason}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--feeds", type=int, default=200, help="feeds served (default 200)")
    parser.add_argument("--entries", type=int, default=20, help="entries per feed (default 20)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="per request (default 50)")
    parser.add_argument("--concurrency", type=int, help="[http] concurrency (default: config's)")
    parser.add_argument("--per-host", type=int, help="[http] per_host (default: concurrency)")
    parser.add_argument(
        "--processes", type=int, help="[collect] processes (default: config's, automatic)"
    )
    parser.add_argument("--duplicates", type=int, default=10, help="duplicate pairs planted")
    parser.add_argument(
        "--look-alikes", type=int, default=10, help="distinct look-alike pairs planted"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated prose")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace allocations")
    parser.add_argument("--profile", action="store_true", help="cProfile the first run (slow)")
    parser.add_argument("--profile-out", type=Path, help="save that profile (implies --profile)")
    args = parser.parse_args(argv)
    if args.feeds < 1 or args.entries < 1:
        parser.error("--feeds and --entries must be at least 1")
    # DIGEST_HOME would win over the temporary data folder and put the benchmark's
    # articles into a real store.
    os.environ.pop(HOME_ENV, None)
    if any(name in os.environ for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")):
        # The fetcher honours proxy variables; the local server must be reached directly.
        os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1"

    started = time.perf_counter()
    with (
        feed_server(
            args.feeds,
            args.entries,
            args.duplicates,
            args.seed,
            args.latency_ms / 1000,
            args.look_alikes,
        ) as server,
        tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp,
    ):
        config = build_config(args, server.port, Path(tmp))
        print(
            f"Serving {args.feeds} feeds x {args.entries} entries"
            f" ({server.bytes_served / 2**20:.1f} MB, {server.planted_duplicates} duplicate"
            f" pairs planted) on 127.0.0.1:{server.port} with {args.latency_ms:g} ms latency;"
            f" ready in {time.perf_counter() - started:.1f} s."
        )
        print(
            f"[http] concurrency = {config.http.concurrency}, per_host = {config.http.per_host};"
            f" {os.cpu_count()} CPUs; Python {sys.version.split()[0]}"
        )
        print(f"Peak RSS before collecting: {peak_rss_mb():.0f} MB")
        if args.tracemalloc:
            tracemalloc.start()
        profiler = ThreadProfiler() if args.profile or args.profile_out else None
        with Store(config.database) as store:
            first = timed_collection(config, store, server, profiler)
            merged = planted_merges(store, args.entries, server)
            second = timed_collection(config, store, server)
        if args.tracemalloc:
            tracemalloc.stop()
    print_run("Run 1: full collection" + (" (profiled)" if profiler else ""), first, TARGET_FIRST)
    print_run("Run 2: every feed unchanged (304)", second, TARGET_SECOND)
    print(f"\nDuplicates found in run 1: {first.report.duplicates}"
          f" (pairs planted: {server.planted_duplicates})")  # fmt: skip
    print(f"Near-duplicate pairs merged: {merged[0]} of {server.planted_duplicates} planted;"
          f" look-alike pairs merged (false merges): {merged[1]} of"
          f" {server.planted_look_alikes} planted")  # fmt: skip
    if profiler is not None:
        profiler.print(save=args.profile_out)
    failed = first.report.source_failures or second.report.source_failures
    if failed:
        print("\nError: a source failed, so these figures do not measure a whole collection.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
