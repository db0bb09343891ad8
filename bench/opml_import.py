"""Time `digest sources import` of an OPML file of many feeds into an empty store.

Usage::

    python bench/opml_import.py [--feeds 200,1000]

For each count an OPML document listing that many distinct feeds is imported with
`digest.collect.sources.import_opml` into a fresh store in a temporary folder; the time of
the import is printed, and the ratio of the last count's per-feed time to the first's
(an import whose cost grows with feeds x sources shows a ratio far above 1).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from digest.collect.sources import import_opml
from digest.config import parse
from digest.store import Store


def opml(count: int) -> bytes:
    outlines = "".join(
        f'<outline type="rss" text="Feed {n}" xmlUrl="https://site{n}.example.org/feed.xml"/>'
        for n in range(count)
    )
    return (
        '<?xml version="1.0"?><opml version="2.0"><head><title>Feeds</title></head>'
        f"<body>{outlines}</body></opml>"
    ).encode()


def timed_import(count: int) -> float:
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as folder:
        config = parse({"data_dir": folder}, base=Path(folder))
        with Store(config.database) as store:
            started = time.perf_counter()
            report = import_opml(config, store, opml(count), location="feeds.opml")
            seconds = time.perf_counter() - started
    if len(report.added) != count:
        raise SystemExit(f"{len(report.added)} of {count} feeds were added")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", default="200,1000", help="comma-separated feed counts")
    args = parser.parse_args(argv)
    counts = [int(each) for each in args.feeds.split(",")]
    times = {count: timed_import(count) for count in counts}
    for count, seconds in times.items():
        print(
            f"{count:>6} feeds imported in {seconds:.2f} s ({seconds / count * 1000:.2f} ms a feed)"
        )
    first, last = counts[0], counts[-1]
    ratio = (times[last] / last) / (times[first] / first)
    print(f"time a feed at {last} / at {first}: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
