"""The loopback listener of the Web Server flow: one redirect caught on ``http://localhost:<port>``.

RFC 8252 §7.3: a native app receives the code on a loopback port. It listens on 127.0.0.1 only and
answers a short page; the request line (which carries the code) is never logged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlsplit

from forcegate.client.errors import LoginError

__all__ = ["wait_for_redirect"]

_DONE_PAGE = (
    b"<!doctype html><meta charset=utf-8><title>Logged in</title>"
    b"<p>You are logged in. You can close this window and return to the terminal.</p>"
)


def wait_for_redirect(
    port: int, callback_path: str, open_browser: Callable[[], object], timeout: float
) -> dict[str, str]:
    """Listen, call ``open_browser``, and return the query parameters of the first request to
    ``callback_path``. Other paths (a browser's favicon request) get 404 and are ignored."""
    received: dict[str, str] = {}
    arrived = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != callback_path or arrived.is_set():
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            received.update(parse_qsl(parts.query, keep_blank_values=True))
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(_DONE_PAGE)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(_DONE_PAGE)
            arrived.set()

        def log_message(self, format: str, *args: object) -> None:
            """Silent: the request line carries the authorization code."""

    try:
        server = HTTPServer(("127.0.0.1", port), Handler)
    except OSError as exc:
        raise LoginError(f"cannot listen on localhost:{port} for the redirect ({exc.strerror})") from exc
    server.timeout = 0.2
    thread = threading.Thread(target=_serve_until, args=(server, arrived), daemon=True)
    thread.start()
    try:
        open_browser()
        if not arrived.wait(timeout):
            raise LoginError(f"no redirect reached localhost:{port} within {timeout:.0f} s")
        return dict(received)
    finally:
        arrived.set()
        thread.join(timeout=5)
        server.server_close()


def _serve_until(server: HTTPServer, stop: threading.Event) -> None:
    while not stop.is_set():
        server.handle_request()
