"""``digest templates`` (init, check) and ``digest preview``: edit templates safely."""

from __future__ import annotations

import shutil
import sys
import webbrowser
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click

from digest.cli._app import cli, config_option, hint, optional_config
from digest.errors import ConfigError
from digest.words import plural

PREVIEW_PORT = 8642
"""The preview's default port: not 8025 or 1025, where local SMTP test servers listen, nor
8000/8080, where `digest web` and most development servers do."""


@cli.group()
def templates() -> None:
    """Copy the default templates for editing, and check edited ones."""


@templates.command(name="init")
@config_option
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite templates already in the folder.")
def init_templates(config_path: Path | None, folder: Path | None, force: bool) -> None:
    """Copy the default templates (the digest's, and the subscriber pages' in web/) into
    FOLDER (default: the configured templates folder, else ./digest-templates) for editing."""
    from digest.render.templates import packaged_files, packaged_templates

    config = optional_config(config_path)
    target = folder or config.digest.templates or Path("digest-templates")
    names = packaged_files()
    existing = [name for name in names if (target / name).exists()]
    if existing and not force:
        raise ConfigError(
            f"{target} already has {', '.join(existing)}; pass --force to overwrite them."
        )
    try:
        for name in names:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(packaged_templates() / name, target / name)
    except OSError as exc:
        raise ConfigError(f"Cannot write the templates to {target}: {exc.strerror}.") from exc
    click.echo(f"Copied {plural(len(names), 'file')} to {target}.")
    if config.digest.templates is None or config.digest.templates.resolve() != target.resolve():
        hint(f'Use them with  [digest] templates = "{target.resolve()}"  in the config.')


@templates.command(name="check")
@config_option
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
def check_templates(config_path: Path | None, folder: Path | None) -> None:
    """Parse every template and render it with sample data; list each error as
    file:line: message. Exits 1 when there is any."""
    from digest import pipeline

    config = optional_config(config_path)
    if folder is not None and not folder.is_dir():
        raise ConfigError(f"{folder} is not a folder of templates.")
    problems = pipeline.check_templates(config, template_dir=folder, now=datetime.now(UTC))
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.echo(f"{plural(len(problems), 'problem')} in the templates.", err=True)
        sys.exit(1)
    click.echo("The templates parse and render without errors.")


@cli.command()
@config_option
@click.option("--subscriber", "email", metavar="EMAIL", help="Preview this subscriber's digest.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="HTML file to write."
)
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in a browser.")
@click.option("--serve", is_flag=True, help="Serve the preview, re-rendered on every reload.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=PREVIEW_PORT,
    show_default=True,
    help="Port of the preview server on 127.0.0.1 (0: any free port).",
)
def preview(
    config_path: Path | None,
    email: str | None,
    output: Path | None,
    open_browser: bool,
    serve: bool,
    port: int,
) -> None:
    """Render the next digest (or sample data, when there is nothing new) without sending or
    marking anything."""
    from digest import pipeline
    from digest.store import Store

    config = optional_config(config_path)

    def render() -> tuple[str, str, bool]:
        with Store(config.store_address) as store:
            rendered, sample = pipeline.preview(config, store, now=datetime.now(UTC), email=email)
        return rendered.html, rendered.text, sample

    if serve:
        _serve(lambda: render()[:2], port, open_browser)
        return
    html, _, sample = render()
    target = output or config.data_dir / "preview.html"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot write the preview to {target}: {exc.strerror}.") from exc
    what = "sample data (nothing new to send)" if sample else "the next digest"
    click.echo(f"Preview of {what}: {target}")
    if open_browser:
        webbrowser.open(target.resolve().as_uri())


def _serve(page: Callable[[], tuple[str, str]], port: int, open_browser: bool) -> None:
    from digest.render.preview import make_server

    try:
        server = make_server(page, port=port)
    except OSError as exc:
        raise ConfigError(f"Cannot listen on 127.0.0.1:{port}: {exc.strerror}.") from exc
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    click.echo(f"Serving the preview at {url} (text at {url}text); Ctrl-C stops.")
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.server_close()
