"""Tests for the pages' defences, against the running pages over real HTTP: signed links act
only on POST, links never come from the request's Host, idle connections cannot hold the
pages, and `digest web` will not start without the address its links are built from."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from digest import config as config_module
from digest.config import Config
from digest.models import Subscriber
from digest.store import Store
from digest.tokens import Holder, make_token
from digest.web import WebServer, links_stay_on_this_machine

from .conftest import DEMO_CONFIG, free_port
from .test_web import KEY, Site, csrf_token, sign_up, status
from .test_web import site as site  # the running pages: a fixture here too

METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"]


def snapshot(config: Config, email: str) -> tuple[object, ...]:
    """Everything a signed link could change about a subscriber."""
    with Store(config.database) as store:
        stored = store.subscriber(email)
    assert stored is not None
    s = stored.subscriber
    return (s.status, s.timezone, s.send_at, s.weekly_on, s.sources, s.name, stored.token)


def signed_url(site: Site, purpose: str, email: str) -> str:
    with Store(site.config.database) as store:
        stored = store.subscriber(email)
    assert stored is not None
    token = make_token(KEY, purpose, Holder(stored.id, stored.token))
    return f"{site.url}/{purpose}/{stored.id}/{token}"


@pytest.fixture
def pending_ann(site: Site) -> str:
    with httpx.Client() as client:
        assert sign_up(client, site, email="ann@example.org").status_code == 200
    assert status(site, "ann@example.org") == "pending"
    return "ann@example.org"


@pytest.fixture
def active_bob(site: Site) -> str:
    with Store(site.config.database) as store:
        bob = Subscriber("bob@example.org", "Bob", "Europe/Paris", sources=("Larkfield",))
        store.save_subscriber(bob, origin="web", when=datetime.now(UTC))
    return "bob@example.org"


@pytest.mark.parametrize("purpose", ["confirm", "unsubscribe", "preferences"])
def test_only_a_post_to_a_signed_link_changes_anything(
    site: Site, pending_ann: str, active_bob: str, purpose: str
) -> None:
    """GET and HEAD show the page, every other method but POST is 405; none changes the
    store. Mail scanners send HEAD and OPTIONS to every link in a message."""
    email = pending_ann if purpose == "confirm" else active_bob
    url = signed_url(site, purpose, email)
    before = snapshot(site.config, email)
    for method in METHODS:
        answer = httpx.request(method, url, data={"List-Unsubscribe": "One-Click"})
        expected = 200 if method in {"GET", "HEAD"} else 405
        assert answer.status_code == expected, method
        assert snapshot(site.config, email) == before, method
    if purpose == "preferences":  # a form: without its CSRF token a POST is refused too
        assert httpx.post(url, data={"timezone": "UTC", "at": "09:00"}).status_code == 400
        assert snapshot(site.config, email) == before
        with httpx.Client() as client:
            form = client.get(url).text
            data = {"csrf_token": csrf_token(form), "timezone": "UTC", "at": "09:00"}
            assert client.post(url, data=data).status_code == 200
    else:  # confirming and unsubscribing need no cookie (RFC 8058 one-click)
        assert httpx.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert snapshot(site.config, email) != before


def test_a_forged_host_gets_400_and_mails_nothing(site: Site) -> None:
    with httpx.Client() as client:
        form = client.get(f"{site.url}/subscribe")
        data = {"csrf_token": csrf_token(form.text), "email": "victim@example.org"}
        forged = client.post(f"{site.url}/subscribe", data=data, headers={"Host": "evil.example"})
    assert forged.status_code == 400
    with Store(site.config.database) as store:
        assert store.subscriber("victim@example.org") is None
    time.sleep(0.3)
    assert not [e for e in site.smtp.handler.envelopes if "victim@example.org" in e.rcpt_tos]


def test_mailed_links_use_public_url_whatever_trusted_host_was_asked(
    smtp_server: object, monkeypatch: pytest.MonkeyPatch, site: Site
) -> None:
    """A second trusted name serves the pages, but links still point at public_url."""
    public = "http://digest.example.org"  # http: the test client sends no https cookie
    config = replace(
        site.config, web=replace(site.config.web, public_url=public, trusted_hosts=("127.0.0.1",))
    )
    with running(config) as url, httpx.Client() as client:
        form = client.get(f"{url}/subscribe")
        assert form.status_code == 200
        data = {"csrf_token": csrf_token(form.text), "email": "carol@example.org"}
        assert client.post(f"{url}/subscribe", data=data).status_code == 200
        message = site.mail("carol@example.org")
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    links = re.findall(r"https?://[^\s/]+/confirm/", body.get_content())
    assert links == [f"{public}/confirm/"]


def test_idle_connections_beyond_the_limit_do_not_shut_others_out(site: Site) -> None:
    config = replace(site.config, web=replace(site.config.web, connection_limit=5, idle_timeout=1))
    with running(config) as url:
        port = int(url.rsplit(":", 1)[1])
        idle = []
        for _ in range(8):  # more half-sent requests than the pages take at once
            connection = socket.create_connection(("127.0.0.1", port), timeout=5)
            connection.sendall(b"GET /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            idle.append(connection)
        try:
            started = time.monotonic()
            answer = httpx.get(f"{url}/subscribe", timeout=10)
            waited = time.monotonic() - started
        finally:
            for connection in idle:
                connection.close()
    assert answer.status_code == 200
    assert waited < 4.0  # the idle ones are closed after idle_timeout (1 s) and cleanup


def test_digest_web_will_not_start_without_public_url(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", KEY)
    result = subprocess.run(
        [sys.executable, "-m", "digest", "web", "--config", str(DEMO_CONFIG), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "[web] public_url is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_digest_web_local_listens_on_loopback_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", KEY)
    port = free_port()
    command = [sys.executable, "-m", "digest", "web", "--config", str(DEMO_CONFIG)]
    process = subprocess.Popen(
        [*command, "--local", "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = read_until(process, "subscriber pages on")
        assert f"subscriber pages on http://127.0.0.1:{port}" in lines
        assert "local testing" in lines
        assert httpx.get(f"http://127.0.0.1:{port}/subscribe", timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        assert process.stderr is not None
        process.stderr.close()


def read_until(process: subprocess.Popen[str], text: str, timeout: float = 30.0) -> str:
    """What the process wrote to stderr up to the line holding `text`."""
    assert process.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError("".join(seen))


class running:
    """The pages for `config` served on a free loopback port while the block runs."""

    def __init__(self, config: Config) -> None:
        port = free_port()
        self.server = WebServer(replace(config, web=replace(config.web, port=port)))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return self.server.url

    def __exit__(self, *_: object) -> None:
        self.server.close()
        self.thread.join(timeout=10)


@pytest.mark.parametrize(
    ("method", "path", "data", "code", "heading"),
    [
        ("POST", "/subscribe", {"email": "eve@example.org"}, 400, "That did not work"),
        ("GET", "/no-such-page", None, 404, "Page not found"),
        ("PUT", "/subscribe", None, 405, "Not allowed"),
    ],
)
def test_errors_get_the_sites_own_page(
    site: Site, method: str, path: str, data: dict[str, str] | None, code: int, heading: str
) -> None:
    """A form without its CSRF token, an unknown page, a wrong method: the site's page."""
    answer = httpx.request(method, f"{site.url}{path}", data=data)
    assert answer.status_code == code
    assert f"<h1>{heading}</h1>" in answer.text
    assert "Werkzeug" not in answer.text and "<title>4" not in answer.text


@pytest.mark.parametrize(
    ("public_url", "warned"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://localhost:8080", True),
        ("http://[::1]:8080", True),
        ("https://digest.example.org", False),
    ],
)
def test_links_to_this_machine_are_warned_about(public_url: str, warned: bool) -> None:
    demo = config_module.load(DEMO_CONFIG)
    config = replace(demo, web=replace(demo.web, public_url=public_url))
    assert links_stay_on_this_machine(config) is warned


def test_digest_web_warns_when_mailed_links_point_to_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_SECRET_KEY", KEY)
    port = free_port()
    config = tmp_path / "web.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n\n[web]\nport = {port}\n'
        f'public_url = "http://127.0.0.1:{port}"\n',
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "digest", "web", "--config", str(config)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        lines = read_until(process, "subscriber pages on")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        assert process.stderr is not None
        process.stderr.close()
    assert "links in mails will not open for readers anywhere else" in lines
