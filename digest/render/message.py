"""The email for one rendered digest: headers and a multipart/alternative body, as bytes.

Pure: a `RenderedDigest` and the addressing details in, the message's bytes out, with CRLF
line endings, ready for SMTP, a sendmail pipe or an .eml file. Nothing here sends or stores.

The message is written directly rather than through `email.message.EmailMessage`, which is
several times slower than rendering the digest itself; the parts are simple enough to write
safely:

- every header value is first collapsed to one line, so no CR or LF from a title, a name or
  the configuration can start a header of its own; non-ASCII text becomes RFC 2047 encoded
  words (`email.header`), and addresses are formatted by `email.utils.formataddr`;
- both bodies are quoted-printable UTF-8, so the message is 7-bit clean with short lines
  for any server, and the boundary contains ``=_``, which quoted-printable never produces.

Headers: From, To, Subject, Date, Message-ID (the sender's domain), MIME-Version, List-Id,
List-Unsubscribe (the https link when one is given, then the mailto fallback),
List-Unsubscribe-Post for RFC 8058 one-click unsubscribe (only with an https link),
Auto-Submitted and Precedence (RFC 3834: an automatic, periodic message, so vacation
responders stay quiet).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from urllib.parse import quote

from digest import __version__
from digest.models import RenderedDigest

CRLF = "\r\n"


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who a message is from and to, and the list it belongs to."""

    sender: str  # "Name <address>" or a bare address
    recipient: str  # a bare address
    recipient_name: str = ""
    list_name: str = "Your daily digest"
    list_id: str = ""  # the List-Id label; derived from the list name when empty
    unsubscribe_url: str = ""  # an http(s) link that unsubscribes the recipient

    @property
    def sender_address(self) -> str:
        return _parse(self.sender)[1]

    @property
    def domain(self) -> str:
        return domain_of(self.sender)


@dataclass(frozen=True, slots=True)
class Message:
    """A built message: its bytes and the Message-ID they carry."""

    message_id: str
    data: bytes


def build_message(rendered: RenderedDigest, envelope: Envelope, *, now: datetime) -> Message:
    """The full message for `rendered`, from and to the envelope's addresses, dated `now`."""
    message_id = new_message_id(envelope.domain)
    boundary = f"=_digest_{secrets.token_hex(12)}"
    name, address = _parse(envelope.sender)
    headers = [
        ("From", formataddr((one_line(name), address), charset="utf-8")),
        ("To", formataddr((one_line(envelope.recipient_name), envelope.recipient), "utf-8")),
        ("Subject", _encode(one_line(rendered.subject))),
        ("Date", format_datetime(now)),
        ("Message-ID", message_id),
        ("MIME-Version", "1.0"),
        ("List-Id", _list_id(envelope)),
        *_unsubscribe_headers(envelope),
        ("Auto-Submitted", "auto-generated"),
        ("Precedence", "bulk"),
        ("X-Auto-Response-Suppress", "OOF, AutoReply"),
        ("X-Mailer", f"digest {__version__}"),
        ("Content-Type", f'multipart/alternative;{CRLF} boundary="{boundary}"'),
    ]
    lines = [f"{field}: {value}" for field, value in headers]
    lines += ["", "This is a multipart message in MIME format."]
    for subtype, body in (("plain", rendered.text), ("html", rendered.html)):
        lines += [
            f"--{boundary}",
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
            "",
            _quoted_printable(body),
        ]
    lines += [f"--{boundary}--", ""]
    return Message(message_id=message_id, data=CRLF.join(lines).encode("ascii"))


def new_message_id(domain: str) -> str:
    """A new, globally unique Message-ID on `domain`."""
    return f"<{secrets.token_hex(16)}.digest@{domain}>"


def domain_of(sender: str) -> str:
    """The domain of a "Name <address>" or bare address; ``localhost`` when it has none."""
    return _parse(sender)[1].rpartition("@")[2] or "localhost"


def mailto_unsubscribe(sender: str, recipient: str) -> str:
    """A mailto link asking `sender` to unsubscribe `recipient`; empty without an address."""
    address = _parse(sender)[1]
    if not address:
        return ""
    return f"mailto:{address}?subject={quote(f'Unsubscribe {recipient}')}"


@lru_cache(maxsize=64)
def _parse(sender: str) -> tuple[str, str]:
    """(name, address) of a sender; every digest of a run has the same one."""
    return parseaddr(sender)


def one_line(text: str) -> str:
    """`text` with every run of white space, CR and LF included, as one space."""
    return " ".join(text.split())


def _encode(text: str) -> str:
    """ASCII text as it is; anything else as RFC 2047 base64 encoded words, folded with CRLF.

    Each word carries whole characters, at most 42 bytes of UTF-8, so that it stays under
    the 75 characters RFC 2047 allows and a folded line under 78.
    """
    if text.isascii():
        return text
    words: list[str] = []
    chunk = b""
    for character in text:
        encoded = character.encode("utf-8")
        if len(chunk) + len(encoded) > _WORD_BYTES:
            words.append(_encoded_word(chunk))
            chunk = b""
        chunk += encoded
    words.append(_encoded_word(chunk))
    return f"{CRLF} ".join(words)


_WORD_BYTES = 42


def _encoded_word(data: bytes) -> str:
    return f"=?utf-8?b?{base64.b64encode(data).decode('ascii')}?="


_LABEL = re.compile(r"[^a-z0-9-]+")


def _list_id(envelope: Envelope) -> str:
    """``"Name" <label.domain>`` (RFC 2919)."""
    label = envelope.list_id or _LABEL.sub("-", envelope.list_name.lower()).strip("-")
    label = label or "digest"
    if "." not in label:
        label = f"{label}.{envelope.domain}"
    name = one_line(envelope.list_name).replace("\\", "").replace('"', "")
    return f"{_encode(f'{name}')} <{label}>" if name else f"<{label}>"


def _unsubscribe_headers(envelope: Envelope) -> list[tuple[str, str]]:
    links = []
    url = one_line(envelope.unsubscribe_url)
    if url:
        links.append(f"<{url}>")
    mailto = mailto_unsubscribe(envelope.sender, envelope.recipient)
    if mailto:
        links.append(f"<{mailto}>")
    headers = [("List-Unsubscribe", f",{CRLF} ".join(links))] if links else []
    if url.startswith("https://"):
        headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return headers


def _quoted_printable(text: str) -> str:
    """`text` as quoted-printable UTF-8 lines joined by CRLF (RFC 2045, lines of 76 or less)."""
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    return encoded.decode("ascii").replace("\n", CRLF)
