"""A small web server that shows the digest preview, rendered anew on every request.

It binds to 127.0.0.1 by default and serves two pages: ``/`` (the HTML part) and ``/text``
(the plain-text part). A template error is shown as a page with the error, so a user can
edit a template and reload the browser until it is right.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Page = Callable[[], tuple[str, str]]
"""Renders the preview: returns (HTML part, text part); raises for a template error."""


def make_server(page: Page, *, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A server (not yet serving) that answers with `page` rendered for each request."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path not in ("/", "/text"):
                self._answer(404, "text/plain", "Not found: try / or /text.")
                return
            try:
                html_part, text_part = page()
            except Exception as exc:  # shown to the person editing the template
                body = f"<h1>Template error</h1><pre>{html.escape(str(exc))}</pre>"
                self._answer(500, "text/html", body)
                return
            if self.path == "/text":
                self._answer(200, "text/plain", text_part)
            else:
                self._answer(200, "text/html", html_part)

        def _answer(self, status: int, kind: str, body: str) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the terminal stays for the server's own line

    return ThreadingHTTPServer((host, port), Handler)
