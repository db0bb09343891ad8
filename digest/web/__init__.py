"""The subscriber pages: sign up (with double opt-in), confirm, preferences, unsubscribe;
and the status page for whoever runs the service (`digest.web.status`).

A Flask application, served by waitress (`WebServer`), bound to ``[web] host`` (127.0.0.1
by default). Its templates are ``templates/web/*.html`` and ``templates/web/static/*``,
overridden file by file by the configured templates folder like the digest's, and its
mails (``confirm_mail.*``, ``already_mail.*``) too.

Security:

- every link to a subscriber's page carries a signed, expiring token bound to that
  subscriber and that purpose (`digest.tokens`); anything else gets a plain page saying
  the link is not valid, and changes nothing;
- forms carry a CSRF token (Flask-WTF), except the two a signed link alone authorises:
  confirming and unsubscribing, which must work without cookies (RFC 8058);
- a strict Content-Security-Policy (nothing inline, nothing from elsewhere), no referrer
  (links carry tokens), no caching of pages that show a token, and no framing;
- sign-ups are limited per client and confirmation mails per address, and the page after
  a sign-up is the same whatever the address's state;
- a page reached by a signed link changes something only on POST: GET and HEAD show it, any
  other method gets 405 (mail scanners fetch every link, some with HEAD);
- links in mails and pages are built from ``[web] public_url`` only, never from the request;
  a request whose Host is not public_url's (or one of ``[web] trusted_hosts``) gets 400;
- at most ``[web] connection_limit`` connections are served at once and one idle for
  ``idle_timeout`` seconds is closed, so idle clients cannot hold the pages.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import jinja2
from flask import Flask, Response, render_template
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFProtect  # type: ignore[import-untyped]
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from digest.config import Config
from digest.errors import ConfigError
from digest.render.templates import packaged_templates
from digest.store import Store
from digest.tokens import secret_key
from digest.web.limits import RateLimit
from digest.web.status import admin_key, operator
from digest.web.views import pages
from digest.words import plural

__all__ = ["WebServer", "create_app"]

Clock = Callable[[], datetime]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def create_app(config: Config, *, clock: Clock | None = None, local_url: str = "") -> Flask:
    """The application for `config`, its links on ``[web] public_url``, or on `local_url`
    when that is given (local testing only). Raises `ConfigError` when the signing key or
    the public address is missing."""
    key = secret_key(config.web)
    base_url = local_url or config.web.public_url
    if not base_url:
        raise ConfigError(
            f"{config.path or 'The configuration'}: [web] public_url is not set; the pages "
            "mail links to themselves and build them from that address only. Set it to the "
            'pages\' public address (e.g. "https://digest.example.org"), or run '
            "`digest web --local` to try the pages on this machine."
        )
    with Store(config.store_address):
        pass  # create or migrate it now, before requests open it at once
    app = Flask(__name__, static_folder=None, template_folder=None)
    folders = [
        *([config.digest.templates] if config.digest.templates else []),
        packaged_templates(),
    ]
    app.jinja_loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(f)) for f in folders])
    app.jinja_env.filters["plural"] = plural
    app.config.update(
        # Flask's own key (sessions, CSRF) is derived from the link key, never equal to it.
        SECRET_KEY=hmac.new(key.encode(), b"digest.web.session", hashlib.sha256).hexdigest(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.web.public_url.startswith("https://"),
        WTF_CSRF_TIME_LIMIT=None,  # the session lasts as long as the browser's
        MAX_CONTENT_LENGTH=64 * 1024,
        TRUSTED_HOSTS=[urlsplit(base_url).hostname, *config.web.trusted_hosts],
    )
    app.extensions["digest"] = {
        "config": config,
        "key": key,
        "admin_key": admin_key(config.web),
        "clock": clock or (lambda: datetime.now(UTC)),
        "base_url": base_url.rstrip("/"),
        "signups": RateLimit(config.web.signups_per_hour, period=3600.0),
        "static": [folder / "web" / "static" for folder in folders],
    }
    csrf = CSRFProtect(app)
    app.register_blueprint(pages)
    app.register_blueprint(operator)
    app.register_error_handler(HTTPException, _error_page)
    for view in ("pages.confirm", "pages.unsubscribe"):
        csrf.exempt(app.view_functions[view])
    app.after_request(_security_headers)
    if config.web.proxies > 0:  # the client is who the trusted proxies say it is
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=config.web.proxies,
            x_proto=config.web.proxies,
            x_host=config.web.proxies,
        )
    return app


# What a reader is told on the site's own page for each error a request can meet.
_ERRORS: dict[int, tuple[str, str]] = {
    400: (
        "That did not work",
        "The form had expired or came from another page (your browser may block the cookie "
        "it needs). Nothing was changed. Reload the page and try again.",
    ),
    404: ("Page not found", "There is no page at this address."),
    405: ("Not allowed", "This page cannot be used that way. Nothing was changed."),
    413: ("Too much", "That was more than a form here ever sends. Nothing was changed."),
    429: ("Too many requests", "Too many requests came from here. Please try again later."),
}


def _error_page(error: HTTPException) -> ResponseReturnValue:
    """The site's own page for an HTTP error (CSRF failures are 400s), never Werkzeug's."""
    code = error.code or 500
    if code >= 500:
        return error
    if isinstance(error, SecurityError):  # a Host not served here: no page links to build
        return "Bad request: this host is not served here.\n", 400, {"Content-Type": "text/plain"}
    heading, explanation = _ERRORS.get(code, ("That did not work", "Nothing was changed."))
    page = render_template("web/error.html", heading=heading, explanation=explanation)
    return page, code


def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


LOCAL_HOST = "127.0.0.1"


def links_stay_on_this_machine(config: Config) -> bool:
    """Whether ``[web] public_url`` names this machine (localhost, a loopback address), so
    that links mailed to readers elsewhere would not open."""
    host = (urlsplit(config.web.public_url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebServer:
    """The pages served by waitress on ``[web] host`` and ``port`` (or those given).

    With `local`, for trying the pages on this machine, they listen on the loopback address
    only and their links point there; otherwise ``[web] public_url`` must be set.
    """

    def __init__(
        self,
        config: Config,
        *,
        host: str | None = None,
        port: int | None = None,
        local: bool = False,
    ):
        import socket

        import waitress.server  # type: ignore[import-untyped]

        host = LOCAL_HOST if local else (host or config.web.host)
        port = config.web.port if port is None else port
        if local and port == 0:  # the links must name the port: take a free one now
            with socket.create_server((host, 0)) as probe:
                port = probe.getsockname()[1]
        local_url = f"http://{host}:{port}" if local else ""
        idle = config.web.idle_timeout
        self._server = waitress.server.create_server(
            create_app(config, local_url=local_url),
            host=host,
            port=port,
            ident="digest",
            connection_limit=config.web.connection_limit,
            channel_timeout=idle,
            cleanup_interval=max(1, min(idle // 4, 30)),  # how often idle ones are looked for
        )
        self.port = int(self._server.effective_port)
        self.url = f"http://{host}:{self.port}"

    def run(self) -> None:
        """Serve until `close` is called (from another thread or a signal handler)."""
        # closing the server ends its loop with one of these
        with contextlib.suppress(OSError, ValueError):
            self._server.run()
        # Connections still open when the loop ended are closed here, not left to the
        # garbage collector.
        for channel in list(self._server.active_channels.values()):
            channel.close()

    def close(self) -> None:
        """Stop serving: requests in hand finish first (within 5 seconds), then the listening
        socket closes and `run` returns."""
        self._server.task_dispatcher.shutdown()
        self._server.close()
