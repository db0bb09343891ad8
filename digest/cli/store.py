"""``digest store check``, ``prune`` and ``vacuum``: look after the database itself."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from digest.cli._app import cli, config_option, load_config
from digest.config import MIN_KEEP_DAYS
from digest.words import plural


@cli.group()
def store() -> None:
    """Check, prune or compact the store (the SQLite database in the data folder)."""


@store.command()
@config_option
def check(config_path: Path | None) -> None:
    """Check the database's integrity and every reference between its tables.

    Reads the whole store (a large one takes a while). Exits 1 when a problem is found.
    """
    config = load_config(config_path)
    from digest.store import Store

    with Store(config.database) as opened:
        problems = opened.check()
    if not problems:
        click.echo(f"The store at {config.database} is sound.")
        return
    for problem in problems:
        click.echo(f"Problem: {problem}", err=True)
    click.echo(f"{plural(len(problems), 'problem')} in the store at {config.database}.", err=True)
    sys.exit(1)


@store.command()
@config_option
@click.option(
    "--keep-days",
    type=click.IntRange(min=MIN_KEEP_DAYS),
    help="Keep this many days instead of [store] keep_days.",
)
def prune(config_path: Path | None, keep_days: int | None) -> None:
    """Remove articles, their items and finished digests older than [store] keep_days.

    `digest serve` does this daily when keep_days is set.
    """
    config = load_config(config_path)
    days = keep_days or config.store.keep_days
    if not days:
        click.echo("Nothing pruned: [store] keep_days is 0 (keep everything); see --keep-days.")
        return
    from digest.store import Store

    with Store(config.database) as opened:
        pruned = opened.prune(before=datetime.now(UTC) - timedelta(days=days))
    click.echo(
        f"Pruned what was older than {days} days: {plural(pruned.articles, 'article')}, "
        f"{plural(pruned.items, 'item')}, {plural(pruned.digests, 'digest')}. "
        "`digest store vacuum` gives the space back to the file system."
    )


@store.command()
@config_option
def vacuum(config_path: Path | None) -> None:
    """Rewrite the database file without the space pruned rows left.

    Needs the store to itself for a while: stop `digest serve` first.
    """
    config = load_config(config_path)
    from digest.store import Store

    before = config.database.stat().st_size if config.database.exists() else 0
    with Store(config.database) as opened:
        opened.vacuum()
    after = config.database.stat().st_size
    click.echo(f"The store at {config.database} went from {before:,} to {after:,} bytes.")
