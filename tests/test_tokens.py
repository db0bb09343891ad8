"""Tests for digest.tokens: signed, expiring links bound to one subscriber and one purpose."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from digest.config import WebSettings
from digest.errors import ConfigError
from digest.tokens import Holder, link, make_token, read_token

KEY = "k" * 32
ANN = Holder(7, "a" * 32)


def test_a_token_names_its_holder() -> None:
    token = make_token(KEY, "preferences", ANN)
    assert read_token(KEY, "preferences", token) == ANN
    assert make_token(KEY, "preferences", Holder(8, "b" * 32)) != token


def test_tampered_foreign_and_misused_tokens_are_refused() -> None:
    token = make_token(KEY, "unsubscribe", ANN)
    assert read_token("another-key-" * 3, "unsubscribe", token) is None
    flipped = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert read_token(KEY, "unsubscribe", flipped) is None
    assert read_token(KEY, "preferences", token) is None  # made for another purpose
    assert read_token(KEY, "unsubscribe", "not-a-token") is None


@pytest.mark.parametrize(
    ("purpose", "age", "valid"),
    [
        ("confirm", timedelta(days=1), True),
        ("confirm", timedelta(days=3), False),
        ("preferences", timedelta(days=89), True),
        ("preferences", timedelta(days=91), False),
        ("unsubscribe", timedelta(days=399), True),
        ("unsubscribe", timedelta(days=401), False),
    ],
)
def test_tokens_expire(purpose: str, age: timedelta, valid: bool) -> None:
    token = make_token(KEY, purpose, ANN, made=datetime.now(UTC) - age)
    assert (read_token(KEY, purpose, token) == ANN) is valid


def test_links_need_a_base_url_and_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert link(WebSettings(), "unsubscribe", ANN) == ""
    settings = WebSettings(public_url="https://digest.example.org")
    monkeypatch.delenv("DIGEST_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"DIGEST_SECRET_KEY .* which is unset"):
        link(settings, "unsubscribe", ANN)
    monkeypatch.setenv("DIGEST_SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        link(settings, "unsubscribe", ANN)
    monkeypatch.setenv("DIGEST_SECRET_KEY", KEY)
    made = link(settings, "unsubscribe", ANN)
    assert made.startswith("https://digest.example.org/unsubscribe/7/")
    assert read_token(KEY, "unsubscribe", made.rsplit("/", 1)[1]) == ANN
    assert link(settings, "confirm", ANN, base="http://127.0.0.1:8080/").startswith(
        "http://127.0.0.1:8080/confirm/7/"
    )


def serializer(purpose: str, digest_method: object) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        KEY, salt=f"digest.{purpose}", signer_kwargs={"digest_method": digest_method}
    )


def test_links_are_signed_with_hmac_sha256() -> None:
    token = make_token(KEY, "preferences", ANN)
    assert serializer("preferences", hashlib.sha256).loads(token) == [7, "a" * 32]
    with pytest.raises(BadSignature):
        serializer("preferences", hashlib.sha1).loads(token)


def test_links_mailed_before_sha256_stay_valid_until_they_expire() -> None:
    """Tokens signed with HMAC-SHA1 (itsdangerous's default) by earlier versions."""
    legacy = serializer("unsubscribe", hashlib.sha1).dumps([7, "a" * 32])
    assert read_token(KEY, "unsubscribe", legacy) == ANN
    assert read_token(KEY, "preferences", legacy) is None  # still bound to its purpose
    old = serializer("unsubscribe", hashlib.sha1)
    old.signer = type("Old", (TimestampSigner,), {"get_timestamp": lambda self: 1_000_000})
    assert read_token(KEY, "unsubscribe", old.dumps([7, "a" * 32])) is None  # expired
