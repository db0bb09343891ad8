"""Time the store's recurring work at 10k, 100k and 1M stored articles, to show growth.

Usage::

    python bench/store.py [--sizes 10k,100k,1m] [--repeat 3] [--keep DIR]

For each size N a store is filled through the Store API, as collection and sending fill it:
200 sources, 100 subscribers and 4,000 new articles a day (20 per source), each subscriber
sent a daily digest of 50 articles (queued, then marked sent), so that the outbox, the
deliveries and the items grow with the articles. The last day's articles come after the
last digests: each subscriber has about 4,000 new articles. With ``--keep DIR`` a filled
store is kept as ``DIR/store-N.sqlite3`` and a copy of it measured by later runs (1M takes
minutes to fill); the store's migrations run on its first open, as on an upgrade.

The figures, each the median of ``--repeat`` runs, in seconds:

- ``open``: opening and closing the store (`Store(path)`);
- ``digest query``: choosing one subscriber's articles (`pipeline.choose_articles`);
- ``run, nothing new``: the store's part of ``digest run`` when nothing is new: a
  collection pass over 200 local feed files whose entries are all seen
  (`pipeline.collect_all`), then every subscriber's articles chosen;
- ``tick, nobody due``: `schedule.due_now` (every period decided) and the outbox asked
  for due digests;
- ``subscribers`` / ``schedule``: what ``digest subscribers`` and ``digest schedule`` read
  (`Store.subscribers`, `schedule.upcoming`).

Then, for every size after the first, each figure's ratio to the first size's: growth
within 2x of the 10k figure at 1M is the target.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from digest import pipeline
from digest.config import Config, parse
from digest.models import Article, CollectedArticle, Source, SourceKind, Subscriber
from digest.schedule import due_now, upcoming
from digest.store import Store

SOURCES = 200
SUBSCRIBERS = 100
PER_DAY = 4000
PER_DIGEST = 50
START = datetime(2025, 1, 1, 6, 0, tzinfo=UTC)
WORDS = [
    "river",
    "council",
    "budget",
    "season",
    "station",
    "harbour",
    "market",
    "school",
    "bridge",
    "library",
    "orchard",
    "weather",
    "festival",
    "museum",
    "railway",
    "garden",
    "hospital",
    "factory",
    "theatre",
    "election",
]


def _size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def _text(number: int) -> str:
    words = [WORDS[(number * 7 + i * 3) % len(WORDS)] for i in range(40)]
    return f"Story {number}. " + " ".join(words) + "."


def _source_name(index: int) -> str:
    return f"news-{index:03d}"


def _email(index: int) -> str:
    return f"reader{index:03d}@example.org"


def fill(path: Path, count: int) -> datetime:
    """Fill a new store at `path` with `count` articles; returns the time after the fill."""
    days = -(-count // PER_DAY)
    stored = 0
    with Store(path) as store:
        for index in range(SOURCES):
            store.sync_source(Source(_source_name(index), SourceKind.FEED, f"/nowhere/{index}.xml"))
        subscribers = [Subscriber(_email(index)) for index in range(SUBSCRIBERS)]
        for subscriber in subscribers:
            store.save_subscriber(subscriber, origin="cli", when=START - timedelta(days=1))
        for day in range(days):
            when = START + timedelta(days=day)
            newest = store.newest_article_id()
            if newest:
                _send_digests(store, subscribers, day, newest, when)
            today = min(PER_DAY, count - stored)
            per_source = -(-today // SOURCES)
            for index in range(SOURCES):
                batch = min(per_source, today - index * per_source)
                if batch <= 0:
                    break
                articles = []
                for item in range(batch):
                    number = stored + index * per_source + item
                    article = Article(
                        url=f"https://news{index}.example.org/{number}",
                        title=f"Story {number}",
                        text=_text(number),
                        source=_source_name(index),
                        published=when,
                    )
                    collected = CollectedArticle(
                        guid=f"g{number}",
                        article=article,
                        content_hash=f"h{number}",
                        simhash=(number * 0x9E3779B97F4A7C15) % (1 << 64),
                    )
                    articles.append((collected, None))
                store.store_items(
                    _source_name(index), articles, [], when=when + timedelta(minutes=5)
                )
            stored += today
            if day % 25 == 0:
                print(f"  filled {stored:,} articles", file=sys.stderr, flush=True)
    return START + timedelta(days=days - 1, hours=12)


def _send_digests(
    store: Store,
    subscribers: list[Subscriber],
    day: int,
    newest: int,
    when: datetime,
    *,
    period: bool = True,
) -> None:
    for number, subscriber in enumerate(subscribers):
        first = max(1, newest - PER_DAY + 1 + (number * 37) % (PER_DAY - PER_DIGEST))
        digest_id = store.queue_digest(
            subscriber,
            envelope_from="digest@localhost",
            subject="Your digest",
            message_id=f"<d{day}.s{number}@bench>",
            message=b"x" * 2000,
            article_ids=range(first, min(first + PER_DIGEST, newest + 1)),
            when=when,
            period=when.date().isoformat() if period else None,
            newest_article_id=newest,
        )
        store.mark_sent(digest_id, reply="250 ok", backend="file", location="", when=when)


def _feed_files(folder: Path, path: Path) -> list[dict[str, Any]]:
    """One feed file per source holding the items it yielded last (all seen)."""
    sources = []
    with Store(path) as store:
        for index in range(SOURCES):
            name = _source_name(index)
            rows = store._read(  # the bench's own look at the fill
                """SELECT items.guid, articles.url FROM items
                   JOIN sources ON sources.id = items.source_id
                   JOIN articles ON articles.id = items.article_id
                   WHERE sources.name = ? ORDER BY items.rowid DESC LIMIT 20""",
                (name,),
            )
            entries = "".join(
                f"<item><guid>{escape(row[0])}</guid><link>{escape(row[1])}</link>"
                f"<title>t</title><description>d</description></item>"
                for row in rows
            )
            feed = folder / f"{index}.xml"
            feed.write_text(
                f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
                f"<link>https://example.org/</link><description>d</description>{entries}"
                "</channel></rss>",
                encoding="utf-8",
            )
            sources.append({"name": name, "path": str(feed), "full_text": "never"})
    return sources


def _median(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(path: Path, folder: Path, now: datetime, repeat: int) -> dict[str, float]:
    with Store(path):
        pass  # migrate first: an upgrade's one-time cost is not the open's
    config: Config = parse(
        {"data_dir": str(folder), "sources": _feed_files(folder, path)}, base=folder
    )
    figures: dict[str, float] = {}
    figures["open"] = _median(repeat * 3, lambda: Store(path).close())
    with Store(path) as store:
        reader = Subscriber(_email(0))
        chosen = pipeline.choose_articles(config, store, reader, now=now)
        if not chosen.articles:
            raise SystemExit("the digest query found nothing: the fill is wrong")
        figures["digest query"] = _median(
            repeat, lambda: pipeline.choose_articles(config, store, reader, now=now)
        )
        # One more digest sent to everyone: nothing is new to anybody.
        _send_digests(
            store,
            [Subscriber(_email(index)) for index in range(SUBSCRIBERS)],
            -1,
            store.newest_article_id(),
            now,
            period=False,  # the day's periods were decided by the fill's last digests
        )
        pipeline.collect_all(config, store, now=now)  # the first pass records the files

        def nothing_new() -> None:
            pipeline.collect_all(config, store, now=now)
            for index in range(SUBSCRIBERS):
                reader = Subscriber(_email(index))
                if pipeline.choose_articles(config, store, reader, now=now).articles:
                    raise SystemExit("something is new after the last digests: the fill is wrong")

        figures["run, nothing new"] = _median(max(1, repeat // 2), nothing_new)

        def tick() -> None:
            due = due_now(config, store, now=now)
            if due.digests:
                raise SystemExit("somebody is due: the fill is wrong")
            store.claim(now=now, owner="bench", limit=10)

        figures["tick, nobody due"] = _median(repeat, tick)
        figures["subscribers"] = _median(repeat, store.subscribers)
        figures["schedule"] = _median(repeat, lambda: upcoming(config, store, now=now))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1m")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep filled stores here, and reuse them")
    args = parser.parse_args(argv)
    sizes = [_size(each) for each in args.sizes.split(",")]
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for size in sizes:
            folder = Path(scratch) / f"n{size}"
            folder.mkdir()
            kept = args.keep / f"store-{size}.sqlite3" if args.keep else None
            path = kept or folder / "digest.sqlite3"
            started = time.perf_counter()
            marker = path.with_suffix(".filled")
            if kept is None or not marker.exists():
                print(f"filling {size:,} articles", file=sys.stderr, flush=True)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.unlink(missing_ok=True)
                now = fill(path, size)
                marker.write_text(now.isoformat(), encoding="utf-8")
                print(f"  filled in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            now = datetime.fromisoformat(marker.read_text(encoding="utf-8"))
            if kept is not None:  # measuring changes a store: measure a copy
                with Store(kept):
                    pass  # migrated first (an upgrade, once) and checkpointed into the file
                shutil.copyfile(kept, folder / "digest.sqlite3")
                path = folder / "digest.sqlite3"
            results[size] = measure(path, folder, now, args.repeat)
            print(f"{size:>9,}: " + ", ".join(f"{k} {v:.4f}" for k, v in results[size].items()))
    base = sizes[0]
    names = list(results[base])
    print()
    print(f"{'seconds':<20}" + "".join(f"{size:>12,}" for size in sizes))
    for name in names:
        print(f"{name:<20}" + "".join(f"{results[size][name]:>12.4f}" for size in sizes))
    for size in sizes[1:]:
        print()
        print(f"ratio {size:,} / {base:,} (target: within 2x)")
        for name in names:
            ratio = results[size][name] / max(results[base][name], 1e-9)
            verdict = "PASS" if ratio <= 2 else "FAIL"
            print(f"  {name:<20}{ratio:8.2f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
