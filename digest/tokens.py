"""Signed links for subscribers: today, the link that unsubscribes one address.

A token is the subscriber's address signed with HMAC-SHA256 (itsdangerous) under a key that
only the operator holds, in the environment variable ``[web] secret_env`` names; it cannot
be guessed or altered without the key. Unsubscribe tokens do not expire: a digest may sit in
a mailbox for months and its link must still work (RFC 8058). Pure apart from reading that
one variable.
"""

from __future__ import annotations

import os

from itsdangerous import BadSignature, URLSafeSerializer

from digest.config import WebSettings
from digest.errors import ConfigError

_UNSUBSCRIBE = "digest.unsubscribe"
MIN_KEY_LENGTH = 16


def secret_key(settings: WebSettings) -> str:
    """The signing key from the environment. Raises `ConfigError` when it is unset or short."""
    key = os.environ.get(settings.secret_env, "")
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"[web] public_url is set, so links in emails are signed, but the environment "
            f"variable {settings.secret_env} holding the key is "
            f"{'unset' if not key else 'too short'}; set it to at least {MIN_KEY_LENGTH} "
            "random characters (for example the output of `openssl rand -hex 32`)."
        )
    return key


def unsubscribe_token(key: str, email: str) -> str:
    """A URL-safe token that names `email` and proves the link came from us."""
    return str(URLSafeSerializer(key, salt=_UNSUBSCRIBE).dumps(email))


def read_unsubscribe_token(key: str, token: str) -> str | None:
    """The address a token names, or None when the token is not one we signed."""
    try:
        email = URLSafeSerializer(key, salt=_UNSUBSCRIBE).loads(token)
    except BadSignature:
        return None
    return email if isinstance(email, str) else None


def unsubscribe_link(settings: WebSettings, email: str) -> str:
    """The one-click unsubscribe URL for `email`; empty when no public URL is configured."""
    if not settings.public_url:
        return ""
    token = unsubscribe_token(secret_key(settings), email)
    return f"{settings.public_url}/unsubscribe/{token}"
