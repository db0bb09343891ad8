"""Tests for ``digest send``, ``digest outbox`` and ``digest outbox retry``, and for what a
``--verbose`` run over STARTTLS/TLS with AUTH prints (never the password)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.pipeline import SENDER_PROCESS_FROM

from .conftest import ROOT, SMTP_PASSWORD, SMTP_USER, SmtpServer, TlsSmtpServer
from .test_cli import smtp_demo_config


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_run_queue_only_then_send(tmp_path: Path, smtp_server: SmtpServer) -> None:
    config = str(smtp_demo_config(tmp_path, smtp_server))
    code, out, _ = invoke("run", "-c", config, "--queue-only")
    assert code == 0 and "1 digest queued; `digest send` sends them." in out
    assert smtp_server.handler.messages == []
    assert invoke("outbox", "-c", config)[1].startswith("Outbox: 1 queued, 0 sending,")
    code, out, _ = invoke("send", "-c", config)
    assert code == 0
    assert f"Digest for reader@example.org delivered (smtp): 127.0.0.1:{smtp_server.port}" in out
    assert len(smtp_server.handler.messages) == 1
    assert invoke("send", "-c", config)[1] == "Nothing is due in the outbox.\n"


def test_a_refused_digest_is_listed_and_can_be_retried(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    config = str(smtp_demo_config(tmp_path, smtp_server))
    smtp_server.handler.refuse["reader@example.org"] = "550 5.1.1 No such user"
    code, _, err = invoke("run", "-c", config)
    assert code == 1
    assert "Error: digest #1 for reader@example.org failed: 550 5.1.1 No such user" in err
    code, out, _ = invoke("outbox", "-c", config)
    assert out.splitlines() == [
        "Outbox: 0 queued, 0 sending, 0 deferred, 1 failed, 0 sent",
        "  #1 failed reader@example.org (1 attempt): 550 5.1.1 No such user",
    ]
    payload = json.loads(invoke("outbox", "-c", config, "--json")[1])
    assert payload["counts"]["failed"] == 1
    assert payload["digests"][0]["last_reply"] == "550 5.1.1 No such user"
    del smtp_server.handler.refuse["reader@example.org"]
    code, out, _ = invoke("outbox", "retry", "-c", config, "--all-failed")
    assert code == 0 and "Queued digest #1 to reader@example.org again." in out
    assert invoke("send", "-c", config)[0] == 0
    assert len(smtp_server.handler.messages) == 1
    code, _, err = invoke("outbox", "retry", "-c", config, "1")
    assert (code, err) == (
        1,
        "Error: Digest #1 to reader@example.org was already sent; nothing to retry.\n",
    )
    code, _, err = invoke("outbox", "retry", "-c", config, "99")
    assert (code, err) == (1, "Error: There is no digest #99 in the outbox.\n")
    assert invoke("outbox", "retry", "-c", config)[0] == 2


def test_a_deferred_digest_exits_1_and_says_when_it_is_retried(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    config = str(smtp_demo_config(tmp_path, smtp_server))
    smtp_server.handler.data_reply = "451 4.7.1 Greylisted, try again"
    code, _, err = invoke("run", "-c", config)
    assert code == 1
    assert "Digest #1 for reader@example.org deferred until " in err
    assert err.rstrip().endswith("UTC: 451 4.7.1 Greylisted, try again")
    assert "1 deferred" in invoke("outbox", "-c", config)[1]
    assert invoke("send", "-c", config)[1] == "Nothing is due in the outbox.\n"  # not yet due


def test_server_down_is_one_line_and_the_digest_waits(tmp_path: Path) -> None:
    from .conftest import free_port

    down = SmtpServer("127.0.0.1", free_port(), handler=None)  # type: ignore[arg-type]
    config = str(smtp_demo_config(tmp_path, down))
    code, _, err = invoke("run", "-c", config)
    assert code == 1
    assert f"Error: sending stopped: Cannot connect to the SMTP server 127.0.0.1:{down.port}" in err
    assert "Traceback" not in err
    assert "1 deferred" in invoke("outbox", "-c", config)[1]


@pytest.mark.parametrize("readers", [1, SENDER_PROCESS_FROM])
def test_verbose_send_over_tls_never_shows_the_password(
    tmp_path: Path, tls_smtp_server: TlsSmtpServer, request: pytest.FixtureRequest, readers: int
) -> None:
    """One reader is sent to from the run's own process, many from a child process."""
    security = request.node.callspec.params["tls_smtp_server"]
    config = smtp_demo_config(tmp_path, tls_smtp_server)
    text = config.read_text(encoding="utf-8").replace(
        'security = "none"',
        f'security = "{security}"\nusername = "{SMTP_USER}"\nca_file = "{tls_smtp_server.ca_file}"',
    )
    config.write_text(text, encoding="utf-8")
    env = {
        **os.environ,
        "DIGEST_SMTP_PASSWORD": SMTP_PASSWORD,
        "PYTHONPATH": str(ROOT),
    }
    to = [f"--to=reader{n}@example.org" for n in range(readers)] if readers > 1 else []
    done = subprocess.run(
        [sys.executable, "-m", "digest", "--verbose", "run", "-c", str(config), *to],
        env=env,
        capture_output=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output.decode()
    assert output.count(b"delivered (smtp)") == readers
    assert b"connected to the SMTP server" in output  # the sender's log is shown
    assert tls_smtp_server.logins == [(SMTP_USER, True)]
    assert len(tls_smtp_server.handler.messages) == readers
    secrets = [
        SMTP_PASSWORD.encode(),
        base64.b64encode(SMTP_PASSWORD.encode()),
        base64.b64encode(f"\0{SMTP_USER}\0{SMTP_PASSWORD}".encode()),
    ]
    for secret in secrets:
        assert secret not in output
    data_dir = Path(os.environ["DIGEST_HOME"])
    for stored in data_dir.rglob("*"):
        if stored.is_file():
            content = stored.read_bytes()
            assert all(secret not in content for secret in secrets), stored
