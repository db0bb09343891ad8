"""``digest store check``, ``prune``, ``vacuum`` and ``copy``: look after the database itself."""

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
    """Check, prune, compact or copy the store (the SQLite database in the data folder, or
    the PostgreSQL database [store] url names)."""


@store.command()
@config_option
def check(config_path: Path | None) -> None:
    """Check the database's integrity and every reference between its tables.

    Reads the whole store (a large one takes a while). Exits 1 when a problem is found.
    """
    config = load_config(config_path)
    from digest.store import Store

    with Store(config.store_address) as opened:
        problems = opened.check()
        where = opened.target.describe()
    if not problems:
        click.echo(f"The store at {where} is sound.")
        return
    for problem in problems:
        click.echo(f"Problem: {problem}", err=True)
    click.echo(f"{plural(len(problems), 'problem')} in the store at {where}.", err=True)
    sys.exit(1)


@store.command()
@config_option
@click.option(
    "--keep-days",
    type=click.IntRange(min=MIN_KEEP_DAYS),
    help="Keep this many days instead of [store] keep_days.",
)
def prune(config_path: Path | None, keep_days: int | None) -> None:
    """Remove articles and finished digests older than [store] keep_days, and the items their
    source has not listed for that long.

    `digest serve` does this daily when keep_days is set.
    """
    config = load_config(config_path)
    days = keep_days or config.store.keep_days
    if not days:
        click.echo("Nothing pruned: [store] keep_days is 0 (keep everything); see --keep-days.")
        return
    from digest.store import Store

    with Store(config.store_address) as opened:
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
    with Store(config.store_address) as opened:
        opened.vacuum()
        if opened.shared:
            click.echo(f"The store at {opened.target.describe()} was vacuumed and analysed.")
            return
    after = config.database.stat().st_size
    click.echo(f"The store at {config.database} went from {before:,} to {after:,} bytes.")


@store.command()
@config_option
@click.option(
    "--to",
    "url",
    required=True,
    metavar="URL",
    help="The empty PostgreSQL database, as postgresql://user@host/database.",
)
def copy(config_path: Path | None, url: str) -> None:
    """Copy the SQLite store into an empty PostgreSQL database, and check the counts.

    Sources and their state, seen items, articles, subscribers, periods and the outbox are
    copied in one transaction. The password is read from the environment variable named by
    [store] password_env. Stop `digest serve` first, then point [store] url at the copy.
    """
    config = load_config(config_path)
    from digest.models import StoreAddress
    from digest.store import Store
    from digest.store.copy import copy_store

    with (
        Store(config.store_address) as source,
        Store(StoreAddress(url, config.store.password_env)) as target,
    ):
        counts = copy_store(source, target)
        where = target.target.describe()
    for table, rows in counts:
        click.echo(f"{table:>16} {rows:>12,}")
    click.echo(
        f"Copied {plural(sum(rows for _, rows in counts), 'row')} to {where}; the counts match."
    )
