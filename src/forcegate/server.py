"""How forcegate runs under uvicorn, in one place for ``forcegate serve``, tests and benchmarks."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from forcegate.config import Settings

__all__ = ["SlowClientGuard", "uvicorn_config"]

_REQUEST_TIMEOUT = b"".join(
    [
        b"HTTP/1.1 408 Request Timeout\r\n",
        b"content-type: text/plain; charset=utf-8\r\n",
        b"content-length: 15\r\n",
        b"connection: close\r\n",
        b"\r\n",
        b"Request Timeout",
    ]
)


class SlowClientGuard(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with deadlines for slow clients (slowloris), which uvicorn lacks:
    its keep-alive timer stops at a request's first byte, so half a header or half a body would hold
    the connection forever.

    - ``header_timeout``: from the moment the connection can take a request (opened, or the previous
      answer sent) to the end of the request's headers; then the connection is closed.
    - ``body_timeout``: from the end of the headers to the end of the body; then 408 (unless an
      answer has started) and the connection is closed. The route waiting on the body sees the client
      gone (``http.disconnect``).
    """

    header_timeout = 10.0
    body_timeout = 30.0
    _deadline: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float, expired: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_expired(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def _body_expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_started:
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout, self._headers_expired)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(self.body_timeout, self._body_expired)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def on_response_complete(self) -> None:
        # Idle once this answer is out, unless a pipelined request waits or this one's body is
        # still arriving (an early answer, e.g. 401 before the body): its deadline stands.
        idle_next = not self.pipeline and self._deadline is None
        super().on_response_complete()
        if idle_next and not self.transport.is_closing():
            self._arm(self.header_timeout, self._headers_expired)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def uvicorn_config(app: Any, **options: Any) -> uvicorn.Config:
    """uvicorn settings forcegate relies on, from the settings of ``app``'s context.

    ``proxy_headers`` is off: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1; the
    client IP is decided by forcegate's own trusted-proxy list (``FORCEGATE_TRUSTED_PROXIES``).
    The access log is forcegate's, which never prints query strings (they can carry tokens).
    Slow clients are cut off by :class:`SlowClientGuard`; ``limit_concurrency`` answers 503 past
    ``FORCEGATE_MAX_CONNECTIONS`` open connections.
    """
    settings: Settings = app.state.ctx.settings
    guard = type(
        "SlowClientGuard",
        (SlowClientGuard,),
        {"header_timeout": settings.header_timeout_seconds, "body_timeout": settings.body_timeout_seconds},
    )
    return uvicorn.Config(
        app,
        http=guard,
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_seconds,
        proxy_headers=False,
        access_log=False,
        server_header=False,
        **options,
    )
