"""Tests for the `digest sources` commands, end to end through the command line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli

from .conftest import DATA, HttpServer, Route


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "digest.toml"
    path.write_text(
        '[[sources]]\nname = "Configured"\nurl = "https://conf.example/feed"\n'
        '[[subscribers]]\nemail = "reader@example.org"\n',
        encoding="utf-8",
    )
    return path


def invoke(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["sources", *args, "--config", str(config)])
    return result.exit_code, result.output


def test_add_list_and_remove(config: Path, tmp_path: Path) -> None:
    code, output = invoke(
        config, "add", "https://b.example/rss", "--name", "B", "--full-text", "always"
    )
    assert (code, output) == (0, "Added feed source 'B': https://b.example/rss\n")
    code, output = invoke(config, "list")
    assert code == 0
    assert "Configured  (feed, config, full text: auto)" in output
    assert "B  (feed, cli, full text: always)" in output
    assert "last fetched: never" in output
    assert invoke(config, "remove", "B") == (
        0,
        "Removed source 'B'; its articles stay in the store.\n",
    )


def test_errors_are_one_line(config: Path) -> None:
    code, output = invoke(config, "remove", "Configured")
    assert code == 2
    assert output == f"Error: The source 'Configured' is defined in {config}; remove it there.\n"
    code, output = invoke(config, "add", "https://conf.example/feed")
    assert code == 2 and output.startswith("Error: https://conf.example/feed is already a source")


def test_list_shows_the_last_error(config: Path, tmp_path: Path, http_server: HttpServer) -> None:
    http_server.routes["/gone"] = Route(b"", status=410)
    invoke(config, "add", http_server.url("/gone"), "--name", "Gone")
    CliRunner().invoke(cli, ["run", "--config", str(config), "--output", str(tmp_path / "o")])
    _, output = invoke(config, "list")
    assert "Gone  (feed, cli, full text: auto)" in output
    assert f"last error: {http_server.url('/gone')} answered HTTP 410 Gone." in output
    assert "failing since" in output and ", 1 attempt\n" in output
    CliRunner().invoke(cli, ["run", "--config", str(config), "--output", str(tmp_path / "o")])
    _, output = invoke(config, "list")
    assert re.search(r", error, failing since \d{4}-\d\d-\d\d \d\d:\d\d UTC, 2 attempts\n", output)


def test_import_and_export_opml(config: Path, tmp_path: Path) -> None:
    opml = DATA / "opml" / "reader-export.opml"
    code, output = invoke(config, "import", str(opml))
    assert code == 0 and output.startswith("Imported ")
    code, exported = invoke(config, "export")
    assert code == 0
    assert exported.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert 'xmlUrl="https://conf.example/feed"' in exported
    target = tmp_path / "out.opml"
    assert invoke(config, "export", "--output", str(target)) == (
        0,
        f"Wrote the feeds to {target}.\n",
    )
    assert target.read_text(encoding="utf-8") == exported


def test_import_of_something_else_is_an_error(config: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "x.opml"
    bogus.write_text("<html></html>", encoding="utf-8")
    code, output = invoke(config, "import", str(bogus))
    assert code == 1 and output.startswith(f"Error: {bogus} is not an OPML file")
