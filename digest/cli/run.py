"""``digest run`` and ``digest summarize``: a one-off digest, or one document's summary."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
from rich.progress import Progress as RichProgress

from digest.cli._app import (
    LOCK_WAIT,
    cli,
    config_option,
    hint,
    load_config,
    optional_config,
    quiet,
)
from digest.cli.outbox import print_sending
from digest.models import Subscriber
from digest.words import plural

if TYPE_CHECKING:
    from digest.collect import Progress
    from digest.pipeline import RunReport

# The pipeline (sumy, trafilatura, numpy) is imported by the commands that use it, so that
# `digest --help` and `digest sources ...` start quickly.
METHOD_NAMES = (
    "newsrank (the default), lexrank, textrank, lsa, luhn, kl, sumbasic, reduction, edmundson, lead"
)


@cli.command()
@config_option
@click.option("--dry-run", is_flag=True, help="Collect and render, but deliver and mark nothing.")
@click.option(
    "--to",
    "to",
    multiple=True,
    metavar="ADDRESS",
    help="Send to this address instead of the configured subscribers (repeatable).",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the digest to this outbox folder instead of delivering it.",
)
@click.option(
    "--queue-only", is_flag=True, help="Queue the digests in the outbox; `digest send` sends them."
)
@click.option(
    "--subscriber",
    metavar="EMAIL",
    help="Only this subscriber's digest; it counts as theirs for the day (or week).",
)
def run(
    config_path: Path | None,
    dry_run: bool,
    to: tuple[str, ...],
    output: Path | None,
    queue_only: bool,
    subscriber: str | None,
) -> None:
    """Collect new articles and deliver a digest to each subscriber now.

    Each digest is queued in the outbox and sent at once; one that cannot be sent now
    stays there for `digest send` (see `digest outbox`).
    """
    config = load_config(config_path)
    recipients = (
        tuple(Subscriber(email=address, timezone=config.digest.timezone) for address in to)
        if to
        else None
    )
    from digest import pipeline
    from digest.lockfile import StoreLock, lock_path
    from digest.store import Store

    with (
        StoreLock(lock_path(config.database), "digest run", wait=LOCK_WAIT),
        Store(config.store_address) as store,
        _progress() as progress,
        _stopped_by_ctrl_c() as stop,
    ):
        report = pipeline.run_once(
            config,
            store,
            now=datetime.now(UTC),
            dry_run=dry_run,
            recipients=recipients,
            only=subscriber,
            outbox=output,
            progress=progress,
            send=not queue_only,
            stop=stop,
        )
    _print_report(report)
    if report.stopped:
        click.echo("Stopped: what was collected is kept; the rest comes next run.", err=True)
        sys.exit(130)
    if report.failed:
        sys.exit(1)


@contextmanager
def _stopped_by_ctrl_c() -> Iterator[threading.Event]:
    """An event set by the first Ctrl-C, which also cuts every fetch short; a second
    Ctrl-C interrupts at once."""
    from digest.collect import stop_requests

    stop = threading.Event()

    def on_interrupt(number: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        click.echo("Stopping...", err=True)
        stop_requests()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _progress() -> Iterator[Progress | None]:
    """A progress bar on a terminal; nothing when the output goes to a file or a pipe, or
    under --quiet."""
    if quiet() or not sys.stderr.isatty():
        yield None
        return
    columns = (
        TextColumn("Collecting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
    )
    with RichProgress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=None)

        def update(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=name)

        yield update


def _print_report(report: RunReport) -> None:
    collection = report.collection
    failed = len(collection.source_failures)
    total = collection.sources_read + failed + collection.sources_deferred
    parts = [plural(collection.new_articles, "new article")]
    if collection.duplicates:
        parts.append(plural(collection.duplicates, "duplicate"))
    if collection.sources_unchanged:
        parts.append(f"{collection.sources_unchanged} unchanged")
    if collection.item_failures:
        parts.append(plural(len(collection.item_failures), "item") + " failed")
    if collection.full_text_failures:
        parts.append(plural(len(collection.full_text_failures), "full text") + " not fetched")
    if collection.items_left:
        parts.append(f"{plural(sum(collection.items_left.values()), 'item')} left for the next run")
    if failed:
        parts.append(plural(failed, "source") + " failed")
    if collection.sources_deferred:
        parts.append(f"{collection.sources_deferred} deferred")
    click.echo(f"Collected {collection.sources_read} of {total} sources: {', '.join(parts)}.")
    for failure in collection.source_failures + collection.item_failures:
        click.echo(f"  failed: {failure.what}: {failure.reason}", err=True)
    for note in collection.full_text_notes:
        hint(f"  full text: {note.what}: {note.reason}", err=True)
    for name, left in collection.items_left.items():
        hint(
            f"  {name}: {plural(left, 'more new item')} taken on the next runs "
            "([collect] max_items_per_source)."
        )
    print_sending(report.sending)
    for subscriber, count, subject in report.previews:
        click.echo(
            f"Dry run: would send {subscriber.email} {plural(count, 'article')}: {subject!r}"
        )
    for email in report.nothing_new:
        click.echo(f"No new articles for {email}; nothing sent.")
    if report.periods:
        hint(
            f"This counts as today's digest (this week's, for weekly ones) for "
            f"{plural(len(report.periods), 'subscriber')}: `digest serve` sends them the next "
            "one in their next period."
        )
    for failure in report.delivery_failures:
        click.echo(f"Error: digest for {failure.what} not delivered: {failure.reason}", err=True)
    if report.queued and not report.sending.sent and not report.sending.problem:
        waiting = report.queued - len(report.sending.deferred) - len(report.sending.failed)
        if waiting > 0:
            click.echo(f"{plural(waiting, 'digest')} queued; `digest send` sends them.")


@cli.command(name="summarize")
@config_option
@click.argument("source")
@click.option(
    "-n",
    "--sentences",
    type=click.IntRange(min=1),
    default=None,
    help="At most this many sentences (default: the configured number, else 3).",
)
@click.option(
    "--ratio",
    type=click.FloatRange(min=0, max=1, min_open=True),
    default=None,
    help="At most this share of the article's sentences, e.g. 0.2.",
)
@click.option(
    "--max-words",
    type=click.IntRange(min=1),
    default=None,
    help="At most this many words in all.",
)
@click.option(
    "-m",
    "--method",
    metavar="NAME",
    default=None,
    help=f"Summarisation method: {METHOD_NAMES} (default: the configured one).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def summarize_command(
    config_path: Path | None,
    source: str,
    sentences: int | None,
    ratio: float | None,
    max_words: int | None,
    method: str | None,
    as_json: bool,
) -> None:
    """Summarise one web page or file (.html, .htm, .txt, .md) and print the summary.

    Works without a configuration file; when one is found, its settings are the defaults.
    Every limit given applies; with --ratio or --max-words alone, the number of sentences is
    not capped.
    """
    config = optional_config(config_path)
    from digest import pipeline

    budget = ratio is not None or max_words is not None
    summary = pipeline.summarize_document(
        source,
        config,
        sentences=sentences if sentences or budget else config.digest.sentences,
        method=method or config.digest.method,
        ratio=ratio if budget else config.digest.ratio,
        max_words=max_words if budget else config.digest.max_words,
    )
    article = summary.article
    if as_json:
        payload = {
            "title": article.title,
            "url": article.url,
            "language": article.language,
            "method": summary.method,
            "summary": list(summary.sentences),
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(article.title)
    if article.url:
        click.echo(article.url)
    click.echo()
    for sentence in summary.sentences:
        click.echo(f"- {sentence}")
