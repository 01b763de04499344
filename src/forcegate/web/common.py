"""Helpers every route uses: the caller (client IP behind trusted proxies), JSON answers in
Salesforce's shapes, and reading a form body of any encoding real clients send."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from forcegate.context import Context
from forcegate.flows.common import Caller
from forcegate.protocol.errors import InvalidRequest, OAuthError

__all__ = [
    "MAX_FORM_BYTES",
    "api_error",
    "caller_of",
    "json_response",
    "oauth_error_response",
    "read_form_pairs",
    "run_blocking",
]

T = TypeVar("T")

MAX_FORM_BYTES = 64 * 1024
JSON_TYPE = "application/json;charset=UTF-8"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")), status_code=status, media_type=JSON_TYPE, headers=headers
    )


HINT_HEADER = "Forcegate-Hint"  # the client SDK reads it by this name (forcegate.client.errors)


def oauth_error_response(error: OAuthError) -> Response:
    headers = {**NO_STORE, HINT_HEADER: error.hint} if error.hint else NO_STORE
    return json_response(error.as_json(), status=error.status, headers=headers)


def api_error(status: int, error_code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """Salesforce's data-API error shape: a JSON array of {message, errorCode}."""
    return json_response([{"message": message, "errorCode": error_code}], status=status, headers=headers)


async def run_blocking(request: Request, work: Callable[..., T], *args: Any, cpu_heavy: bool = False) -> T:
    """Run a synchronous flow (database work) for a route.

    On SQLite the work runs on the event loop: a grant or a bearer check is about a millisecond of
    CPU with no network wait, and handing it to a worker thread cost more than the work itself
    (~0.5-0.8 ms per request, measured in ``bench/token_endpoint.py --profile``). PostgreSQL calls
    wait on the network, and password hashing (``cpu_heavy``) takes tens of milliseconds outside the
    GIL: those go to the thread pool so other requests proceed meanwhile.
    """
    ctx: Context = request.app.state.ctx
    if ctx.db.is_sqlite and not cpu_heavy:
        return work(*args)
    return await run_in_threadpool(work, *args)


def _is_trusted(ctx: Context, address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in ctx.settings.trusted_proxies)


def client_ip(ctx: Context, request: Request) -> str:
    """The peer's address; behind trusted proxies, the nearest untrusted hop of X-Forwarded-For."""
    peer = request.client.host if request.client else "0.0.0.0"  # noqa: S104 - a label, not a bind
    if not _is_trusted(ctx, peer):
        return peer
    forwarded = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(forwarded):
        if not _is_trusted(ctx, hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return forwarded[0] if forwarded else peer


def caller_of(request: Request) -> Caller:
    ctx: Context = request.app.state.ctx
    return Caller(
        origin=request.app.state.public_url,
        ip=client_ip(ctx, request),
        user_agent=request.headers.get("user-agent", "")[:512],
    )


async def read_form_pairs(request: Request) -> list[tuple[str, str]]:
    """Query-string parameters, then the body's: urlencoded (any charset), multipart, or chunked.

    Salesforce accepts parameters in the query string of a POST, so both are merged.
    """
    pairs = list(request.query_params.multi_items())
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            async with request.form(max_files=0, max_fields=100, max_part_size=MAX_FORM_BYTES) as form:
                pairs += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        except Exception as exc:  # python-multipart raises several types for malformed input
            raise InvalidRequest.with_description("malformed multipart body") from exc
        return pairs
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise InvalidRequest.with_description("request body too large")
    if body:
        if content_type not in ("", "application/x-www-form-urlencoded", "text/plain"):
            raise InvalidRequest.with_description("unsupported content type")
        try:
            pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidRequest.with_description("malformed request body") from exc
    return pairs
