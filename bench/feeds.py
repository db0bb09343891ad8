"""How digest's feed reading compares with feedparser, and how fast and lean it is.

Usage::

    python bench/feeds.py [--corpus] [--timing] [--items 40000] [--digest-root PATH]

``--corpus`` runs every file of tests/data/feedparser-tests/ through `parse_feed` and through
feedparser directly (the comparison of tests/test_feed_corpus.py) and prints, per corpus
folder: files, crashes (exceptions other than `DigestError`), files digest refused while
feedparser found entries, entries missing and extra against feedparser, mismatches per
field, and files where the fast reader and the feedparser path disagree. Reviewed
differences (tests/data/feed-differences.toml) are counted too: this is the raw picture.

``--timing`` builds an RSS 2.0 feed of ``--items`` entries (title, link, guid, pubDate,
dc:creator and a paragraph of HTML each) and times `parse_feed` on it end to end, then a
feed with one 5 MB title; each runs in a child process, which reports its wall time and its
peak resident memory (ru_maxrss) above what importing digest cost.

With neither flag, both run. ``--digest-root`` reads the `digest` package from another
checkout (e.g. a worktree of an older commit) to measure the code as it was.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNTED = ("crash", "refused", "missing", "extra", "title", "link", "id", "date", "author",
           "text", "readers")  # fmt: skip


def _load_corpus_module(digest_root: Path) -> object:
    sys.path.insert(0, str(digest_root))
    spec = importlib.util.spec_from_file_location(
        "feed_corpus", ROOT / "tests" / "test_feed_corpus.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["feed_corpus"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def corpus_table(digest_root: Path) -> None:
    corpus = _load_corpus_module(digest_root)
    import inspect

    from digest.collect.feeds import fast

    takes_type = "content_type" in inspect.signature(fast.parse).parameters
    if not takes_type:  # the older fast reader: no content type argument
        original = fast.parse
        fast.parse = lambda content, source, base_url, content_type="": original(  # type: ignore[assignment]
            content, source, base_url
        )
    files: Counter[str] = Counter()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    fast_files: Counter[str] = Counter()
    started = time.perf_counter()
    for name in corpus.corpus_files():  # type: ignore[attr-defined]
        folder = name.split("/")[0]
        files[folder] += 1
        case = corpus.load_case(name)  # type: ignore[attr-defined]
        for difference in corpus.compare(case):  # type: ignore[attr-defined]
            counts[folder][difference.field] += 1
        try:
            accepted = fast.parse(case.content, corpus.SOURCE, case.url, case.content_type)  # type: ignore[attr-defined]
        except Exception:
            accepted = None
            counts[folder]["readers"] += 1
        if accepted is not None:
            fast_files[folder] += 1
            if corpus.readers_disagree(case, case.url):  # type: ignore[attr-defined]
                counts[folder]["readers"] += 1
    header = ["folder", "files", "fast", *COUNTED]
    rows = [
        [folder, str(files[folder]), str(fast_files[folder])]
        + [str(counts[folder][key]) for key in COUNTED]
        for folder in sorted(files)
    ]
    totals = [str(sum(c[key] for c in counts.values())) for key in COUNTED]
    rows.append(["total", str(sum(files.values())), str(sum(fast_files.values())), *totals])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    print(f"({time.perf_counter() - started:.1f} s; 'fast' = files the fast reader accepted, "
          "'readers' = files where it disagrees with the feedparser path)")  # fmt: skip


def big_feed(items: int) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Big</title>'
        "<link>https://example.com/</link><description>many items</description>"
    ]
    for n in range(items):
        parts.append(
            f"<item><title>Item {n} &amp; friends: that&#8217;s news</title>"
            f"<link>https://example.com/posts/{n}</link><guid>https://example.com/?p={n}</guid>"
            f"<pubDate>Tue, 24 Nov 2026 08:{n % 60:02d}:00 +0100</pubDate>"
            f"<dc:creator>Writer {n % 17}</dc:creator><description>&lt;p&gt;Paragraph {n} "
            "of the story, with &lt;b&gt;some&lt;/b&gt; markup and a few words more "
            "to make it a realistic teaser.&lt;/p&gt;</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def huge_title_feed(megabytes: int = 5) -> bytes:
    words = ("word " * (megabytes * 1024 * 1024 // 5)).encode()
    return (
        b'<rss version="2.0"><channel><title>t</title><item><title>' + words + b"</title>"
        b"<link>https://example.com/1</link><description>d</description></item></channel></rss>"
    )


_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from digest.collect.feeds.parse import parse_feed
from digest.models import Source, SourceKind
content = open(sys.argv[2], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
items = parse_feed(content, Source("bench", SourceKind.FEED, "https://example.com/feed"),
                   base_url="https://example.com/feed")
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"items": len(items), "seconds": elapsed, "peak_mb": (peak - before) / 1024,
                  "title_chars": max((len(i.title) for i in items), default=0)}))
"""


def timing(digest_root: Path, items: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for label, content in (
            (f"{items:,}-item RSS feed", big_feed(items)),
            ("one 5 MB title", huge_title_feed()),
        ):
            path = Path(folder) / "feed.xml"
            path.write_bytes(content)
            result = subprocess.run(
                [sys.executable, "-c", _CHILD, str(digest_root), str(path)],
                capture_output=True, text=True, check=False,
                env={**os.environ, "PYTHONPATH": str(digest_root)},
            )  # fmt: skip
            if result.returncode:
                print(f"{label}: failed\n{result.stderr[-2000:]}")
                continue
            report = json.loads(result.stdout.strip().splitlines()[-1])
            print(
                f"{label} ({len(content) / 1e6:.1f} MB): {report['items']} items in "
                f"{report['seconds']:.2f} s, peak memory +{report['peak_mb']:.0f} MB, "
                f"longest title {report['title_chars']:,} characters"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", action="store_true")
    parser.add_argument("--timing", action="store_true")
    parser.add_argument("--items", type=int, default=40_000)
    parser.add_argument("--digest-root", type=Path, default=ROOT)
    args = parser.parse_args()
    both = not (args.corpus or args.timing)
    if args.corpus or both:
        corpus_table(args.digest_root.resolve())
    if args.timing or both:
        timing(args.digest_root.resolve(), args.items)
    return 0


if __name__ == "__main__":
    sys.exit(main())
