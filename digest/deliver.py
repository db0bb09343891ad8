"""Delivery: build the email for a rendered digest and hand it to a backend.

This is the only module that speaks SMTP or writes to the outbox folder. Backends:

- ``file``: writes ``<stamp>-<recipient>.eml`` and an ``.html`` copy of the HTML part to the
  outbox folder, each written to a temporary name first and then renamed, so a crash never
  leaves a half-written message;
- ``smtp``: sends through an SMTP server with STARTTLS, implicit TLS or neither, logging in
  when a username is configured. The password is read from the environment variable the
  configuration names, at send time, and never appears in a message or log.

Every failure becomes a `DeliveryError` naming the folder or the SMTP host.
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path

from digest import __version__
from digest.config import Config, SmtpSettings
from digest.errors import DeliveryError
from digest.models import Delivery, RenderedDigest, Subscriber


def build_message(
    rendered: RenderedDigest, *, sender: str, recipient: Subscriber, now: datetime
) -> EmailMessage:
    """A multipart/alternative message: the text part first, the HTML part last."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = str(Address(display_name=_one_line(recipient.name), addr_spec=recipient.email))
    message["Subject"] = _one_line(rendered.subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring="digest", domain=_domain(sender))
    message["Auto-Submitted"] = "auto-generated"
    message["X-Mailer"] = f"digest {__version__}"
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return message


def deliver(
    rendered: RenderedDigest,
    recipient: Subscriber,
    config: Config,
    *,
    now: datetime,
    outbox: Path | None = None,
) -> Delivery:
    """Deliver one digest with the configured backend (or to `outbox`, when given).

    Raises `DeliveryError` when the message cannot be written or sent.
    """
    message = build_message(rendered, sender=config.delivery.sender, recipient=recipient, now=now)
    if outbox is not None or config.delivery.backend == "file":
        return write_to_outbox(message, outbox or config.outbox, recipient=recipient, now=now)
    return send_smtp(message, config.smtp, recipient=recipient)


def write_to_outbox(
    message: EmailMessage, folder: Path, *, recipient: Subscriber, now: datetime
) -> Delivery:
    """Write `message` as an .eml file, plus an .html copy of its HTML part, to `folder`."""
    stem = f"{now.strftime('%Y%m%dT%H%M%S')}-{_safe_name(recipient.email)}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        eml = _unique(folder, stem, ".eml")
        html = eml.with_suffix(".html")
        _write_atomically(eml, message.as_bytes())
        html_part = message.get_body(preferencelist=("html",))
        if html_part is not None:
            _write_atomically(html, html_part.get_content().encode("utf-8"))
    except OSError as exc:
        raise DeliveryError(f"Cannot write to the outbox folder {folder}: {exc.strerror}.") from exc
    return Delivery(
        recipient=recipient.email,
        message_id=str(message["Message-ID"]),
        backend="file",
        location=str(eml),
        files=(eml, html) if html_part is not None else (eml,),
    )


def send_smtp(message: EmailMessage, settings: SmtpSettings, *, recipient: Subscriber) -> Delivery:
    """Send `message` to `recipient` through the configured SMTP server."""
    where = f"{settings.host}:{settings.port}"
    password = _password(settings) if settings.username else None
    try:
        client = _connect(settings)
        try:
            if password is not None:
                client.login(settings.username, password)
            refused = client.send_message(message, to_addrs=[recipient.email])
        finally:
            _quit(client)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"The SMTP server {where} refused the login for {settings.username!r}: "
            f"{_reply(exc.smtp_code, exc.smtp_error)}. Check the password in "
            f"${settings.password_env}."
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        raise DeliveryError(
            f"The SMTP server {where} refused {recipient.email}: {_reply(code, text)}."
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            f"The SMTP server {where} answered {_reply(exc.smtp_code, exc.smtp_error)}."
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"Cannot send through the SMTP server {where}: {_why(exc)}.") from exc
    if refused:
        code, text = refused[recipient.email]
        raise DeliveryError(
            f"The SMTP server {where} refused {recipient.email}: {_reply(code, text)}."
        )
    return Delivery(
        recipient=recipient.email,
        message_id=str(message["Message-ID"]),
        backend="smtp",
        location=where,
    )


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if settings.security == "tls":
        return smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.security == "starttls":
            client.ehlo()
            if not client.has_extn("starttls"):
                raise DeliveryError(
                    f"The SMTP server {settings.host}:{settings.port} does not offer STARTTLS; "
                    "set [smtp] security to 'tls' or 'none'."
                )
            client.starttls(context=context)
            client.ehlo()
    except BaseException:
        client.close()
        raise
    return client


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _password(settings: SmtpSettings) -> str:
    password = os.environ.get(settings.password_env)
    if not password:
        raise DeliveryError(
            f"[smtp] username is set but the environment variable {settings.password_env} "
            "holding the password is empty or unset."
        )
    return password


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {' '.join(text.split())}"


def _why(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text).rstrip(".")


def _one_line(text: str) -> str:
    """Header values never carry CR or LF, whatever a title contains."""
    return " ".join(text.split())


def _domain(sender: str) -> str:
    addresses = getaddresses([sender])
    address = addresses[0][1] if addresses else ""
    return address.rpartition("@")[2] or "localhost"


_UNSAFE = re.compile(r"[^A-Za-z0-9@._-]+")


def _safe_name(email: str) -> str:
    return _UNSAFE.sub("_", email)[:80]


def _unique(folder: Path, stem: str, suffix: str) -> Path:
    path = folder / f"{stem}{suffix}"
    counter = 1
    while path.exists():
        counter += 1
        path = folder / f"{stem}-{counter}{suffix}"
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
