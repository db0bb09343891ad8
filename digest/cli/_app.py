"""The ``digest`` command group and what its commands share: options, config loading,
and the one place where a `DigestError` becomes ``Error: <message>`` and an exit code."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from digest import __version__, config
from digest.config import Config, find_config, load
from digest.errors import DigestError


class _State:
    verbose = False
    quiet = False
    config_path: Path | None = None  # given before the command: `digest -c FILE run`


QUIET_HELP = "Print only warnings, errors and the results; no progress bar or hints."
_BOTH = "--quiet and --verbose contradict each other; pass one of them."


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


def _config_flag(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``-c/--config FILE``, before the command or after it."""
    return click.option(
        "-c",
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help=help_text,
    )


@click.group(cls=DigestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="digest")
@click.option("-v", "--verbose", is_flag=True, help="Show debug logging and tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help=QUIET_HELP)
@_config_flag(
    "Configuration file, for any command (default: $DIGEST_CONFIG, else the user config folder)."
)
def cli(verbose: bool, quiet: bool, config_path: Path | None) -> None:
    """Collect new articles, summarise each one, and email a digest."""
    if verbose and quiet:
        raise click.UsageError(_BOTH)
    _State.config_path = config_path
    _State.quiet = quiet
    _set_verbose(verbose)


def _set_verbose(verbose: bool) -> None:
    """Debug logging and tracebacks, or only the commands' own lines."""
    _State.verbose = verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "httpcore", "trafilatura", "htmldate", "courlan", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.ERROR)
    # One-off commands print their own report, each failure once; the log repeats it only
    # for those who ask with --verbose.
    logging.getLogger("digest").setLevel(logging.DEBUG if verbose else logging.CRITICAL)


def _verbose_after_the_command(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        if _State.quiet:
            raise click.UsageError(_BOTH, ctx)
        _set_verbose(True)


def _quiet_after_the_command(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        if _State.verbose:
            raise click.UsageError(_BOTH, ctx)
        _State.quiet = True


def config_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--config`` (and ``--verbose``, ``--quiet``) after the command name, as before it."""
    command = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_quiet_after_the_command,
        help=QUIET_HELP,
    )(command)
    command = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=False,
        callback=_verbose_after_the_command,
        help="Show debug logging and tracebacks.",
    )(command)
    return _config_flag(
        "Configuration file (default: the one given before the command, else $DIGEST_CONFIG, "
        "else the user config folder)."
    )(command)


def load_config(config_path: Path | None) -> Config:
    """The configuration named by --config (after or before the command), $DIGEST_CONFIG
    or the default location."""
    return load(find_config(config_path or _State.config_path))


def optional_config(config_path: Path | None) -> Config:
    """The configuration when one is given or found, else the built-in defaults."""
    config_path = config_path or _State.config_path
    try:
        path = find_config(config_path)
    except DigestError:
        if config_path is not None:
            raise
        return config.parse({}, base=Path.cwd())
    return load(path)


def quiet() -> bool:
    """Whether --quiet was given, before or after the command."""
    return _State.quiet


def hint(message: str, *, err: bool = False) -> None:
    """A line that helps but is not the command's result: what to run next, notes on the
    side. --quiet leaves it out; warnings, errors and results are echoed directly."""
    if not _State.quiet:
        click.echo(message, err=err)


LOCK_WAIT = 10.0
"""Seconds `digest run` and `digest send` wait for another digest process on the store."""
