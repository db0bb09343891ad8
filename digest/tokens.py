"""Signed links for subscribers: confirm a sign-up, change preferences, unsubscribe.

A token carries a subscriber's id and their random per-subscriber nonce (kept in the
store), signed with HMAC-SHA256 (itsdangerous, with ``digest_method`` set explicitly: its
default is SHA-1) under a key that only the operator holds, in the environment variable
``[web] secret_env`` names, with the time it was made. Links signed with HMAC-SHA1 by earlier
versions are still read, so that links already mailed keep working until they expire (at
most `LIFETIMES` after they were made); no new link is signed that way. Each
purpose has its own salt, so a token made for one cannot serve another, and its own
lifetime: a sign-up is confirmed within two days, a preferences link lasts 90 days, and an
unsubscribe link, which may sit in a mailbox for months, 400 days. A link names the
subscriber's id in its path too; a token for anyone else is refused. Pure apart from
reading that one variable and the clock.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from digest.config import WebSettings
from digest.errors import ConfigError

MIN_KEY_LENGTH = 16
LIFETIMES = {  # seconds
    "confirm": 2 * 86400,
    "preferences": 90 * 86400,
    "unsubscribe": 400 * 86400,
}


@dataclass(frozen=True, slots=True)
class Holder:
    """Whom a token was made for."""

    subscriber_id: int
    nonce: str


def secret_key(settings: WebSettings) -> str:
    """The signing key from the environment. Raises `ConfigError` when it is unset or short."""
    key = os.environ.get(settings.secret_env, "")
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"Links to the subscriber pages are signed with the key in the environment "
            f"variable {settings.secret_env} ([web] secret_env), which is "
            f"{'unset' if not key else 'too short'}; set it to at least {MIN_KEY_LENGTH} "
            "random characters (for example the output of `openssl rand -hex 32`)."
        )
    return key


def make_token(key: str, purpose: str, holder: Holder, *, made: datetime | None = None) -> str:
    """A URL-safe token for `purpose`, made now (or at `made`, for tests of expiry)."""
    serializer = _serializer(key, purpose)
    if made is not None:
        serializer.signer = _signer_made_at(made)
    return str(serializer.dumps([holder.subscriber_id, holder.nonce]))


def read_token(key: str, purpose: str, token: str) -> Holder | None:
    """Whom a token for `purpose` was made for; None when it is forged, altered, made for
    another purpose, or expired."""
    try:
        payload = _serializer(key, purpose).loads(token, max_age=LIFETIMES[purpose])
    except (SignatureExpired, BadSignature):
        return None
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not isinstance(payload[0], int)
        or not isinstance(payload[1], str)
    ):
        return None
    return Holder(payload[0], payload[1])


def link(settings: WebSettings, purpose: str, holder: Holder, *, base: str = "") -> str:
    """The URL of the page for `purpose`, on `base` (default: ``[web] public_url``); empty
    when there is no base URL."""
    root = (base or settings.public_url).rstrip("/")
    if not root:
        return ""
    token = make_token(secret_key(settings), purpose, holder)
    return f"{root}/{purpose}/{holder.subscriber_id}/{token}"


def _serializer(key: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        key,
        salt=f"digest.{purpose}",
        signer_kwargs={"digest_method": hashlib.sha256},
        # Read-only: links mailed before signing moved to SHA-256 (none outlives 400 days).
        fallback_signers=[{"digest_method": hashlib.sha1}],
    )


def _signer_made_at(made: datetime) -> type[TimestampSigner]:
    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(made.timestamp())

    return Signer
