"""Time and memory of extraction and collection on hostile inputs: huge pages and feeds.

Usage::

    python bench/robustness.py [--sizes 1,2,4,10] [--kinds paragraphs,one,nested,text]
                               [--no-collect] [--timeout 300]

Every input is built here, from a fixed seed; nothing is downloaded. Each case runs in a
child process of its own, so that its peak memory (the child's peak resident set size,
``resource.getrusage``, and that of its own workers for collection) is its alone; a case
still running after ``--timeout`` seconds is stopped and shown as such.

The extraction cases call `digest.extract.extract_article` on a page of each size (in MB,
``--sizes``):

- ``paragraphs``: an article of many paragraphs of generated prose, one in ten a verbatim
  copy of an earlier one;
- ``one``: one huge paragraph;
- ``nested``: paragraphs each inside 200 nested ``<div>`` elements;
- ``text``: the ``paragraphs`` prose as plain text, through `digest.extract.clean_text`;
- ``markdown``: a note of that prose with, after every eighth paragraph, a line of 3,000
  characters of unclosed Markdown ("[x [x", "*a *a", "![x", "_a _a", "---...x"), through
  `digest.extract.markdown_to_text`;
- ``html``: the ``paragraphs`` page as a feed entry's HTML, through
  `digest.extract.html_to_text`.

The collection cases serve a feed from a server on 127.0.0.1 and run
`digest.pipeline.collect_all` on it, in a fresh store in a temporary folder: a 40,000-item
RSS feed (with ``[http] max_bytes`` raised to let its 14 MB in), and a feed one of whose
items has a 5 MB title.

The table gives each case's wall time, its peak memory, and the growth of both against
the smallest size of the same kind (near-linear growth keeps time/size roughly flat).
To measure an older version of digest, put its checkout first on the path:
``PYTHONPATH=/path/to/old-checkout python bench/robustness.py ...``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

MB = 2**20
NESTING = 200
FEED_ITEMS = 40_000
TITLE_BYTES = 5 * MB

# --- generated prose ------------------------------------------------------------------------

_SYLLABLES = ("ba", "ce", "di", "fo", "gu", "ha", "ke", "li", "mo", "nu", "pa", "re", "si", "to")
_FUNCTION_WORDS = ("the", "of", "and", "to", "a", "in", "that", "is", "was", "for", "on", "with")


class Prose:
    """Sentences of Zipf-weighted words (common words often, rare ones seldom), as in text."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        made = {
            "".join(self.rng.choices(_SYLLABLES, k=self.rng.randint(1, 4))) for _ in range(9000)
        }
        self.words = [*_FUNCTION_WORDS, *sorted(made)]
        self.cumulative = list(
            itertools.accumulate(1 / rank for rank in range(1, 1 + len(self.words)))
        )

    def sentence(self) -> str:
        words = self.rng.choices(self.words, cum_weights=self.cumulative, k=self.rng.randint(8, 24))
        return " ".join([words[0].capitalize(), *words[1:]]) + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 6)))

    def paragraphs(self, size: int) -> list[str]:
        """About ``size`` characters of paragraphs; one in ten repeats an earlier one."""
        made: list[str] = []
        total = 0
        while total < size:
            paragraph = (
                self.rng.choice(made) if made and self.rng.random() < 0.1 else self.paragraph()
            )
            made.append(paragraph)
            total += len(paragraph) + 9
        return made


def _page(title: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>{title}</title>"
        "<meta name='author' content='Jane Holloway'></head><body><main><article>"
        f"<h1>{title}</h1>{body}</article></main></body></html>"
    )


def build_input(kind: str, size: int) -> str:
    """The input of an extraction case: a page (or, for ``text``, plain text) of ``size``."""
    prose = Prose(seed=size)
    if kind == "paragraphs":
        return _page("A long page", "".join(f"<p>{p}</p>\n" for p in prose.paragraphs(size)))
    if kind == "text":
        return "\n\n".join(prose.paragraphs(size))
    if kind == "markdown":  # prose, and after every 8th paragraph a trap of 3,000 characters
        traps = ["[x " * 1000, "*a " * 1000, "![x " * 750, "_a " * 1000, "-" * 2999 + "x"]
        parts = []
        for n, paragraph in enumerate(prose.paragraphs(size // 2)):
            parts += [paragraph, traps[n // 8 % len(traps)]] if n % 8 == 7 else [paragraph]
        return "\n\n".join(parts)
    if kind == "html":
        return build_input("paragraphs", size)
    if kind == "one":
        return _page("One paragraph", "<p>" + " ".join(prose.paragraphs(size)) + "</p>")
    if kind == "nested":
        opening, closing = "<div>" * NESTING, "</div>" * NESTING
        blocks: list[str] = []
        total = 0
        while total < size:
            blocks.append(f"{opening}<p>{prose.paragraph()}</p>{closing}")
            total += len(blocks[-1])
        return _page("Nested", "".join(blocks))
    raise ValueError(f"unknown kind {kind!r}")


# --- the collection cases ----------------------------------------------------------------


def build_feed(case: str) -> bytes:
    """An RSS 2.0 feed: ``items`` (40,000 short entries) or ``title`` (a 5 MB title)."""
    prose = Prose(seed=7)
    count = FEED_ITEMS if case == "items" else 3
    entries = []
    for n in range(count):
        title = (
            f"Story {n}"
            if case == "items" or n
            else "Huge "
            + " ".join(prose.sentence() for _ in range(TITLE_BYTES // 80))[: TITLE_BYTES - 5]
        )
        entries.append(
            f"<item><title>{escape(title)}</title>"
            f"<link>http://127.0.0.1:9/story/{n}</link><guid>story-{n}</guid>"
            f"<pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate>"
            f"<description>{escape(prose.paragraph())}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Bench</title><link>http://127.0.0.1/</link>" + "".join(entries) + "</channel></rss>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the table is the output."""


def run_collection(case: str) -> dict[str, Any]:
    from digest.config import HOME_ENV, parse
    from digest.pipeline import collect_all
    from digest.store import Store

    os.environ.pop(HOME_ENV, None)  # it would win over the temporary data folder
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1"
    _Handler.body = build_feed(case)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    baseline = _peak_mb()
    try:
        with tempfile.TemporaryDirectory(prefix="digest-robustness-") as folder:
            raw = {
                "data_dir": folder,
                "http": {"max_bytes": 64 * MB, "timeout": 120.0},
                "sources": [
                    {
                        "name": "bench",
                        "url": f"http://127.0.0.1:{server.server_address[1]}/feed.xml",
                        "full_text": "never",
                    }
                ],
            }
            config = parse(raw, base=Path(folder), name="<bench>")
            started = time.perf_counter()
            with Store(config.database) as store:
                report = collect_all(config, store, now=datetime.now(UTC))
            seconds = time.perf_counter() - started
    finally:
        server.shutdown()
    failures = [f"{f.what}: {f.reason}" for f in report.source_failures]
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "baseline_mb": baseline,
        "workers_peak_mb": _peak_mb(resource.RUSAGE_CHILDREN),
        "input_mb": len(_Handler.body) / MB,
        "outcome": failures[0][:80] if failures else f"{report.new_articles} articles",
    }


# --- one case, in a child process -------------------------------------------------------


def run_extraction(kind: str, size: int) -> dict[str, Any]:
    from digest.errors import DigestError
    from digest.extract import clean_text, extract_article, html_to_text, markdown_to_text

    convert = {"text": clean_text, "markdown": markdown_to_text, "html": html_to_text}

    given = build_input(kind, size)
    baseline = _peak_mb()
    started = time.perf_counter()
    try:
        if kind in convert:
            outcome = f"{len(convert[kind](given)):,} chars"
        else:
            outcome = f"{len(extract_article(given, 'https://example.org/long').text):,} chars"
    except DigestError as exc:
        outcome = f"{type(exc).__name__}: {str(exc)[:50]}"
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": _peak_mb(),
        "baseline_mb": baseline,
        "input_mb": len(given.encode()) / MB,
        "outcome": outcome,
    }


def _peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    peak = resource.getrusage(who).ru_maxrss
    return peak / MB if sys.platform == "darwin" else peak / 1024


@dataclass(frozen=True, slots=True)
class Case:
    kind: str
    size: float  # MB; 0 for a collection case

    @property
    def label(self) -> str:
        if self.kind == "items":
            return f"collect: feed of {FEED_ITEMS:,} items"
        if self.kind == "title":
            return "collect: feed with a 5 MB title"
        names = {"text": "clean_text", "markdown": "markdown_to_text", "html": "html_to_text"}
        name = names.get(self.kind, f"extract: {self.kind}")
        return f"{name} {self.size:g} MB"


def run_case(case: Case, timeout: float) -> dict[str, Any]:
    """Run a case in a child process; its figures, or its failure."""
    command = [sys.executable, __file__, "--child", case.kind, str(case.size)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"outcome": f"stopped after {timeout:g} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"outcome": f"crashed: {last[:70]}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def print_table(rows: list[tuple[Case, dict[str, Any]]]) -> None:
    print(
        f"{'case':<34} {'input MB':>8} {'seconds':>8} {'s/MB':>6} {'peak MB':>8} "
        f"{'+MB':>6} {'workers':>7}  outcome"
    )
    for case, result in rows:
        if "seconds" not in result:
            print(f"{case.label:<34} {'':>8} {'':>8} {'':>6} {'':>8} {'':>6} {'':>7}  "
                  f"{result['outcome']}")  # fmt: skip
            continue
        per_mb = result["seconds"] / result["input_mb"] if result["input_mb"] else 0.0
        workers = result.get("workers_peak_mb")
        print(
            f"{case.label:<34} {result['input_mb']:>8.2f} {result['seconds']:>8.2f} "
            f"{per_mb:>6.2f} {result['peak_mb']:>8.0f} "
            f"{result['peak_mb'] - result['baseline_mb']:>6.0f} "
            f"{'' if workers is None else f'{workers:.0f}':>7}  {result['outcome']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1,2,4,10", help="page sizes in MB (default 1,2,4,10)")
    parser.add_argument(
        "--kinds",
        default="paragraphs,one,nested,text,markdown,html",
        help="extraction cases to run",
    )
    parser.add_argument("--no-collect", action="store_true", help="skip the collection cases")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per case")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, size = args.child[0], float(args.child[1])
        if kind in ("items", "title"):
            result = run_collection(kind)
        else:
            result = run_extraction(kind, int(size * MB))
        print(json.dumps(result))
        return 0
    sizes = [float(size) for size in args.sizes.split(",")]
    cases = [Case(kind, size) for kind in args.kinds.split(",") if kind for size in sizes]
    if not args.no_collect:
        cases += [Case("items", 0), Case("title", 0)]
    import digest

    print(f"digest from {Path(digest.__file__).parent}; Python {sys.version.split()[0]}; "
          f"{os.cpu_count()} CPUs; peak MB is the child's peak RSS, +MB its growth over the "
          "input built, workers the collection's worker processes.\n")  # fmt: skip
    rows = []
    for case in cases:
        rows.append((case, run_case(case, args.timeout)))
        print(f"  {case.label}: {rows[-1][1].get('seconds', float('nan')):.2f} s", flush=True)
    print()
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
