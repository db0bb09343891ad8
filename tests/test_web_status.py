"""Tests for the status page (`digest.web.status`): what `digest status` shows, over real HTTP
from this machine, and a plain 404 for anyone else without the admin key."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from click.testing import CliRunner
from werkzeug.test import TestResponse

from digest import config as config_module
from digest.cli import cli
from digest.config import Config
from digest.errors import ConfigError
from digest.pipeline import run_once
from digest.store import Store
from digest.web import WebServer, create_app

from .conftest import DEMO_CONFIG, free_port
from .test_web import KEY

ADMIN = "admin-key-" + "y" * 24
ELSEWHERE = "203.0.113.9"  # a client on another machine (TEST-NET-3)


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> Config:
    """The demo after one run, with a source whose error has markup in it, failing twice."""
    monkeypatch.setenv("DIGEST_SECRET_KEY", KEY)
    monkeypatch.setenv("DIGEST_ADMIN_KEY", ADMIN)
    port = free_port()
    demo = config_module.load(DEMO_CONFIG)
    demo = replace(demo, web=replace(demo.web, public_url=f"http://127.0.0.1:{port}", port=port))
    now = datetime.now(UTC)
    with Store(demo.database) as store:
        run_once(demo, store, now=now - timedelta(hours=2))
        for hours in (1, 0):
            store.record_fetch(
                "Notes", when=now - timedelta(hours=hours), status="error", error="<b>gone</b>"
            )
    return demo


@pytest.fixture
def served(config: Config) -> Iterator[str]:
    """The pages on a real waitress server on 127.0.0.1."""
    server = WebServer(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.close()
        thread.join(timeout=10)


def command_status(config: Config) -> dict[str, object]:
    """What `digest status --json` prints for the same store."""
    path = config.path
    assert path is not None
    result = CliRunner().invoke(cli, ["status", "--json", "-c", str(path)])
    assert result.exit_code == 0, result.output
    payload: dict[str, object] = json.loads(result.output)
    return payload


def test_the_page_shows_what_digest_status_shows(served: str, config: Config) -> None:
    page = httpx.get(f"{served}/status")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "<h1>Status</h1>" in page.text and "style.css" in page.text  # the site's frame
    assert "8 new articles in the last 24 hours; 1 source of 3 failing." in page.text
    assert "<strong>Notes</strong>: error, failing since" in page.text
    assert ", 2 attempts (last tried" in page.text
    assert "&lt;b&gt;gone&lt;/b&gt;" in page.text and "<b>gone</b>" not in page.text
    assert "0 queued, 0 sending, 0 deferred, 0 failed, 1 sent." in page.text
    assert "reader@example.org" in page.text and "sent (due" in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_the_json_is_digest_status_json(served: str, config: Config) -> None:
    answer = httpx.get(f"{served}/status.json")
    assert answer.status_code == 200
    page, command = answer.json(), command_status(config)
    assert page.pop("now") != command.pop("now")  # read at different moments
    assert page == command


class Client:
    """Flask's test client for the pages, asking from `address` (the WSGI REMOTE_ADDR)."""

    def __init__(self, config: Config) -> None:
        self.client: Client = create_app(config).test_client()
        self.base_url = config.web.public_url

    def get(
        self, path: str, *, address: str, headers: dict[str, str] | None = None
    ) -> TestResponse:
        return self.client.get(
            path,
            base_url=self.base_url,
            headers=headers or {},
            environ_base={"REMOTE_ADDR": address},
        )


@pytest.fixture
def client(config: Config) -> Client:
    return Client(config)


@pytest.mark.parametrize("path", ["/status", "/status.json"])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-key-" + "z" * 24},
        {"Authorization": f"Basic {ADMIN}"},
        {"Authorization": f"Bearer {ADMIN[:-1]}"},
    ],
)
def test_elsewhere_without_the_key_it_is_not_found(
    client: Client, path: str, headers: dict[str, str]
) -> None:
    answer = client.get(path, headers=headers, address=ELSEWHERE)
    assert answer.status_code == 404
    assert "<h1>Page not found</h1>" in answer.text  # the same page as for no page at all
    assert "Notes" not in answer.text


@pytest.mark.parametrize("path", ["/status", "/status.json"])
def test_elsewhere_with_the_key_it_answers(client: Client, path: str) -> None:
    answer = client.get(path, headers={"Authorization": f"Bearer {ADMIN}"}, address=ELSEWHERE)
    assert answer.status_code == 200
    assert "Notes" in answer.text


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_from_this_machine_it_answers_without_the_key(client: Client, address: str) -> None:
    answer = client.get("/status", address=address)
    assert answer.status_code == 200


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded"])
def test_a_request_passed_on_by_a_local_proxy_is_not_local(client: Client, header: str) -> None:
    """With [web] proxies = 0 the pages face clients directly: a forwarded request came from
    a proxy here on behalf of someone anywhere."""
    answer = client.get("/status", headers={header: ELSEWHERE}, address="127.0.0.1")
    assert answer.status_code == 404


def test_behind_a_trusted_proxy_the_client_is_who_it_says(config: Config) -> None:
    client = Client(replace(config, web=replace(config.web, proxies=1)))
    outside = client.get("/status", headers={"X-Forwarded-For": ELSEWHERE}, address="127.0.0.1")
    inside = client.get("/status", headers={"X-Forwarded-For": "127.0.0.1"}, address="127.0.0.1")
    assert (outside.status_code, inside.status_code) == (404, 200)


def test_without_a_key_only_this_machine_gets_the_page(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIGEST_ADMIN_KEY")
    answer = Client(config).get("/status", headers={"Authorization": "Bearer "}, address=ELSEWHERE)
    assert answer.status_code == 404


def test_a_short_admin_key_is_refused_at_start(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_ADMIN_KEY", "short")
    with pytest.raises(ConfigError, match=r"DIGEST_ADMIN_KEY \(\[web\] admin_key_env\) is too"):
        create_app(config)
