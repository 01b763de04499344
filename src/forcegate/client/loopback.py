"""The loopback listener of the Web Server flow: one redirect caught on ``http://localhost:<port>``.

RFC 8252 §7.3: a native app receives the code on a loopback port. It listens on 127.0.0.1 only and
answers a short page that says what arrived (an authorization code, or the server's error); the
request line (which carries the code) is never logged.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlsplit

from forcegate.client.errors import LoginError

__all__ = ["landing_page", "wait_for_redirect"]

# The look of forcegate's own pages (templates/base.html), inline: the page loads nothing.
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | forcegate</title>
<style>
  body {{ font-family: system-ui, sans-serif; background: #f3f3f3; color: #181818; margin: 0; }}
  main {{ max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: .5rem;
         box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
  h1 {{ font-size: 1.3rem; margin-top: 0; }}
  .error {{ background: #fde8e8; border: 1px solid #ea001e; padding: .75rem; border-radius: .25rem; }}
</style></head>
<body><main>
<h1>{title}</h1>
{body}
</main></body></html>
"""


def landing_page(params: dict[str, str]) -> bytes:
    """What the browser shows once redirected back: the truth about what arrived. The code is yet
    to be exchanged, so it says the terminal finishes the login, not that it succeeded."""
    if "error" in params:
        error, description = html.escape(params["error"]), html.escape(params.get("error_description", ""))
        title = "Login failed"
        body = (
            f'<p class="error" role="alert"><strong>error={error}</strong><br>{description}</p>\n'
            "<p>Close this window and return to the terminal.</p>"
        )
    elif not params.get("code"):
        title = "Login failed"
        body = (
            '<p class="error" role="alert">The redirect carried no authorization code.</p>\n'
            "<p>Close this window and return to the terminal.</p>"
        )
    else:
        title = "Authorization received"
        body = "<p>Close this window and return to the terminal, which finishes the login.</p>"
    return _PAGE.format(title=title, body=body).encode("utf-8")


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
            page = landing_page(received)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
            self.end_headers()
            self.wfile.write(page)
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
