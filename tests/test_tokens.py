"""Tests for digest.tokens: signed unsubscribe links."""

from __future__ import annotations

import pytest

from digest.config import WebSettings
from digest.errors import ConfigError
from digest.tokens import read_unsubscribe_token, unsubscribe_link, unsubscribe_token

KEY = "k" * 32


def test_a_token_names_its_address_and_nothing_else() -> None:
    token = unsubscribe_token(KEY, "ann@example.org")
    assert read_unsubscribe_token(KEY, token) == "ann@example.org"
    assert unsubscribe_token(KEY, "bob@example.org") != token


def test_tampered_or_foreign_tokens_are_refused() -> None:
    token = unsubscribe_token(KEY, "ann@example.org")
    assert read_unsubscribe_token("other-key-" * 4, token) is None
    assert read_unsubscribe_token(KEY, token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    assert read_unsubscribe_token(KEY, "not-a-token") is None


def test_link_needs_a_public_url_and_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert unsubscribe_link(WebSettings(), "ann@example.org") == ""
    settings = WebSettings(public_url="https://digest.example.org")
    monkeypatch.delenv("DIGEST_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="DIGEST_SECRET_KEY holding the key is unset"):
        unsubscribe_link(settings, "ann@example.org")
    monkeypatch.setenv("DIGEST_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        unsubscribe_link(settings, "ann@example.org")
    monkeypatch.setenv("DIGEST_SECRET_KEY", KEY)
    link = unsubscribe_link(settings, "ann@example.org")
    assert link.startswith("https://digest.example.org/unsubscribe/")
    assert read_unsubscribe_token(KEY, link.rsplit("/", 1)[1]) == "ann@example.org"
