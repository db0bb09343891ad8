"""Tests for digest.deliver: each backend against the real thing (a local SMTP server, a
folder, a sendmail program), and how each failure is classified."""

from __future__ import annotations

import smtplib
import stat
import sys
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from digest import config as config_module
from digest.deliver.transports import (
    CannotConnect,
    ConnectionLost,
    FileTransport,
    Outcome,
    SendmailTransport,
    SmtpTransport,
    Transport,
    _angle,
    _dot_stuffed,
    open_transport,
)
from digest.errors import DeliveryError
from digest.models import RenderedDigest
from digest.render.message import Envelope, build_message

from .conftest import SMTP_PASSWORD, SMTP_USER, SmtpServer, TlsSmtpServer, free_port

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
RENDERED = RenderedDigest(subject="Daily digest", text="Plain body\n", html="<p>HTML body</p>\n")
ENVELOPE = Envelope(sender="Digest <digest@example.org>", recipient="reader@example.org")
MESSAGE = build_message(RENDERED, ENVELOPE, now=NOW)


def smtp_settings(server: SmtpServer, **changes: object) -> config_module.SmtpSettings:
    settings = config_module.SmtpSettings(
        host=server.host, port=server.port, security="none", timeout=5.0
    )
    return replace(settings, **changes)  # type: ignore[arg-type]


def send(transport: Transport, to: str = "reader@example.org") -> Outcome:
    return transport.send("digest@example.org", to, MESSAGE.data, stamp=NOW)


def test_smtp_delivers_both_parts(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(smtp_settings(smtp_server))
    outcome = send(transport)
    transport.close()
    (received,) = smtp_server.handler.messages
    assert outcome.status == "sent"
    assert outcome.reply == "250 Message accepted for delivery"
    assert smtp_server.handler.envelopes[0].mail_from == "digest@example.org"
    assert smtp_server.handler.envelopes[0].rcpt_tos == ["reader@example.org"]
    assert received["Subject"] == "Daily digest"
    assert received["Message-ID"] == MESSAGE.message_id
    assert received.get_body(preferencelist=("plain",)).get_content().strip() == "Plain body"
    assert "HTML body" in received.get_body(preferencelist=("html",)).get_content()


def test_smtp_connection_is_reused(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(smtp_settings(smtp_server))
    outcomes = [send(transport, f"r{n}@example.org").status for n in range(5)]
    transport.close()
    assert outcomes == ["sent"] * 5
    assert smtp_server.handler.connections == 1


def test_smtp_permanent_refusal_fails_the_recipient_and_keeps_the_connection(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.handler.refuse["bad@example.org"] = "550 5.1.1 No such user"
    transport = SmtpTransport(smtp_settings(smtp_server))
    refused = send(transport, "bad@example.org")
    accepted = send(transport, "good@example.org")
    transport.close()
    assert (refused.status, refused.reply) == ("failed", "550 5.1.1 No such user")
    assert accepted.status == "sent"
    assert smtp_server.handler.connections == 1


def test_smtp_temporary_refusal_defers(smtp_server: SmtpServer) -> None:
    smtp_server.handler.data_reply = "451 4.3.0 Try again later"
    transport = SmtpTransport(smtp_settings(smtp_server))
    outcome = send(transport)
    transport.close()
    assert (outcome.status, outcome.reply) == ("deferred", "451 4.3.0 Try again later")


def test_smtp_421_is_a_lost_connection(smtp_server: SmtpServer) -> None:
    smtp_server.handler.data_reply = "421 4.3.2 Shutting down"
    transport = SmtpTransport(smtp_settings(smtp_server))
    with pytest.raises(ConnectionLost, match=r"answered 421 4\.3\.2 Shutting down"):
        send(transport)


def test_smtp_dropped_connection_is_a_lost_connection(smtp_server: SmtpServer) -> None:
    smtp_server.handler.drop_at = {1}
    transport = SmtpTransport(smtp_settings(smtp_server))
    with pytest.raises(ConnectionLost, match=f"127.0.0.1:{smtp_server.port}"):
        send(transport)


def test_smtp_server_down_cannot_connect() -> None:
    down = SmtpServer("127.0.0.1", free_port(), handler=None)  # type: ignore[arg-type]
    with pytest.raises(CannotConnect, match="connection refused"):
        SmtpTransport(smtp_settings(down, timeout=2.0))


def test_starttls_missing_is_explained(smtp_server: SmtpServer) -> None:
    with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
        SmtpTransport(smtp_settings(smtp_server, security="starttls"))


def test_login_without_password_variable_is_explained(
    smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIGEST_SMTP_PASSWORD", raising=False)
    with pytest.raises(DeliveryError, match="DIGEST_SMTP_PASSWORD holding the password"):
        SmtpTransport(smtp_settings(smtp_server, username="digest"))


def test_file_backend_writes_an_eml_and_an_html_copy(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path / "outbox")
    outcome = send(transport)
    eml, html = outcome.files
    assert outcome.status == "sent"
    assert eml.name == "20261126T070000-reader@example.org.eml"
    assert html.read_text(encoding="utf-8") == "<p>HTML body</p>\n"
    assert eml.read_bytes() == MESSAGE.data
    parsed = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == MESSAGE.message_id
    assert list(tmp_path.joinpath("outbox").glob(".*")) == []
    again = send(transport)
    assert again.files[0].name == "20261126T070000-reader@example.org-2.eml"


def test_file_backend_that_cannot_write_is_a_delivery_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(DeliveryError, match="Cannot write to the outbox folder"):
        send(FileTransport(blocker / "outbox"))


def fake_sendmail(tmp_path: Path, exit_code: int, complaint: str = "") -> Path:
    """A sendmail program that records its arguments and input, then exits as told."""
    program = tmp_path / "sendmail"
    program.write_text(
        f"#!{sys.executable}\n"
        "import sys, pathlib\n"
        f"folder = pathlib.Path({str(tmp_path)!r})\n"
        "folder.joinpath('args').write_text(' '.join(sys.argv[1:]))\n"
        "folder.joinpath('input').write_bytes(sys.stdin.buffer.read())\n"
        f"sys.stderr.write({complaint!r})\n"
        f"sys.exit({exit_code})\n",
        encoding="utf-8",
    )
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program


def test_sendmail_backend_pipes_the_message(tmp_path: Path) -> None:
    program = fake_sendmail(tmp_path, 0)
    transport = SendmailTransport(config_module.SendmailSettings(command=str(program)))
    outcome = send(transport)
    assert outcome.status == "sent"
    assert (tmp_path / "args").read_text() == "-i -f digest@example.org -- reader@example.org"
    piped = (tmp_path / "input").read_bytes()
    assert b"\r\n" not in piped  # local line endings for the local MTA
    assert piped == MESSAGE.data.replace(b"\r\n", b"\n")


@pytest.mark.parametrize(("code", "status"), [(75, "deferred"), (67, "failed"), (1, "failed")])
def test_sendmail_exit_status_decides_the_outcome(tmp_path: Path, code: int, status: str) -> None:
    program = fake_sendmail(tmp_path, code, "user unknown\n")
    transport = SendmailTransport(config_module.SendmailSettings(command=str(program)))
    outcome = send(transport)
    assert outcome.status == status
    assert outcome.reply == f"{program} exited with status {code}: user unknown"


def test_missing_sendmail_is_a_delivery_error(tmp_path: Path) -> None:
    settings = config_module.SendmailSettings(command=str(tmp_path / "no-such-sendmail"))
    with pytest.raises(DeliveryError, match="Cannot run the sendmail command"):
        send(SendmailTransport(settings))


def test_open_transport_follows_the_configuration(tmp_path: Path) -> None:
    base = config_module.parse({}, base=tmp_path)
    assert isinstance(open_transport(base), FileTransport)
    assert isinstance(open_transport(base, outbox=tmp_path), FileTransport)
    sendmail = replace(base, delivery=replace(base.delivery, backend="sendmail"))
    assert isinstance(open_transport(sendmail), SendmailTransport)


def tls_settings(
    server: TlsSmtpServer, security: str, **changes: object
) -> config_module.SmtpSettings:
    settings = smtp_settings(server, security=security, ca_file=server.ca_file, username=SMTP_USER)
    return replace(settings, **changes)  # type: ignore[arg-type]


def test_tls_with_a_trusted_certificate_and_auth_sends(
    tls_smtp_server: TlsSmtpServer, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    security = request.node.callspec.params["tls_smtp_server"]
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", SMTP_PASSWORD)
    transport = SmtpTransport(tls_settings(tls_smtp_server, security))
    outcome = send(transport)
    transport.close()
    assert outcome.status == "sent"
    assert tls_smtp_server.logins == [(SMTP_USER, True)]
    assert len(tls_smtp_server.handler.messages) == 1


def test_untrusted_certificate_is_refused_with_advice(
    tls_smtp_server: TlsSmtpServer, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    security = request.node.callspec.params["tls_smtp_server"]
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", SMTP_PASSWORD)
    settings = tls_settings(tls_smtp_server, security, ca_file=None)
    with pytest.raises(DeliveryError, match=r"not trusted .*set \[smtp\] ca_file"):
        SmtpTransport(settings)
    assert tls_smtp_server.logins == []  # the password never left


def test_wrong_password_is_refused_without_showing_it(
    tls_smtp_server: TlsSmtpServer, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    security = request.node.callspec.params["tls_smtp_server"]
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "not-the-password")
    with pytest.raises(DeliveryError) as caught:
        SmtpTransport(tls_settings(tls_smtp_server, security))
    assert "refused the login for 'digest'" in str(caught.value)
    assert "Check the password in $DIGEST_SMTP_PASSWORD" in str(caught.value)
    assert "not-the-password" not in str(caught.value)


@pytest.mark.parametrize(
    "address",
    ["reader@example.org", "", "Name <x@example.org>", "a b@example.org", '"q u"@example.org',
     "üser@exämple.org", "<x@example.org>", "x@[192.0.2.1]"],
)  # fmt: skip
def test_envelope_addresses_are_bracketed_as_smtplib_would(address: str) -> None:
    assert _angle(address) == smtplib.quoteaddr(address)


@pytest.mark.parametrize(
    "message",
    [b"Subject: x\r\n\r\nBody\r\n", b".starts\r\n.two\r\nmid.dle\r\n..\r\n.", b"bare\n.lf\n",
     b"", b"no end", b"\r\n.\r\n", b"cr\r.not a line start\r\n"],
)  # fmt: skip
def test_data_is_dot_stuffed_as_smtplib_would(message: bytes) -> None:
    expected = smtplib._quote_periods(message)
    if expected[-2:] != b"\r\n":
        expected += b"\r\n"
    assert _dot_stuffed(message) == expected + b".\r\n"


def test_lines_starting_with_a_dot_arrive_as_they_were(smtp_server: SmtpServer) -> None:
    transport = SmtpTransport(smtp_settings(smtp_server))
    body = b"Subject: dots\r\n\r\n.one\r\n..two\r\n.\r\nend\r\n"
    outcome = transport.send("digest@example.org", "reader@example.org", body, stamp=NOW)
    transport.close()
    assert outcome.status == "sent"
    (envelope, _message) = smtp_server.handler.accepted()[0]
    assert envelope.content == body
