"""``digest sources``: list, add, remove, import and export the sources digest reads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from digest.cli._app import cli, config_option, load_config
from digest.collect import sources as catalog
from digest.errors import ConfigError
from digest.store import Store
from digest.words import plural


@cli.group()
def sources() -> None:
    """Manage sources. Those in the configuration file are listed with origin 'config' and
    are edited there; those added here are kept in the store."""


@sources.command(name="list")
@config_option
def list_sources(config_path: Path | None) -> None:
    """List every source with its last fetch time, status and last error."""
    config = load_config(config_path)
    with Store(config.store_address) as store:
        statuses = catalog.source_statuses(config, store)
    if not statuses:
        click.echo("No sources yet: add one with `digest sources add URL|PATH`.")
        return
    for status in statuses:
        source, state = status.source, status.state
        fetched = f"{state.last_fetched:%Y-%m-%d %H:%M} UTC" if state.last_fetched else "never"
        options = [source.kind.value, source.origin, f"full text: {source.full_text}"]
        if source.allow_private:
            options.append("private links allowed")
        click.echo(f"{source.name}  ({', '.join(options)})")
        click.echo(f"    {source.location}")
        line = f"    last fetched: {fetched}"
        if state.last_status:
            line += f", {state.last_status}"
        if state.failing_since is not None:
            line += (
                f", failing since {state.failing_since.astimezone(UTC):%Y-%m-%d %H:%M} UTC, "
                f"{plural(state.failed_attempts, 'attempt')}"
            )
        if state.retry_after and state.retry_after > datetime.now(UTC):
            line += f", next try after {state.retry_after:%Y-%m-%d %H:%M} UTC"
        click.echo(line)
        if state.last_error:
            click.echo(f"    last error: {state.last_error}")


@sources.command(name="add")
@config_option
@click.argument("location", metavar="URL|PATH")
@click.option("--name", help="A name for the source (default: from the URL or path).")
@click.option(
    "--kind",
    type=click.Choice(["feed", "page", "files"]),
    help="feed (RSS/Atom/JSON Feed), page (one web page) or files (a file or folder).",
)
@click.option(
    "--full-text",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Fetch the page behind each entry: for teasers only, always, or never.",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Let links from this feed lead to private or local addresses (e.g. an intranet).",
)
def add_source(
    config_path: Path | None,
    location: str,
    name: str | None,
    kind: str | None,
    full_text: str,
    allow_private: bool,
) -> None:
    """Add a feed or page URL, or a file or folder path, as a source."""
    config = load_config(config_path)
    with Store(config.store_address) as store:
        source = catalog.add_source(
            config,
            store,
            location,
            name=name,
            kind=kind,
            full_text=full_text,
            allow_private=allow_private,
        )
    click.echo(f"Added {source.kind.value} source {source.name!r}: {source.location}")


@sources.command(name="remove")
@config_option
@click.argument("name")
def remove_source(config_path: Path | None, name: str) -> None:
    """Remove a source added with `digest sources add` or `import`."""
    config = load_config(config_path)
    with Store(config.store_address) as store:
        catalog.remove_source(config, store, name)
    click.echo(f"Removed source {name!r}; its articles stay in the store.")


@sources.command(name="import")
@config_option
@click.argument("opml_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_sources(config_path: Path | None, opml_file: Path) -> None:
    """Add every feed of an OPML file (an export from another feed reader)."""
    config = load_config(config_path)
    try:
        content = opml_file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read {opml_file}: {exc.strerror}.") from exc
    with Store(config.store_address) as store:
        report = catalog.import_opml(config, store, content, location=str(opml_file))
    click.echo(
        f"Imported {plural(len(report.added), 'feed')} from {opml_file}"
        f" ({len(report.known)} already subscribed, {len(report.skipped)} not http(s))."
    )
    for url in report.skipped:
        click.echo(f"  skipped: {url}", err=True)


@sources.command(name="export")
@config_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
def export_sources(config_path: Path | None, output: Path | None) -> None:
    """Print every feed source as OPML, for another feed reader."""
    config = load_config(config_path)
    with Store(config.store_address) as store:
        document, left_out = catalog.export_opml(config, store, now=datetime.now(UTC))
    if output is None:
        click.echo(document, nl=False)
    else:
        try:
            output.write_text(document, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"Cannot write {output}: {exc.strerror}.") from exc
        click.echo(f"Wrote the feeds to {output}.")
    if left_out:
        click.echo(f"Not in OPML (not remote feeds): {', '.join(left_out)}", err=True)
