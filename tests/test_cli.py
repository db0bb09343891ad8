"""Tests for digest.cli: commands end to end, exit codes and error lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from digest import __version__
from digest import config as config_module
from digest.cli import cli
from digest.store import Store
from digest.summarize.methods import METHODS

from .conftest import DEMO_CONFIG, ROOT, HttpServer, Route, SmtpServer

DEMO = DEMO_CONFIG.parent / "demo"


def smtp_demo_config(tmp_path: Path, server: SmtpServer) -> Path:
    """The demo's sources and subscriber, delivered to a real SMTP server."""
    path = tmp_path / "smtp.toml"
    path.write_text(
        f"""
[digest]
title = "Demo digest"
timezone = "Europe/London"

[delivery]
backend = "smtp"
sender = "Demo digest <digest@example.org>"

[smtp]
host = "{server.host}"
port = {server.port}
security = "none"

[[sources]]
name = "Harbour Town Gazette"
path = "{DEMO / "feed.xml"}"

[[sources]]
name = "Web pages"
path = "{DEMO / "pages"}"

[[sources]]
name = "Notes"
path = "{DEMO / "notes"}"

[[subscribers]]
email = "reader@example.org"
name = "Demo Reader"
timezone = "Europe/London"
""",
        encoding="utf-8",
    )
    return path


def test_version_and_help() -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["--version"]).output == f"digest, version {__version__}\n"
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "run" in result.output and "summarize" in result.output


def test_run_demo_delivers_over_smtp(tmp_path: Path, smtp_server: SmtpServer) -> None:
    """The demo's articles arrive at a real SMTP server as one multipart/alternative email."""
    config = smtp_demo_config(tmp_path, smtp_server)
    result = CliRunner().invoke(cli, ["run", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "8 new articles" in result.output
    assert "This counts as today's digest (this week's, for weekly ones) for 1 subscriber" in (
        result.output
    )
    (message,) = smtp_server.handler.messages
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert message["Subject"].startswith("Demo digest: 8 new articles")
    assert message["To"] == "Demo Reader <reader@example.org>"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Date"]
    for title in (
        "Council approves six-route night-bus network for Larkfield",
        "Harbour Town High robotics team qualifies for national finals",
        "What the reopening of the Dunmore Valley line means for passengers",
    ):
        assert title in text
        assert title in html
    summary = CliRunner().invoke(
        cli, ["summarize", str(DEMO / "pages" / "larkfield-night-bus.html"), "--json"]
    )
    for sentence in json.loads(summary.output)["summary"]:
        assert " ".join(sentence.split()) in " ".join(text.split())


def test_second_run_says_nothing_is_new(tmp_path: Path, smtp_server: SmtpServer) -> None:
    config = str(smtp_demo_config(tmp_path, smtp_server))
    CliRunner().invoke(cli, ["run", "--config", config])
    result = CliRunner().invoke(cli, ["run", "--config", config])
    assert result.exit_code == 0
    assert "No new articles for reader@example.org; nothing sent." in result.output
    assert len(smtp_server.handler.messages) == 1


def test_run_to_output_folder_prints_where_the_digest_went(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["run", "-c", str(DEMO_CONFIG), "--to", "me@example.org", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    (html,) = out.glob("*.html")
    assert f"Digest for me@example.org delivered (file): {html}" in result.output


def test_summarize_json_has_three_sentences() -> None:
    result = CliRunner().invoke(
        cli, ["summarize", str(DEMO / "pages" / "westvale-repair-cafe.html"), "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload) == {"title", "url", "language", "method", "summary"}
    assert len(payload["summary"]) == 3
    assert payload["url"].startswith("https://example.com/")


def test_summarize_text_output(tmp_path: Path) -> None:
    note = DEMO / "notes" / "ashgrove-garden-water.txt"
    result = CliRunner().invoke(cli, ["summarize", str(note), "--sentences", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Ashgrove Community Garden cuts mains water use by a third"
    assert sum(line.startswith("- ") for line in lines) == 2


def test_config_errors_are_one_message_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[digest]\nsentense = 3\ntimezone = "Mars/Base"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", "--config", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith("Error: 2 problems in the configuration:\n")
    assert "sentense: unknown key (did you mean 'sentences'?)" in result.output
    assert "'Mars/Base' is not a known time zone" in result.output
    assert "Traceback" not in result.output


def test_missing_file_is_a_readable_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["summarize", str(tmp_path / "nope.html")])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path / 'nope.html'} is neither a readable file nor an http(s) URL.\n"
    )


def test_verbose_adds_the_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--verbose", "summarize", str(tmp_path / "nope.html")])
    assert result.exit_code == 1
    assert "Traceback" in result.output


def test_method_names_in_the_help_match_the_summarizer() -> None:
    from digest.cli.run import METHOD_NAMES
    from digest.summarize.methods import METHODS

    names = {name.split()[0] for name in METHOD_NAMES.split(", ")}
    assert names == set(METHODS)


def test_unknown_method_is_a_readable_error() -> None:
    result = CliRunner().invoke(
        cli, ["summarize", str(DEMO / "notes" / "ashgrove-garden-water.txt"), "-m", "magic"]
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: Unknown summarisation method 'magic'. Use one of:")


@pytest.mark.parametrize(
    ("options", "check"),
    [
        (["--sentences", "2"], lambda s: len(s) == 2),
        (["--max-words", "40"], lambda s: sum(len(x.split()) for x in s) <= 40),
        (["--ratio", "0.05"], lambda s: 1 <= len(s) <= 2),
    ],
)
def test_summarize_budgets(options: list[str], check: Any) -> None:
    page = str(DEMO / "pages" / "westvale-repair-cafe.html")
    result = CliRunner().invoke(cli, ["summarize", page, "--json", *options])
    assert result.exit_code == 0, result.output
    assert check(json.loads(result.output)["summary"])


@pytest.mark.parametrize("method", METHODS)
def test_summarize_works_with_every_method(method: str) -> None:
    page = str(DEMO / "pages" / "larkfield-night-bus.html")
    result = CliRunner().invoke(
        cli, ["summarize", page, "--method", method, "--sentences", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["method"] == method and len(payload["summary"]) == 2


def test_two_runs_started_together_send_each_digest_once(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    """The second waits for the first (they share the store's lock), then finds it all sent."""
    config = smtp_demo_config(tmp_path, smtp_server)
    smtp_server.handler.delay = 0.3  # a slow server: the runs overlap for certain
    readers = [f"reader{n}@example.org" for n in range(6)]
    command = [sys.executable, "-m", "digest", "run", "--config", str(config)]
    command += [option for reader in readers for option in ("--to", reader)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    received = sorted(str(message["To"]) for message in smtp_server.handler.messages)
    assert received == readers


@pytest.mark.parametrize(
    "arguments",
    [
        ["--config", "{config}", "run"],
        ["run", "--config", "{config}"],
        ["-c", "{config}", "run", "--verbose"],
        ["--verbose", "run", "-c", "{config}"],
    ],
)
def test_config_and_verbose_work_before_or_after_the_command(
    tmp_path: Path, smtp_server: SmtpServer, arguments: list[str]
) -> None:
    config = str(smtp_demo_config(tmp_path, smtp_server))
    result = CliRunner().invoke(cli, [config if a == "{config}" else a for a in arguments])
    assert result.exit_code == 0, result.output
    assert "8 new articles" in result.output
    assert len(smtp_server.handler.messages) == 1


def every_command(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += every_command(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize(("name", "command"), every_command(cli), ids=lambda v: str(v))
def test_every_command_and_option_has_help(name: str, command: click.Command) -> None:
    assert command.help, name
    for parameter in command.params:
        if isinstance(parameter, click.Option):
            assert parameter.help, f"{name} {parameter.opts}"


@pytest.mark.parametrize("subscribers", [1, 60], ids=["sender-thread", "sender-process"])
def test_ctrl_c_stops_a_run_within_a_second_keeping_what_was_collected(
    tmp_path: Path, http_server: HttpServer, subscribers: int
) -> None:
    """A real SIGINT to the whole process group, as a terminal sends it, while the second
    source's server has not answered yet: "Stopping...", the fetch is cut short, the first
    source's articles are kept, exit 130. With many subscribers the sender is a child
    process, already started: it leaves the stopping to the run."""
    from .test_hostile_sources import GOOD, PAGE

    http_server.routes["/good"] = Route(GOOD)
    http_server.routes["/slow"] = Route(PAGE, content_type="text/html", delay=8.0)
    config = tmp_path / "slow.toml"
    readers = "".join(
        f'[[subscribers]]\nemail = "reader{number}@example.org"\n\n'
        for number in range(subscribers)
    )
    config.write_text(
        '[delivery]\nbackend = "file"\n\n'
        f'[[sources]]\nname = "Good"\nurl = "{http_server.url("/good")}"\nfull_text = "never"\n\n'
        f'[[sources]]\nname = "Slow"\nurl = "{http_server.url("/slow")}"\nkind = "page"\n\n'
        + readers,
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.Popen(
        [sys.executable, "-m", "digest", "run", "--config", str(config)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not any(path == "/slow" for path, _ in http_server.requests):
        assert time.monotonic() < deadline and run.poll() is None, run.communicate()
        time.sleep(0.02)
    time.sleep(0.5)  # the sender process is up by now
    interrupted = time.monotonic()
    os.killpg(run.pid, signal.SIGINT)
    out, err = run.communicate(timeout=30)
    took = time.monotonic() - interrupted
    assert run.returncode == 130, (out, err)
    assert took < 2.0, took
    assert err.startswith("Stopping...") and "Traceback" not in err, err
    assert "what was collected is kept" in err
    with Store(config_module.load(config).database) as store:
        assert store.article_count() == 1  # the good source's one story
        assert store.source_state("Slow").last_fetched is None  # read again next time
        assert store.digest_count() == 0  # stopped before any digest
