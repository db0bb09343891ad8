"""Tests for `digest templates init|check` and `digest preview`, through the command line."""

from __future__ import annotations

import threading
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.render.preview import make_server

from .conftest import DEMO_CONFIG


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_init_copies_every_default_template(tmp_path: Path) -> None:
    code, output = invoke("templates", "init", str(tmp_path / "mine"))
    copied = sorted(
        p.relative_to(tmp_path / "mine").as_posix()
        for p in (tmp_path / "mine").rglob("*")
        if p.is_file()
    )
    assert code == 0 and output.startswith(f"Copied {len(copied)} files to ")
    assert [name for name in copied if "/" not in name] == [
        "base.html", "base.txt", "digest.html", "digest.txt", "subject.txt",
    ]  # fmt: skip
    assert "web/subscribe.html" in copied and "web/static/style.css" in copied
    code, output = invoke("templates", "init", str(tmp_path / "mine"))
    assert code == 2 and "pass --force to overwrite them" in output
    assert invoke("templates", "init", str(tmp_path / "mine"), "--force")[0] == 0


def test_check_passes_on_the_defaults(tmp_path: Path) -> None:
    invoke("templates", "init", str(tmp_path / "mine"))
    code, output = invoke("templates", "check", str(tmp_path / "mine"))
    assert (code, output) == (0, "The templates parse and render without errors.\n")


@pytest.mark.parametrize(
    ("name", "source", "line", "message"),
    [
        ("digest.txt", "Hello\n{{ digest.titel }}\n", 2, "has no attribute 'titel'"),
        ("digest.html", '{% extends "base.html" %}\n{% block intro %}{% if %}{% endblock %}', 2,
         "Expected an expression"),
        ("subject.txt", "{{ digest.__class__.__bases__ }}", 1, "access to attribute '__class__'"),
    ],
)  # fmt: skip
def test_check_reports_each_error_as_file_line_message(
    tmp_path: Path, name: str, source: str, line: int, message: str
) -> None:
    """An undefined name, a syntax error and a forbidden attribute (the sandbox)."""
    folder = tmp_path / "mine"
    invoke("templates", "init", str(folder))
    (folder / name).write_text(source, encoding="utf-8")
    code, output = invoke("templates", "check", str(folder))
    assert code == 1
    first, last = output.splitlines()[0], output.splitlines()[-1]
    assert first.startswith(f"{folder / name}:{line}: ") and message in first
    assert last == "1 problem in the templates."


def test_preview_renders_sample_data_when_nothing_is_new(tmp_path: Path) -> None:
    target = tmp_path / "preview.html"
    code, output = invoke("preview", "--output", str(target))
    assert (code, output) == (0, f"Preview of sample data (nothing new to send): {target}\n")
    assert "Harbour board approves a tidal barrier" in target.read_text(encoding="utf-8")


def test_preview_shows_the_next_digest_and_marks_nothing(tmp_path: Path) -> None:
    config = str(DEMO_CONFIG)
    invoke("run", "--config", config, "--dry-run")
    target = tmp_path / "next.html"
    code, output = invoke("preview", "--config", config, "--output", str(target))
    assert code == 0 and output.startswith("Preview of the next digest")
    assert "Council approves six-route night-bus network" in target.read_text(encoding="utf-8")
    code, output = invoke("run", "--config", config, "--output", str(tmp_path / "out"))
    assert "Digest for reader@example.org delivered" in output


def test_preview_server_renders_anew_on_every_request() -> None:
    """A template edited between two reloads shows at the second; an error shows as a page."""
    pages = iter([("<p>first</p>", "first"), ("<p>second</p>", "second")])

    def page() -> tuple[str, str]:
        try:
            return next(pages)
        except StopIteration:
            raise ValueError("digest.html:3: unexpected end of template") from None

    server = make_server(page, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        assert urllib.request.urlopen(url).read() == b"<p>first</p>"
        assert urllib.request.urlopen(url + "text").read() == b"second"
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(url)
        assert caught.value.code == 500
        assert b"digest.html:3: unexpected end of template" in caught.value.read()
    finally:
        server.shutdown()
        server.server_close()


def test_preview_shows_a_store_subscribers_digest(tmp_path: Path) -> None:
    """A subscriber added on the command line is the one previewed."""
    config = str(DEMO_CONFIG)
    CliRunner().invoke(cli, ["subscribe", "-c", config, "tz@example.org", "--tz", "Asia/Tokyo"])
    target = tmp_path / "preview.html"
    code, output = invoke(
        "preview", "-c", config, "--subscriber", "TZ@example.org", "--output", str(target)
    )
    assert code == 0, output
    assert "because tz@example.org is subscribed" in target.read_text(encoding="utf-8")
