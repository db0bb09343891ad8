"""Tests for digest.deliver: the message, the outbox folder and a real SMTP server."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from digest import config as config_module
from digest.deliver import build_message, deliver, write_to_outbox
from digest.errors import DeliveryError
from digest.models import RenderedDigest, Subscriber

from .conftest import SmtpServer, free_port

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
READER = Subscriber("reader@example.org", "Reader", "UTC")
RENDERED = RenderedDigest(subject="Daily digest", text="Plain body\n", html="<p>HTML body</p>")


def smtp_config(server: SmtpServer, **smtp: object) -> config_module.Config:
    base = config_module.parse({}, base=Path.cwd())
    settings = config_module.SmtpSettings(
        host=server.host,
        port=server.port,
        security="none",
        **smtp,  # type: ignore[arg-type]
    )
    delivery = replace(base.delivery, backend="smtp", sender="Digest <digest@example.org>")
    return replace(base, smtp=settings, delivery=delivery)


def test_message_is_multipart_alternative_text_then_html() -> None:
    message = build_message(RENDERED, sender="Digest <d@example.org>", recipient=READER, now=NOW)
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert message["To"] == "Reader <reader@example.org>"
    assert message["Date"] == "Thu, 26 Nov 2026 07:00:00 +0000"
    assert message["Message-ID"].endswith("@example.org>")


def test_titles_with_line_breaks_cannot_inject_headers() -> None:
    rendered = replace(RENDERED, subject="Hello\r\nBcc: victim@example.org")
    message = build_message(rendered, sender="d@example.org", recipient=READER, now=NOW)
    assert message["Subject"] == "Hello Bcc: victim@example.org"
    assert message["Bcc"] is None


def test_outbox_gets_an_eml_and_an_html_copy(tmp_path: Path) -> None:
    message = build_message(RENDERED, sender="d@example.org", recipient=READER, now=NOW)
    delivery = write_to_outbox(message, tmp_path / "outbox", recipient=READER, now=NOW)
    eml, html = delivery.files
    assert eml.name == "20261126T070000-reader@example.org.eml"
    assert html.read_text(encoding="utf-8") == "<p>HTML body</p>\n"
    parsed = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == delivery.message_id
    assert list(tmp_path.joinpath("outbox").glob(".*")) == []
    again = write_to_outbox(message, tmp_path / "outbox", recipient=READER, now=NOW)
    assert again.files[0].name == "20261126T070000-reader@example.org-2.eml"


def test_outbox_that_cannot_be_written_is_a_delivery_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    message = build_message(RENDERED, sender="d@example.org", recipient=READER, now=NOW)
    with pytest.raises(DeliveryError, match="Cannot write to the outbox folder"):
        write_to_outbox(message, blocker / "outbox", recipient=READER, now=NOW)


def test_smtp_delivers_both_parts(smtp_server: SmtpServer) -> None:
    delivery = deliver(RENDERED, READER, smtp_config(smtp_server), now=NOW)
    (received,) = smtp_server.handler.messages
    assert smtp_server.handler.envelopes[0].rcpt_tos == ["reader@example.org"]
    assert received["Subject"] == "Daily digest"
    assert received["Message-ID"] == delivery.message_id
    assert received.get_body(preferencelist=("plain",)).get_content().strip() == "Plain body"
    assert "HTML body" in received.get_body(preferencelist=("html",)).get_content()
    assert delivery.location == f"127.0.0.1:{smtp_server.port}"


def test_smtp_refusal_names_host_and_reply(smtp_server: SmtpServer) -> None:
    smtp_server.handler.rcpt_reply = "550 5.1.1 No such user"
    with pytest.raises(DeliveryError) as caught:
        deliver(RENDERED, READER, smtp_config(smtp_server), now=NOW)
    assert str(caught.value) == (
        f"The SMTP server 127.0.0.1:{smtp_server.port} refused reader@example.org: "
        "550 5.1.1 No such user."
    )


def test_smtp_temporary_failure_is_a_delivery_error(smtp_server: SmtpServer) -> None:
    smtp_server.handler.data_reply = "451 4.3.0 Try again later"
    with pytest.raises(DeliveryError, match=r"answered 451 4\.3\.0 Try again later"):
        deliver(RENDERED, READER, smtp_config(smtp_server), now=NOW)


def test_smtp_server_down_is_a_delivery_error() -> None:
    down = SmtpServer("127.0.0.1", free_port(), handler=None)  # type: ignore[arg-type]
    with pytest.raises(DeliveryError, match="connection refused"):
        deliver(RENDERED, READER, smtp_config(down, timeout=2.0), now=NOW)


def test_starttls_missing_is_explained(smtp_server: SmtpServer) -> None:
    config = smtp_config(smtp_server)
    config = replace(config, smtp=replace(config.smtp, security="starttls"))
    with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
        deliver(RENDERED, READER, config, now=NOW)


def test_login_without_password_variable_is_explained(
    smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIGEST_SMTP_PASSWORD", raising=False)
    with pytest.raises(DeliveryError, match="DIGEST_SMTP_PASSWORD holding the password"):
        deliver(RENDERED, READER, smtp_config(smtp_server, username="digest"), now=NOW)
