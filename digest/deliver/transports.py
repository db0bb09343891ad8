"""Delivery backends: hand one built message to SMTP, the outbox folder or a local MTA.

This is the only module that speaks SMTP, pipes to sendmail or writes the outbox folder.
A transport sends one message at a time and says what became of it (`Outcome`):

- ``sent``: the server (or the folder, or the MTA) took it;
- ``deferred``: a temporary failure (a 4xx reply, sendmail's EX_TEMPFAIL); try again later;
- ``failed``: a permanent failure for this recipient (a 5xx reply); the reply says why.

Failures that concern the connection rather than the message are exceptions:
`ConnectionLost` (the server went away or answered 421: the message is deferred and a new
connection may work), `CannotConnect` (no connection at all: try again later) and, for what
no retry can fix (a refused login, an untrusted certificate, an unwritable folder), plain
`DeliveryError`.

Backends:

- ``smtp``: one connection reused for many messages, with STARTTLS, implicit TLS or neither
  (certificates are checked against the system's store or ``[smtp] ca_file``), AUTH when a
  username is configured, and a timeout on every step. The password is read from the
  environment variable the configuration names when a connection opens; it never appears in
  a message, a log line or the store, and SMTP debug output is never enabled.
- ``file``: writes ``<stamp>-<recipient>.eml`` and an ``.html`` copy of the HTML part to the
  outbox folder, each written to a temporary name first and then renamed, so a crash never
  leaves a half-written message.
- ``sendmail``: pipes the message to ``<command> -i -f <sender> -- <recipient>``; exit 0
  means taken, 75 (EX_TEMPFAIL) deferred, anything else failed with its error output.
"""

from __future__ import annotations

import email
import email.policy
import logging
import os
import re
import shlex
import smtplib
import socket
import ssl
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

from digest.config import Config, SendmailSettings, SmtpSettings
from digest.errors import DeliveryError

log = logging.getLogger("digest.deliver")

Status = Literal["sent", "deferred", "failed"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one message, with the server's reply (or the backend's account)."""

    status: Status
    reply: str
    files: tuple[Path, ...] = field(default=())


class ConnectionLost(DeliveryError):
    """The connection broke, or the server closed it (421); a new one may work."""


class CannotConnect(DeliveryError):
    """No connection could be made (refused, timed out, 4xx greeting); try again later."""


def _nothing() -> None:
    """The default `before_handover`."""


class Transport(Protocol):
    """Sends messages one at a time; `close` ends the connection, if any."""

    backend: str
    location: str

    def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        stamp: datetime,
        before_handover: Callable[[], None] = _nothing,
    ) -> Outcome:
        """Deliver `message` to `recipient`; raises `DeliveryError` (or a subclass).

        `before_handover` is called once, right before the message itself leaves (for SMTP,
        once the server accepted sender and recipient, before DATA): until it returns,
        nothing of this message can have been delivered."""
        ...

    def close(self) -> None: ...


def open_transport(config: Config, *, outbox: Path | None = None) -> Transport:
    """The configured backend, ready to send (an SMTP connection is opened now).

    `outbox` overrides the backend with the file backend writing to that folder.
    """
    if outbox is not None or config.delivery.backend == "file":
        return FileTransport(outbox or config.outbox)
    if config.delivery.backend == "sendmail":
        return SendmailTransport(config.sendmail)
    return SmtpTransport(config.smtp)


class SmtpTransport:
    """One SMTP connection, logged in when a username is configured."""

    backend = "smtp"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.location = f"{settings.host}:{settings.port}"
        self._client = _connect(settings)
        log.debug("connected to the SMTP server %s (%s)", self.location, settings.security)

    def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        stamp: datetime,
        before_handover: Callable[[], None] = _nothing,
    ) -> Outcome:
        client = self._client
        try:
            client.putcmd("mail", f"FROM:{_angle(sender)}")
            code, text = client.getreply()
            if code != 250:
                return self._refused(code, text)
            client.putcmd("rcpt", f"TO:{_angle(recipient)}")
            code, text = client.getreply()
            if code not in (250, 251):
                return self._refused(code, text)
            before_handover()
            client.putcmd("data")
            code, text = client.getreply()
            if code != 354:  # DATA itself refused
                return self._refused(code, text)
            client.send(_dot_stuffed(message))
            code, text = client.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise ConnectionLost(f"The SMTP server {self.location} {_lost(exc)}.") from exc
        if code != 250:
            return self._refused(code, text)
        return Outcome("sent", reply(code, text))

    def _refused(self, code: int, text: bytes | str) -> Outcome:
        answer = reply(code, text)
        if code == 421 or code < 0:
            self.close()
            raise ConnectionLost(f"The SMTP server {self.location} answered {answer}.")
        try:
            self._client.rset()
        except (smtplib.SMTPException, OSError):
            self.close()  # the outcome stands; the next message gets a new connection
        return Outcome("deferred" if 400 <= code < 500 else "failed", answer)

    def close(self) -> None:
        try:
            self._client.quit()
        except (smtplib.SMTPException, OSError):
            self._client.close()


class FileTransport:
    """Writes each message as an .eml file, plus an .html copy of its HTML part."""

    backend = "file"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.location = str(folder)

    def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        stamp: datetime,
        before_handover: Callable[[], None] = _nothing,
    ) -> Outcome:
        name = f"{stamp.strftime('%Y%m%dT%H%M%S')}-{_safe_name(recipient)}"
        before_handover()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            eml = _unique(self.folder, name, ".eml")
            _write_atomically(eml, message)
            html = _html_part(message)
            files: tuple[Path, ...] = (eml,)
            if html is not None:
                _write_atomically(eml.with_suffix(".html"), html.encode("utf-8"))
                files = (eml, eml.with_suffix(".html"))
        except OSError as exc:
            raise DeliveryError(
                f"Cannot write to the outbox folder {self.folder}: {exc.strerror}."
            ) from exc
        return Outcome("sent", f"written to {eml}", files=files)

    def close(self) -> None:
        pass


class SendmailTransport:
    """Pipes each message to a local MTA's sendmail command."""

    backend = "sendmail"
    EX_TEMPFAIL = 75

    def __init__(self, settings: SendmailSettings) -> None:
        self.command = shlex.split(settings.command)
        self.timeout = settings.timeout
        self.location = settings.command
        if not self.command:
            raise DeliveryError("[sendmail] command is empty; set it to the MTA's sendmail.")

    def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        stamp: datetime,
        before_handover: Callable[[], None] = _nothing,
    ) -> Outcome:
        arguments = [*self.command, "-i", "-f", sender, "--", recipient]
        before_handover()
        try:
            done = subprocess.run(
                arguments,
                input=message.replace(b"\r\n", b"\n"),  # local line endings for a local MTA
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Outcome("deferred", f"{self.location} did not finish in {self.timeout:g} s")
        except OSError as exc:
            raise DeliveryError(
                f"Cannot run the sendmail command {self.location!r}: {exc.strerror}; "
                "check [sendmail] command."
            ) from exc
        said = " ".join(done.stderr.decode("utf-8", errors="replace").split())[:500]
        if done.returncode == 0:
            return Outcome("sent", f"accepted by {self.command[0]}")
        account = f"{self.command[0]} exited with status {done.returncode}" + (
            f": {said}" if said else ""
        )
        status: Status = "deferred" if done.returncode == self.EX_TEMPFAIL else "failed"
        return Outcome(status, account)

    def close(self) -> None:
        pass


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    """A connection to the server, secured and logged in as configured."""
    where = f"{settings.host}:{settings.port}"
    password = _password(settings) if settings.username else None
    context = ssl.create_default_context(cafile=str(settings.ca_file) if settings.ca_file else None)
    try:
        if settings.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    except smtplib.SMTPConnectError as exc:
        error = CannotConnect if 400 <= exc.smtp_code < 500 else DeliveryError
        raise error(
            f"The SMTP server {where} refused the connection: "
            f"{reply(exc.smtp_code, exc.smtp_error)}."
        ) from exc
    except ssl.SSLCertVerificationError as exc:
        raise _untrusted(settings, exc) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise CannotConnect(f"Cannot connect to the SMTP server {where}: {_why(exc)}.") from exc
    try:
        client.ehlo()
        if settings.security == "starttls":
            if not client.has_extn("starttls"):
                raise DeliveryError(
                    f"The SMTP server {where} does not offer STARTTLS; "
                    "set [smtp] security to 'tls' or 'none'."
                )
            client.starttls(context=context)
            client.ehlo()
        if password is not None:
            client.login(settings.username, password)
    except smtplib.SMTPAuthenticationError as exc:
        client.close()
        raise DeliveryError(
            f"The SMTP server {where} refused the login for {settings.username!r}: "
            f"{reply(exc.smtp_code, exc.smtp_error)}. Check the password in "
            f"${settings.password_env}."
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        client.close()
        raise DeliveryError(
            f"The SMTP server {where} does not offer AUTH; remove [smtp] username or turn on TLS."
        ) from exc
    except ssl.SSLCertVerificationError as exc:
        client.close()
        raise _untrusted(settings, exc) from exc
    except (smtplib.SMTPException, OSError) as exc:
        client.close()
        raise CannotConnect(f"Cannot connect to the SMTP server {where}: {_why(exc)}.") from exc
    except BaseException:
        client.close()
        raise
    return client


def _untrusted(settings: SmtpSettings, exc: ssl.SSLCertVerificationError) -> DeliveryError:
    return DeliveryError(
        f"The SMTP server {settings.host}:{settings.port} presented a certificate that is not "
        f"trusted ({exc.verify_message or exc.reason}); set [smtp] ca_file to its CA "
        "certificate, or fix the server's certificate."
    )


def _password(settings: SmtpSettings) -> str:
    password = os.environ.get(settings.password_env)
    if not password:
        raise DeliveryError(
            f"[smtp] username is set but the environment variable {settings.password_env} "
            "holding the password is empty or unset."
        )
    return password


_BARE_ADDRESS = re.compile(r'[^\s<>()\[\]",;:\\@]+@[^\s<>()\[\]",;:\\@]+')


def _angle(address: str) -> str:
    """`address` in angle brackets for MAIL and RCPT. The envelope's addresses were checked
    and normalised when stored, so a bare one is taken as it is: smtplib would parse it
    again for every message (`quoteaddr`), which costs a sending thread more than the rest
    of its bookkeeping."""
    if _BARE_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


def _dot_stuffed(message: bytes) -> bytes:
    """`message` as DATA carries it (RFC 5321, 4.5.2): a dot doubled at the start of every
    line, then CRLF . CRLF. What smtplib's `data` sends, with one bytes.replace instead of a
    regular expression over the whole message, which costs a sending thread several times
    more."""
    stuffed = message.replace(b"\n.", b"\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


def reply(code: int, text: bytes | str) -> str:
    """An SMTP reply as one line: ``451 4.3.0 Try again later``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {' '.join(text.split())}".strip()


def _lost(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "closed the connection"
    return f"connection failed: {_why(exc)}"


def _why(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(text).rstrip(".")


def _html_part(message: bytes) -> str | None:
    parsed = email.message_from_bytes(message, policy=email.policy.default)
    if not isinstance(parsed, email.message.EmailMessage):
        return None
    part = parsed.get_body(preferencelist=("html",))
    if part is None:
        return None
    return str(part.get_content()).replace("\r\n", "\n")


_UNSAFE = re.compile(r"[^A-Za-z0-9@._-]+")


def _safe_name(email_address: str) -> str:
    return _UNSAFE.sub("_", email_address)[:80]


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
