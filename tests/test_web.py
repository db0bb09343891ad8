"""Tests for digest.web over real HTTP: the pages served on 127.0.0.1, mail through a real
SMTP server, and the one-click unsubscribe of RFC 8058 as a mail client sends it."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from digest import config as config_module
from digest.config import Config
from digest.models import Subscriber
from digest.pipeline import run_once
from digest.store import Store
from digest.tokens import Holder, make_token
from digest.web import WebServer, create_app

from .conftest import DEMO_CONFIG, SmtpServer, free_port

KEY = "test-signing-key-" + "x" * 16


@dataclass
class Site:
    """The pages, running, with the configuration they serve and the SMTP server behind."""

    url: str
    config: Config
    smtp: SmtpServer

    def store(self) -> Store:
        return Store(self.config.database)

    def mail(self, to: str, *, count: int = 1, timeout: float = 10.0) -> EmailMessage:
        """The `count`th message received for `to`, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [
                message
                for envelope, message in self.smtp.handler.accepted()
                if to in envelope.rcpt_tos
            ]
            if len(found) >= count:
                return found[count - 1]
            time.sleep(0.02)
        raise AssertionError(f"no message {count} for {to}")


@pytest.fixture
def site(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.setenv("DIGEST_SECRET_KEY", KEY)
    port = free_port()
    demo = config_module.load(DEMO_CONFIG)
    config = replace(
        demo,
        delivery=replace(demo.delivery, backend="smtp"),
        smtp=replace(demo.smtp, host="127.0.0.1", port=smtp_server.port, security="none"),
        web=replace(demo.web, public_url=f"http://127.0.0.1:{port}", port=port, signups_per_hour=5),
    )
    server = WebServer(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Site(server.url, config, smtp_server)
    finally:
        server.close()
        thread.join(timeout=10)


def link_in(message: EmailMessage, kind: str) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(rf"http://127\.0\.0\.1:\d+/{kind}/\d+/[\w.-]+", body.get_content())
    assert found, body.get_content()
    return found.group(0)


def deliver_digest(site: Site) -> EmailMessage:
    """Run the demo once: the reader's digest, with its signed links, arrives."""
    with site.store() as store:
        report = run_once(site.config, store, now=datetime.now(UTC))
    assert report.delivered, report
    return site.mail("reader@example.org")


def status(site: Site, email: str) -> str:
    with site.store() as store:
        stored = store.subscriber(email)
    assert stored is not None
    return stored.subscriber.status


def test_one_click_unsubscribe_from_the_list_unsubscribe_header(site: Site) -> None:
    message = deliver_digest(site)
    url = str(message["List-Unsubscribe"]).split(",")[0].strip().strip("<>")
    assert url.startswith(f"{site.url}/unsubscribe/")
    assert message["List-Unsubscribe-Post"] is None  # http here; https in production
    page = httpx.get(url)
    assert page.status_code == 200 and "<button" in page.text
    assert status(site, "reader@example.org") == "active"  # a GET changes nothing
    done = httpx.post(url, data={"List-Unsubscribe": "One-Click"})  # no cookie, no CSRF
    assert (done.status_code, done.text) == (200, "Unsubscribed.\n")
    assert status(site, "reader@example.org") == "unsubscribed"


def test_the_digest_footer_links_to_the_same_unsubscribe_page(site: Site) -> None:
    message = deliver_digest(site)
    header = str(message["List-Unsubscribe"]).split(",")[0].strip().strip("<>")
    assert link_in(message, "unsubscribe") == header


@pytest.mark.parametrize("problem", ["tampered", "expired", "another's", "wrong purpose"])
def test_bad_links_get_a_plain_page_and_change_nothing(site: Site, problem: str) -> None:
    deliver_digest(site)
    with site.store() as store:
        reader = store.subscriber("reader@example.org")
        store.save_subscriber(Subscriber("bob@example.org"), origin="cli", when=datetime.now(UTC))
        bob = store.subscriber("bob@example.org")
    assert reader is not None and bob is not None
    holder = Holder(reader.id, reader.token)
    token = {
        "tampered": make_token(KEY, "unsubscribe", holder)[:-3] + "abc",
        "expired": make_token(
            KEY, "unsubscribe", holder, made=datetime.now(UTC) - timedelta(days=401)
        ),
        "another's": make_token(KEY, "unsubscribe", Holder(bob.id, bob.token)),
        "wrong purpose": make_token(KEY, "preferences", holder),
    }[problem]
    for method in ("GET", "POST"):
        body = {"List-Unsubscribe": "One-Click"} if method == "POST" else None
        page = httpx.request(method, f"{site.url}/unsubscribe/{reader.id}/{token}", data=body)
        assert page.status_code == 400
        assert "This link is not valid" in page.text and "<form" not in page.text
    assert status(site, "reader@example.org") == "active"
    assert status(site, "bob@example.org") == "active"


def test_forms_without_a_csrf_token_are_refused(site: Site) -> None:
    page = httpx.post(f"{site.url}/subscribe", data={"email": "eve@example.org"})
    assert page.status_code == 400
    with site.store() as store:
        assert store.subscriber("eve@example.org") is None


def csrf_token(page: str) -> str:
    """The CSRF token a form page carries."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    return token.group(1)


def sign_up(client: httpx.Client, site: Site, **fields: str) -> httpx.Response:
    form = client.get(f"{site.url}/subscribe")
    data = {
        "csrf_token": csrf_token(form.text),
        "timezone": "UTC",
        "at": "07:00",
        "frequency": "daily",
    }
    return client.post(f"{site.url}/subscribe", data={**data, **fields})


def test_signing_up_twice_reveals_nothing_and_mails_the_owner(site: Site) -> None:
    with httpx.Client() as client:
        first = sign_up(client, site, email="ann@example.org", name="Ann")
        assert first.status_code == 200 and "Check your inbox" in first.text
        assert status(site, "ann@example.org") == "pending"
        confirm = link_in(site.mail("ann@example.org"), "confirm")
        assert httpx.post(confirm).status_code == 200
        assert status(site, "ann@example.org") == "active"
        again = sign_up(client, site, email="ann@example.org")
    assert again.status_code == 200 and again.text == first.text  # the same page
    second = site.mail("ann@example.org", count=2)
    assert str(second["Subject"]).startswith("You are already subscribed")
    assert status(site, "ann@example.org") == "active"


def test_sign_ups_are_limited_per_client(site: Site) -> None:
    with httpx.Client() as client:
        codes = [sign_up(client, site, email=f"u{n}@example.org").status_code for n in range(7)]
    assert codes == [200] * 5 + [429] * 2


def test_mails_are_limited_per_address(site: Site) -> None:
    for _ in range(4):
        with httpx.Client() as client:
            assert sign_up(client, site, email="flood@example.org").status_code == 200
    site.mail("flood@example.org", count=3)
    time.sleep(0.5)
    mails = [e for e in site.smtp.handler.envelopes if "flood@example.org" in e.rcpt_tos]
    assert len(mails) == 3  # [web] mails_per_address_per_day


def test_bad_values_are_shown_on_the_form(site: Site) -> None:
    with httpx.Client() as client:
        page = sign_up(client, site, email="not-an-address", timezone="Mars/Base")
    assert page.status_code == 400
    assert "is not a valid email address" in page.text
    assert "&#39;Mars/Base&#39; is not a known time zone" in page.text


def test_pages_forbid_inline_code_framing_and_referrers(site: Site) -> None:
    page = httpx.get(f"{site.url}/subscribe")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in page.text and " style=" not in page.text
    assert httpx.get(f"{site.url}/static/..%2fsubscribe.html").status_code == 404
    assert httpx.get(f"{site.url}/static/style.css").status_code == 200


def test_page_templates_are_overridden_from_the_templates_folder(
    site: Site, tmp_path: Path
) -> None:
    folder = tmp_path / "mine" / "web"
    folder.mkdir(parents=True)
    (folder / "check_inbox.html").write_text(
        '{% extends "web/base.html" %}{% block content %}Look in your mail, {{ title }}.'
        "{% endblock %}",
        encoding="utf-8",
    )
    config = replace(site.config, digest=replace(site.config.digest, templates=tmp_path / "mine"))
    client = create_app(config).test_client()
    form = client.get("/subscribe", base_url=site.url).get_data(as_text=True)
    page = client.post(
        "/subscribe",
        data={"csrf_token": csrf_token(form), "email": "z@example.org"},
        base_url=site.url,
    )
    assert "Look in your mail, Demo digest." in page.get_data(as_text=True)


def test_a_subscriber_from_the_file_cannot_change_preferences_on_the_web(site: Site) -> None:
    deliver_digest(site)
    with site.store() as store:
        reader = store.subscriber("reader@example.org")
    assert reader is not None
    url = f"{site.url}/preferences/{reader.id}/"
    url += make_token(KEY, "preferences", Holder(reader.id, reader.token))
    page = httpx.get(url)
    assert (
        page.status_code == 200 and "set by the operator" in page.text and "<form" not in page.text
    )


def test_behind_a_proxy_clients_are_told_apart_by_x_forwarded_for(site: Site) -> None:
    web = replace(site.config.web, proxies=1, signups_per_hour=1)
    client = create_app(replace(site.config, web=web)).test_client()

    def sign_up_from(address: str, email: str) -> int:
        headers = {"X-Forwarded-For": address}
        form = client.get("/subscribe", headers=headers, base_url=site.url)
        data = {"csrf_token": csrf_token(form.get_data(as_text=True)), "email": email}
        return client.post("/subscribe", data=data, headers=headers, base_url=site.url).status_code

    assert sign_up_from("203.0.113.1", "a@example.org") == 200
    assert sign_up_from("203.0.113.1", "b@example.org") == 429
    assert sign_up_from("203.0.113.2", "c@example.org") == 200
