"""``--quiet``: only warnings, errors and results, before or after the command; never with
``--verbose``."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from digest.cli import cli

from .conftest import DEMO_CONFIG, ROOT, SmtpServer, free_port
from .test_cli import smtp_demo_config
from .test_web_security import KEY


@pytest.mark.parametrize(
    "arguments",
    [
        ["--quiet", "--verbose", "status"],
        ["-q", "status", "-v"],
        ["--verbose", "status", "--quiet"],
        ["status", "-v", "-q"],
        ["status", "--quiet", "--verbose"],
    ],
)
def test_quiet_with_verbose_is_a_usage_error(arguments: list[str]) -> None:
    result = CliRunner().invoke(cli, [*arguments, "--config", str(DEMO_CONFIG)])
    assert result.exit_code == 2
    assert "Error: --quiet and --verbose contradict each other; pass one of them." in result.output
    assert "Traceback" not in result.output


def limited_demo_config(tmp_path: Path, server: SmtpServer) -> Path:
    """The demo over SMTP, two items a source a run, so that a run has hints to give."""
    path = smtp_demo_config(tmp_path, server)
    with path.open("a", encoding="utf-8") as config:
        config.write("\n[collect]\nmax_items_per_source = 2\n")
    return path


def test_a_run_without_quiet_gives_hints(tmp_path: Path, smtp_server: SmtpServer) -> None:
    """The other side of the next test: the hints it checks are missing are there without
    --quiet."""
    config = str(limited_demo_config(tmp_path, smtp_server))
    result = CliRunner().invoke(cli, ["run", "--config", config])
    assert result.exit_code == 0, result.output
    assert "taken on the next runs" in result.output
    assert "This counts as today's digest" in result.output


@pytest.mark.parametrize("where", ["before", "after"])
def test_a_quiet_run_prints_its_results_and_no_hints(
    tmp_path: Path, smtp_server: SmtpServer, where: str
) -> None:
    config = str(limited_demo_config(tmp_path, smtp_server))
    arguments = ["run", "--config", config]
    arguments = ["-q", *arguments] if where == "before" else [*arguments, "--quiet"]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Collected 3 of 3 sources: ")
    assert lines[1].startswith("Digest for reader@example.org delivered (smtp)")
    assert len(lines) == 2, result.output
    assert len(smtp_server.handler.messages) == 1


def stderr_on_a_terminal(arguments: list[str]) -> tuple[int, bytes]:
    """Run ``digest ARGUMENTS`` with stderr on a pseudo-terminal; its exit code and what it
    drew there."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", *arguments],
        stdout=subprocess.DEVNULL,
        stderr=terminal,
        env=env,
    )
    os.close(terminal)
    drawn = b""
    try:
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal's other end closed: the process has ended
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(controller)
    return process.wait(timeout=120), drawn


@pytest.mark.parametrize(("quiet", "bar"), [([], True), (["--quiet"], False), (["-q"], False)])
def test_the_progress_bar_shows_on_a_terminal_unless_quiet(quiet: list[str], bar: bool) -> None:
    code, drawn = stderr_on_a_terminal(["run", "--dry-run", "-c", str(DEMO_CONFIG), *quiet])
    assert code == 0, drawn
    assert (b"Collecting" in drawn) is bar, drawn


def test_a_quiet_service_logs_warnings_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """``digest -q web --local``: the warning about local testing, no info lines."""
    monkeypatch.setenv("DIGEST_SECRET_KEY", KEY)
    port = free_port()
    command = [sys.executable, "-m", "digest", "-q", "web", "-c", str(DEMO_CONFIG), "--local"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/subscribe", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        _, logged = process.communicate(timeout=20)
    assert "local testing" in logged
    assert "INFO" not in logged and "subscriber pages on" not in logged, logged
