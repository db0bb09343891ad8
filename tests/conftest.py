"""Shared fixtures: an isolated data folder, a real SMTP server and a real HTTP server.

Every server binds to 127.0.0.1 on a free port; no test reaches any other address.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .postgres import postgres_server, postgres_url, store_where

__all__ = ["postgres_server", "postgres_url", "store_where"]  # fixtures for every test file

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
DEMO_CONFIG = ROOT / "config" / "demo.toml"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point DIGEST_HOME at a fresh folder and forget any DIGEST_CONFIG of the caller."""
    home = tmp_path / "home"
    monkeypatch.setenv("DIGEST_HOME", str(home))
    monkeypatch.delenv("DIGEST_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    return home


_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """A safety net: any name or address off loopback fails to resolve in every test.

    Not a test double: it only makes sure that a test which would reach out of this machine
    (a DNS query, a connection to a routable address) fails loudly instead.
    """
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in _LOOPBACK_NAMES and not name.startswith("127."):
            raise socket.gaierror(socket.EAI_NONAME, f"{name} is off loopback (tests only)")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def free_port() -> int:
    """A port free on 127.0.0.1 right now (aiosmtpd cannot start on port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- SMTP ---------------------------------------------------------------------------------


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that keeps every accepted message and can refuse on demand.

    Transactions are numbered from 1 as they reach DATA. `refuse` answers RCPT for the
    addresses it names; `data_replies` may answer a transaction instead of accepting it;
    `drop_at` names transactions during which the server drops the connection; `delay`
    holds each DATA reply back that many seconds.
    """

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)
    rcpt_reply: str | None = None  # e.g. "550 5.1.1 No such user"
    data_reply: str | None = None  # e.g. "451 4.3.0 Try again later"
    refuse: dict[str, str] = field(default_factory=dict)
    data_replies: Callable[[int], str | None] | None = None
    drop_at: set[int] = field(default_factory=set)
    delay: float = 0.0
    transactions: int = 0
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        if not getattr(session, "counted", False):
            session.counted = True
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.transactions += 1
        number = self.transactions
        if self.delay:
            await asyncio.sleep(self.delay)
        if number in self.drop_at:
            server.transport.abort()
            return "421 4.4.2 Connection dropped"
        if self.data_reply:
            return self.data_reply
        answer = self.data_replies(number) if self.data_replies else None
        if answer:
            return answer
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:  # a test may read both lists from its own thread meanwhile
            self.envelopes.append(envelope)
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def accepted(self) -> list[tuple[Any, EmailMessage]]:
        """Each accepted message with its envelope, in order (safe from any thread)."""
        with self.lock:
            return list(zip(self.envelopes, self.messages, strict=True))

    def received(self) -> dict[str, list[str]]:
        """Message-IDs received, by recipient."""
        found: dict[str, list[str]] = {}
        for envelope, message in self.accepted():
            for recipient in envelope.rcpt_tos:
                found.setdefault(recipient, []).append(str(message["Message-ID"]))
        return found


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 that records what it receives."""
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, handler)
    finally:
        controller.stop()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files in `folder`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


SMTP_USER = "digest"
SMTP_PASSWORD = "s3cret-Pa55-word"  # what the test server accepts


@dataclass
class TlsSmtpServer(SmtpServer):
    ca_file: Path  # the server's self-signed certificate, which the test trusts
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (user, accepted)


class _Authenticator:
    def __init__(self, server: TlsSmtpServer | None = None) -> None:
        self.server = server

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        login = auth_data.login.decode()
        accepted = login == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
        if self.server is not None:
            self.server.logins.append((login, accepted))
        return AuthResult(success=accepted, handled=False)


@pytest.fixture(params=["starttls", "tls"])
def tls_smtp_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TlsSmtpServer]:
    """A real SMTP server on 127.0.0.1 with a self-signed certificate, requiring AUTH over
    TLS: STARTTLS on a plain port, or implicit TLS (`request.param`)."""
    ca_file, key_file = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(ca_file, key_file)
    handler = RecordingHandler()
    authenticator = _Authenticator()
    port = free_port()
    common: dict[str, Any] = {
        "hostname": "127.0.0.1",
        "port": port,
        "auth_required": True,
        "auth_require_tls": True,
        "authenticator": authenticator,
    }
    if request.param == "starttls":
        controller = Controller(handler, tls_context=context, require_starttls=True, **common)
    else:
        # aiosmtpd only counts STARTTLS as TLS when deciding whether to offer AUTH, and
        # warns about requiring AUTH without it; the tests check that a login happened.
        common.update(auth_require_tls=False, auth_required=False)
        controller = Controller(handler, ssl_context=context, **common)
    server = TlsSmtpServer("127.0.0.1", port, handler, ca_file=ca_file)
    authenticator.server = server
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


# --- HTTP ---------------------------------------------------------------------------------


@dataclass
class Route:
    """One canned answer. `delay` waits before answering; `then` answers later requests."""

    body: bytes
    content_type: str = "application/xml"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    then: Route | None = None


class HttpServer:
    """A real HTTP server on 127.0.0.1 answering from a table of routes."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append((self.path, dict(self.headers.items())))
                route = outer.routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if route.then is not None:
                    outer.routes[self.path] = route.then
                if route.delay:
                    time.sleep(route.delay)
                etag = route.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle(self) -> None:
                # The client may give up first (a timeout test): nothing left to answer.
                with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                    super().handle()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def http_server() -> Iterator[HttpServer]:
    """A real HTTP server on 127.0.0.1; tests add routes to `.routes`."""
    server = HttpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class DrippingServer:
    """A raw HTTP server on 127.0.0.1 that sends its answer a line at a time, `every`
    seconds apart, and never finishes: headers forever (`body` false), or a complete header
    followed by a body that never ends."""

    def __init__(self, *, every: float = 0.2, body: bool = False) -> None:
        self.every = every
        self.body = body
        self.connections = 0
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            connection.recv(65536)  # the request; its content does not matter
            if self.body:
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
            else:
                connection.sendall(b"HTTP/1.1 200 OK\r\n")
            count = 0
            while not self._stop.wait(self.every):
                count += 1
                line = b"<p>more</p>\n" if self.body else f"X-Drip-{count}: yes\r\n".encode()
                connection.sendall(line)


@pytest.fixture
def dripping_server() -> Iterator[DrippingServer]:
    """A server on 127.0.0.1 that drips header lines forever (see `DrippingServer`)."""
    server = DrippingServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
