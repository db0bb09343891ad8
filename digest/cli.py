"""The command line: parse arguments, call one function, report the result.

No business logic lives here. Every `DigestError` is caught once, in `main`, and printed as
``Error: <message>`` (with the traceback only under ``--verbose``). Exit codes: 0 ok, 1 a
runtime failure, 2 a usage or configuration error.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

import click

from digest import __version__, pipeline
from digest.config import Config, find_config, load
from digest.errors import DigestError
from digest.models import Subscriber
from digest.store import Store
from digest.summarize import METHODS


class _State:
    verbose = False


class DigestGroup(click.Group):
    """A command group that turns every `DigestError` into one ``Error:`` line."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except DigestError as exc:
            if _State.verbose:
                traceback.print_exc()
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=DigestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="digest")
@click.option("-v", "--verbose", is_flag=True, help="Show debug logging and tracebacks.")
def cli(verbose: bool) -> None:
    """Collect new articles, summarise each one, and email a digest."""
    _State.verbose = verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "trafilatura", "htmldate", "courlan", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.ERROR)


config_option = click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Configuration file (default: $DIGEST_CONFIG, else the user config folder).",
)


def _load_config(config_path: Path | None) -> Config:
    return load(find_config(config_path))


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
def run(config_path: Path | None, dry_run: bool, to: tuple[str, ...], output: Path | None) -> None:
    """Collect new articles and deliver a digest to each subscriber now."""
    config = _load_config(config_path)
    recipients = (
        tuple(Subscriber(email=address, timezone=config.digest.timezone) for address in to)
        if to
        else None
    )
    with Store(config.database) as store:
        report = pipeline.run_once(
            config,
            store,
            now=datetime.now(UTC),
            dry_run=dry_run,
            recipients=recipients,
            outbox=output,
        )
    _print_report(report)
    if report.failed:
        sys.exit(1)


def _print_report(report: pipeline.RunReport) -> None:
    collection = report.collection
    failed = len(collection.source_failures)
    total = collection.sources_read + failed + collection.sources_deferred
    parts = [f"{collection.new_articles} new article{_s(collection.new_articles)}"]
    if collection.duplicates:
        parts.append(f"{collection.duplicates} duplicate{_s(collection.duplicates)}")
    if collection.sources_unchanged:
        parts.append(f"{collection.sources_unchanged} unchanged")
    if collection.item_failures:
        parts.append(
            f"{len(collection.item_failures)} item{_s(len(collection.item_failures))} failed"
        )
    if collection.full_text_failures:
        parts.append(f"{len(collection.full_text_failures)} full texts not fetched")
    if failed:
        parts.append(f"{failed} source{_s(failed)} failed")
    if collection.sources_deferred:
        parts.append(f"{collection.sources_deferred} deferred")
    click.echo(f"Collected {collection.sources_read} of {total} sources: {', '.join(parts)}.")
    for failure in collection.source_failures + collection.item_failures:
        click.echo(f"  failed: {failure.what}: {failure.reason}", err=True)
    for delivery in report.delivered:
        shown = next((f for f in delivery.files if f.suffix == ".html"), None) or delivery.location
        click.echo(f"Digest for {delivery.recipient} delivered ({delivery.backend}): {shown}")
    for subscriber, count, subject in report.previews:
        click.echo(
            f"Dry run: would send {subscriber.email} {count} article{_s(count)}: {subject!r}"
        )
    for email in report.nothing_new:
        click.echo(f"No new articles for {email}; nothing sent.")
    for failure in report.delivery_failures:
        click.echo(f"Error: digest for {failure.what} not delivered: {failure.reason}", err=True)


def _s(count: int) -> str:
    return "" if count == 1 else "s"


@cli.command(name="summarize")
@config_option
@click.argument("source")
@click.option(
    "-n",
    "--sentences",
    type=click.IntRange(min=1),
    default=None,
    help="How many sentences (default: the configured number, else 3).",
)
@click.option(
    "-m",
    "--method",
    type=click.Choice(sorted(METHODS)),
    default=None,
    help="Summarisation method (default: the configured one).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def summarize_command(
    config_path: Path | None,
    source: str,
    sentences: int | None,
    method: str | None,
    as_json: bool,
) -> None:
    """Summarise one web page or file (.html, .htm, .txt, .md) and print the summary.

    Works without a configuration file; when one is found, its settings are the defaults.
    """
    config = _optional_config(config_path)
    summary = pipeline.summarize_document(
        source,
        config,
        sentences=sentences or config.digest.sentences,
        method=method or config.digest.method,
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


def _optional_config(config_path: Path | None) -> Config:
    """The configuration when one is given or found, else the built-in defaults."""
    from digest import config as config_module

    try:
        path = find_config(config_path)
    except DigestError:
        if config_path is not None:
            raise
        return config_module.parse({}, base=Path.cwd())
    return load(path)


def main() -> None:
    """Entry point of the ``digest`` command."""
    cli(prog_name="digest")
