"""The Starlette application: routes, error shapes, and what every exchange goes through (a
token-free access log, HSTS on HTTPS, one answer and one log line for an unexpected error)."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.exc import OperationalError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from forcegate import housekeeping
from forcegate.bootstrap import ensure_org
from forcegate.config import DEFAULT_MAX_API_VERSION
from forcegate.context import Context
from forcegate.flows.soap import api_fault
from forcegate.keys import ensure_signing_key
from forcegate.org.api_limits import make_counter
from forcegate.protocol.callbacks import SUCCESS_PAGE_PATH
from forcegate.storage.db import is_unavailable
from forcegate.web import (
    admin,
    data,
    device,
    discovery,
    identity,
    logout,
    pages,
    setup,
    soap,
    token,
    token_lifecycle,
)
from forcegate.web.common import api_error, is_trusted, routes_by_path

__all__ = ["DEFAULT_MAX_API_VERSION", "create_app"]

access_log = logging.getLogger("forcegate.access")
log = logging.getLogger("forcegate")

# RFC 6797: a year, subdomains included; sent on HTTPS answers only (§7.2: never over plain HTTP).
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
CLIENT_GONE = 499  # logged when the client left (or its body timed out) before an answer
_REPEATED_SLASHES = re.compile(r"/{2,}")
_REPEATED_RAW_SLASHES = re.compile(rb"/{2,}")


class HttpEdge:
    """What every HTTP exchange goes through, in one layer (each layer costs every request):

    - the access log: method, path, status and time; never the query string, which can carry
      tokens (``/id/...?oauth_token=``) or secrets (token requests with parameters in the URL);
    - ``Strict-Transport-Security`` on HTTPS answers: uvicorn serving TLS itself (``forcegate serve
      --tls-cert``), or a trusted proxy's ``X-Forwarded-Proto: https``;
    - an unhandled exception answered with Salesforce's 500 and logged once, the connection kept
      open. (Starlette's handler for ``Exception`` answers, then re-raises to the server, which
      logs it a second time and drops the keep-alive connection.)
    - repeated slashes in the path read as one, as Salesforce reads them: an instance URL stored with
      a trailing slash (the Salesforce CLI's ``org login access-token``) makes jsforce ask for
      ``//services/data/...``.
    """

    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx

    def _https(self, scope: Scope) -> bool:
        if scope["scheme"] == "https":
            return True
        proto = next((value for name, value in scope["headers"] if name == b"x-forwarded-proto"), None)
        if proto is None or proto.rsplit(b",", 1)[-1].strip().lower() != b"https":
            return False
        client = scope.get("client")
        return client is not None and is_trusted(self.ctx, client[0])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "//" in scope["path"]:
            scope = {**scope, "path": _REPEATED_SLASHES.sub("/", scope["path"])}
            if "raw_path" in scope:
                scope["raw_path"] = _REPEATED_RAW_SLASHES.sub(b"/", scope["raw_path"])
        started = time.perf_counter()
        status = 0
        hsts = self._https(scope)

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if hsts:
                    message = {**message, "headers": [*message.get("headers", ()), HSTS]}
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except ClientDisconnect:
            status = status or CLIENT_GONE  # no one to answer; the server saw it go
        except Exception:
            if status:  # too late for an answer: the server logs it and closes the connection
                raise
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            answer = api_error(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please try again.")
            await answer(scope, receive, send_and_note)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                client = scope.get("client") or ("-", 0)
                access_log.info(
                    '%s "%s %s" %d %.1fms',
                    client[0],
                    scope["method"],
                    scope["path"],
                    status or 500,
                    (time.perf_counter() - started) * 1000,
                )


async def _not_found(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        # Starlette keeps a route's methods in a set: sorted, the answer is the same in every process.
        allowed = ",".join(
            sorted(m.strip() for m in (exc.headers or {}).get("Allow", "").split(",") if m.strip())
        )
        suffix = f". Allowed are {allowed}" if allowed else ""
        return api_error(
            405,
            "METHOD_NOT_ALLOWED",
            f"HTTP Method '{request.method}' not allowed{suffix}",
            headers={"Allow": allowed.replace(",", ", ")} if allowed else None,
        )
    return api_error(exc.status_code, "NOT_FOUND", "The requested resource does not exist")


UNAVAILABLE_MESSAGE = "The server is temporarily unavailable. Please try again."


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    """The database cannot be reached (a PostgreSQL restart, a network cut): 503 for this request, and the
    connection stays open. The pool checks each connection before use (``pool_pre_ping``), so once the
    database is back the next request works without a restart of ours."""
    assert isinstance(exc, OperationalError)
    if not is_unavailable(exc):
        raise exc  # the database refused a statement: our defect, answered and logged once by HttpEdge
    # The driver's first line says what failed; the rest of the message is the SQL and its parameters.
    log.error(
        "database unavailable on %s %s: %s",
        request.method,
        request.url.path,
        str(exc.orig).partition("\n")[0],
    )
    if request.scope.get("endpoint") is soap.soap_endpoint:
        # SOAP clients read a fault, and SOAP 1.1 §6.2 sends every fault with 500.
        return soap.fault_response(api_fault("SERVER_UNAVAILABLE", UNAVAILABLE_MESSAGE))
    return api_error(503, "SERVER_UNAVAILABLE", UNAVAILABLE_MESSAGE, headers={"Retry-After": "1"})


def routes() -> list[Route]:
    table: list[Route] = [
        Route("/services/oauth2/authorize", pages.authorize, methods=["GET"]),
        Route("/services/oauth2/authorize/consent", pages.consent_submit, methods=["POST"]),
        Route("/login", pages.login_submit, methods=["POST"]),
        Route(SUCCESS_PAGE_PATH, pages.oauth_success, methods=["GET"]),
        Route("/services/oauth2/token", token.token_endpoint, methods=["POST"]),
        Route("/services/oauth2/token", token.token_get, methods=["GET"]),
        Route("/services/oauth2/userinfo", identity.userinfo, methods=["GET", "POST"]),
        Route("/id/{org_id}/{user_id}", identity.identity, methods=["GET", "POST"]),
    ]
    # Starlette tries routes in order, a regex each: the busiest paths come first (the data API
    # behind the ~100 admin routes paid ~150 µs per call just to be found).
    table += data.ROUTES
    table += token_lifecycle.ROUTES
    table += discovery.ROUTES
    table += device.ROUTES + soap.ROUTES + logout.ROUTES
    table += setup.ROUTES
    table.append(Route("/static/{name}", pages.static_file, methods=["GET"]))
    table += routes_by_path(admin.ROUTES)
    return table


@asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    # Every server process takes part in the deployment's housekeeping schedule (one runs each turn).
    async with housekeeping.scheduled(app.state.ctx):
        yield


def create_app(ctx: Context, public_url: str, max_api_version: int | None = None) -> Starlette:
    """The ASGI app for ``ctx``'s database, which must be migrated. ``public_url`` is the origin
    clients are told about: issuer, instance_url and identity URLs. ``max_api_version``: the newest
    REST API version served (default: the ``FORCEGATE_MAX_API_VERSION`` setting)."""
    max_api_version = max_api_version or ctx.settings.max_api_version
    with ctx.db.write() as conn:
        org = ensure_org(ctx, conn)
    ensure_signing_key(ctx.db, ctx.box, ctx.now_ms())
    app = Starlette(
        routes=routes(),
        middleware=[Middleware(HttpEdge, ctx=ctx)],
        exception_handlers={HTTPException: _not_found, OperationalError: _database_unavailable},
        lifespan=_lifespan,
    )
    state: Any = app.state
    state.ctx = ctx
    state.public_url = public_url.rstrip("/")
    state.org_id = org.id
    state.org_name = org.name
    state.api_versions = [f"{v}.0" for v in range(31, max_api_version + 1)]
    state.versions_document = identity.versions_document(max_api_version)
    state.discovery_document = discovery.metadata(state.public_url)
    state.api_requests = make_counter(ctx.db, ctx.settings.redis_url)
    return app
