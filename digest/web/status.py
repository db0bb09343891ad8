"""The status page: what `digest status` prints, for whoever runs the service.

``/status`` (HTML, ``web/status.html``) and ``/status.json`` are built from the same
`digest.schedule.status.Status` record as the command, and only read the store. They answer
a client on this machine (a loopback address), or one that sends the key held in the
environment variable ``[web] admin_key_env`` names as ``Authorization: Bearer <key>``;
anyone else gets the site's plain 404, as for a page that does not exist.

A request that came through a reverse proxy on this machine arrives from a loopback address
too: with ``[web] proxies = 0`` a request carrying ``X-Forwarded-For`` or ``Forwarded`` is not
taken for a local one, and with proxies set the client is the address they report.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from digest.config import Config, WebSettings
from digest.errors import ConfigError
from digest.schedule.status import Status, status, status_json
from digest.store import Store
from digest.tokens import MIN_KEY_LENGTH

__all__ = ["admin_key", "operator"]

operator = Blueprint("operator", __name__)


def admin_key(settings: WebSettings) -> str:
    """The key that opens the status page from elsewhere, from the environment; "" when the
    variable is unset or empty (the page then answers this machine only). Raises
    `ConfigError` when it is set but too short to resist guessing."""
    key = os.environ.get(settings.admin_key_env, "")
    if key and len(key) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"The key in the environment variable {settings.admin_key_env} ([web] "
            f"admin_key_env) is too short; set it to at least {MIN_KEY_LENGTH} random "
            "characters (for example the output of `openssl rand -hex 32`), or unset it to "
            "open the status page from this machine only."
        )
    return key


@operator.get("/status")
def page() -> ResponseReturnValue:
    return render_template("web/status.html", status=_read(), utc=_utc)


@operator.get("/status.json")
def as_json() -> ResponseReturnValue:
    return jsonify(status_json(_read()))


def _read() -> Status:
    """The service's state now, for a client allowed to see it; 404 for any other."""
    if not (_holds_the_key() or _on_this_machine()):
        abort(404)
    state: dict[str, Any] = current_app.extensions["digest"]
    config: Config = state["config"]
    with Store(config.database) as store:
        return status(config, store, now=state["clock"]())


def _holds_the_key() -> bool:
    key: str = current_app.extensions["digest"]["admin_key"]
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(
        key
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), key.encode())
    )


def _on_this_machine() -> bool:
    config: Config = current_app.extensions["digest"]["config"]
    if config.web.proxies == 0 and (
        "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    ):
        return False  # passed on by a proxy on this machine, for a client anywhere
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""
