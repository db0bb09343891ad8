"""Tests for digest.render.message: the email's bytes, parsed back with the standard library."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from digest.models import RenderedDigest
from digest.render.message import Envelope, build_message, domain_of, mailto_unsubscribe

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
RENDERED = RenderedDigest(subject="Daily digest", text="Plain body\n", html="<p>HTML body</p>\n")
ENVELOPE = Envelope(
    sender="Digest <digest@example.org>",
    recipient="reader@example.org",
    recipient_name="Reader",
    list_name="Daily digest",
)


def parse(data: bytes) -> EmailMessage:
    parsed = message_from_bytes(data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def test_message_is_multipart_alternative_text_then_html() -> None:
    built = build_message(RENDERED, ENVELOPE, now=NOW)
    message = parse(built.data)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert message["From"] == "Digest <digest@example.org>"
    assert message["To"] == "Reader <reader@example.org>"
    assert message["Subject"] == "Daily digest"
    assert message["Date"] == "Thu, 26 Nov 2026 07:00:00 +0000"
    assert message["Message-ID"] == built.message_id
    assert built.message_id.startswith("<") and built.message_id.endswith("@example.org>")
    assert body(message, "plain") == RENDERED.text
    assert body(message, "html") == RENDERED.html


def test_every_line_ends_with_crlf_and_is_short() -> None:
    long_text = "word " * 400 + "\n" + "ü" * 300 + "\n"
    built = build_message(replace(RENDERED, text=long_text, html=long_text), ENVELOPE, now=NOW)
    assert b"\n" not in built.data.replace(b"\r\n", b"")
    head, _, rest = built.data.partition(b"\r\n\r\n")
    assert max(len(line) for line in head.split(b"\r\n")) <= 998  # RFC 5322's hard limit
    assert max(len(line) for line in rest.split(b"\r\n")) <= 76  # quoted-printable's
    assert built.data.isascii()
    assert body(parse(built.data), "plain") == long_text


def test_message_ids_are_unique() -> None:
    ids = {build_message(RENDERED, ENVELOPE, now=NOW).message_id for _ in range(50)}
    assert len(ids) == 50


@pytest.mark.parametrize(
    "subject",
    ["Hello\r\nBcc: victim@example.org", "Hello\nBcc: victim@example.org", "Hello\rBcc: x@y.z"],
)
def test_titles_with_line_breaks_cannot_inject_headers(subject: str) -> None:
    message = parse(build_message(replace(RENDERED, subject=subject), ENVELOPE, now=NOW).data)
    assert message["Bcc"] is None
    assert message["Subject"] == " ".join(subject.split())


def test_names_with_line_breaks_cannot_inject_headers() -> None:
    envelope = replace(ENVELOPE, recipient_name="Eve\r\nBcc: victim@example.org")
    message = parse(build_message(RENDERED, envelope, now=NOW).data)
    assert message["Bcc"] is None
    assert message["To"].addresses[0].addr_spec == "reader@example.org"


def test_non_ascii_subject_and_names_are_encoded_words() -> None:
    subject = "Zürich — 東京 digest, with a long subject that must be folded over lines " * 2
    envelope = replace(ENVELOPE, sender="Dïgest <digest@example.org>", recipient_name="Zoë")
    built = build_message(replace(RENDERED, subject=subject), envelope, now=NOW)
    message = parse(built.data)
    assert message["Subject"] == " ".join(subject.split())
    assert message["To"] == "Zoë <reader@example.org>"
    assert message["From"] == "Dïgest <digest@example.org>"


def test_list_headers_without_a_public_url_offer_mailto_only() -> None:
    message = parse(build_message(RENDERED, ENVELOPE, now=NOW).data)
    assert message["List-Id"] == "Daily digest <daily-digest.example.org>"
    assert message["List-Unsubscribe"] == (
        "<mailto:digest@example.org?subject=Unsubscribe%20reader%40example.org>"
    )
    assert message["List-Unsubscribe-Post"] is None
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Precedence"] == "bulk"


def test_list_headers_with_https_link_allow_one_click() -> None:
    envelope = replace(ENVELOPE, unsubscribe_url="https://digest.example.org/unsubscribe/t0k")
    message = parse(build_message(RENDERED, envelope, now=NOW).data)
    assert " ".join(message["List-Unsubscribe"].split()) == (
        "<https://digest.example.org/unsubscribe/t0k>, "
        "<mailto:digest@example.org?subject=Unsubscribe%20reader%40example.org>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_plain_http_link_is_listed_without_one_click() -> None:
    envelope = replace(ENVELOPE, unsubscribe_url="http://127.0.0.1:8080/unsubscribe/t0k")
    message = parse(build_message(RENDERED, envelope, now=NOW).data)
    assert "http://127.0.0.1:8080/unsubscribe/t0k" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] is None


def test_configured_list_id_is_used() -> None:
    envelope = replace(ENVELOPE, list_id="news.example.com")
    message = parse(build_message(RENDERED, envelope, now=NOW).data)
    assert message["List-Id"] == "Daily digest <news.example.com>"


def test_boundary_cannot_occur_in_the_bodies() -> None:
    hostile = "--=_digest_\n=_digest_ boundary lookalike\n"
    built = build_message(replace(RENDERED, text=hostile, html=hostile), ENVELOPE, now=NOW)
    message = parse(built.data)
    assert body(message, "plain") == hostile
    assert len(list(message.iter_parts())) == 2


@pytest.mark.parametrize(
    ("sender", "domain"),
    [("Digest <d@news.example.org>", "news.example.org"), ("d@x.org", "x.org"), ("", "localhost")],
)
def test_domain_of_sender(sender: str, domain: str) -> None:
    assert domain_of(sender) == domain


def test_mailto_unsubscribe_needs_an_address() -> None:
    assert mailto_unsubscribe("Digest <d@x.org>", "a@b.org") == (
        "mailto:d@x.org?subject=Unsubscribe%20a%40b.org"
    )
    assert mailto_unsubscribe("", "a@b.org") == ""
