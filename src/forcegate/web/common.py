"""Helpers every route uses: the caller (client IP behind trusted proxies), JSON answers in
Salesforce's shapes, and reading request bodies (forms of any encoding real clients send, JSON),
each capped in size and refused at parse time when they hold what no stored name can."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forcegate.api_errors import NOT_FOR_API_MESSAGE, SESSION_EXPIRED_MESSAGE, ApiError
from forcegate.context import Context
from forcegate.flows.bearer import InvalidSession
from forcegate.flows.common import Caller
from forcegate.protocol.errors import (
    InvalidCharacter,
    MalformedBody,
    MalformedMultipart,
    OAuthError,
    RequestBodyTooLarge,
    UnsupportedContentType,
)
from forcegate.protocol.requests import unstorable

__all__ = [
    "MAX_FORM_BYTES",
    "BodyTooLarge",
    "MalformedJson",
    "api_error",
    "api_error_response",
    "caller_of",
    "is_trusted",
    "json_response",
    "oauth_error_response",
    "parse_json",
    "query_pairs",
    "read_capped",
    "read_form_pairs",
    "run_blocking",
    "session_refusal",
]

T = TypeVar("T")

MAX_FORM_BYTES = 64 * 1024
JSON_TYPE = "application/json;charset=UTF-8"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# A refusal sent before the body was read closes the connection: otherwise the server would go on
# receiving (and discarding) the rest of an oversized body to keep the connection alive.
CLOSE = {"Connection": "close"}


# JSON answers carry tokens, identities and records: no cache may keep them, no browser may sniff
# them into something else. Answers that may be cached (discovery, JWKS) override Cache-Control.
_JSON_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        media_type=JSON_TYPE,
        headers={**_JSON_HEADERS, **headers} if headers else _JSON_HEADERS,
    )


HINT_HEADER = "Forcegate-Hint"  # the client SDK reads it by this name (forcegate.client.errors)


def oauth_error_response(error: OAuthError) -> Response:
    headers = {**NO_STORE, HINT_HEADER: error.hint} if error.hint else NO_STORE
    return json_response(error.as_json(), status=error.status, headers=headers)


def api_error_response(error: ApiError, headers: dict[str, str] | None = None) -> Response:
    """The one renderer of the REST errors' ``[{"message", "errorCode", "fields"?}]`` answer: the
    error's status and headers, then ``headers`` (the surface's own, e.g. Sforce-Limit-Info)."""
    extra = {**error.headers, **headers} if headers else error.headers
    return json_response(error.body(), status=error.status, headers=extra or None)


# RFC 6750 §3.1: the challenge of a 401 for a missing, expired or revoked bearer token.
_BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def session_refusal(refused: InvalidSession, *, challenge: bool = True) -> ApiError:
    """How the REST surfaces answer a failed bearer check: 401 INVALID_SESSION_ID, "Session expired or
    invalid" (with the bearer challenge unless the surface never sent one), or, for a token without
    api/full scope, Salesforce's "not valid for use with the REST API" (no challenge: the token is fine)."""
    if refused.not_for_api:
        return ApiError("INVALID_SESSION_ID", NOT_FOR_API_MESSAGE)
    return ApiError(
        "INVALID_SESSION_ID", SESSION_EXPIRED_MESSAGE, headers=_BEARER_CHALLENGE if challenge else None
    )


def api_error(status: int, error_code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    """The answer of an error raised nowhere (the HTTP edge's 404, 405, 500 and 503)."""
    return api_error_response(ApiError(error_code, message, status, headers=headers))


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


def is_trusted(ctx: Context, address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in ctx.settings.trusted_proxies)


def client_ip(ctx: Context, request: Request) -> str:
    """The peer's address; behind trusted proxies, the nearest untrusted hop of X-Forwarded-For."""
    peer = request.client.host if request.client else "0.0.0.0"  # noqa: S104 - a label, not a bind
    if not is_trusted(ctx, peer):
        return peer
    forwarded = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(forwarded):
        if not is_trusted(ctx, hop):
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


class BodyTooLarge(Exception):
    """The request body is (or announces itself as) longer than the endpoint's cap."""


async def read_capped(request: Request, limit: int) -> bytes:
    """The whole body (chunked or not), refused before reading when Content-Length is over
    ``limit`` and as soon as the bytes read pass it: never more than ``limit`` in memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


def _checked(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    for name, value in pairs:
        if unstorable(name) or unstorable(value):
            raise InvalidCharacter.copy()
    return pairs


def query_pairs(query: str) -> list[tuple[str, str]]:
    """The parameters of a query string (or urlencoded body); NUL or a lone surrogate is refused."""
    return _checked(parse_qsl(query, keep_blank_values=True, strict_parsing=False))


async def read_form_pairs(request: Request) -> list[tuple[str, str]]:
    """Query-string parameters, then the body's: urlencoded (any charset), multipart, or chunked.

    Salesforce accepts parameters in the query string of a POST, so both are merged.
    """
    pairs = _checked(list(request.query_params.multi_items()))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            async with request.form(max_files=0, max_fields=100, max_part_size=MAX_FORM_BYTES) as form:
                pairs += _checked([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
        except OAuthError:
            raise
        except Exception as exc:  # python-multipart raises several types for malformed input
            raise MalformedMultipart.copy() from exc
        return pairs
    try:
        body = await read_capped(request, MAX_FORM_BYTES)
    except BodyTooLarge as exc:
        raise RequestBodyTooLarge.copy() from exc
    if body:
        if content_type not in ("", "application/x-www-form-urlencoded", "text/plain"):
            raise UnsupportedContentType.copy()
        try:
            pairs += query_pairs(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedBody.copy() from exc
    return pairs


class MalformedJson(Exception):
    """A body that is not a JSON object forcegate can store; ``message`` is Salesforce's wording
    (its parser is Jackson's) for the JSON_PARSER_ERROR answer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _not_json(constant: str) -> Any:
    """NaN and Infinity are Python's extensions, not JSON: refused like any other bad token."""
    raise json.JSONDecodeError(f"Unrecognized token '{constant}'", constant, 0)


def _refuse_unstorable(value: Any) -> None:
    """Walks the parsed document (iteratively: its depth is the client's choice)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if unstorable(item):
                raise MalformedJson("Illegal character (NUL or unpaired surrogate) in a string value")
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def parse_json(raw: bytes) -> Any:
    """The document in a JSON request body, for the admin and data APIs alike.

    Refused: invalid UTF-8 or JSON, NaN/Infinity, nesting deeper than Python's parser recurses
    (Jackson caps depth too), and strings holding NUL or a lone surrogate, which no backend stores.
    """
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_not_json)
    except UnicodeDecodeError as exc:
        raise MalformedJson("Invalid UTF-8 middle byte in the request body") from exc
    except RecursionError as exc:
        raise MalformedJson("Document nesting depth exceeds the maximum allowed") from exc
    except json.JSONDecodeError as exc:
        if not raw.strip():
            raise MalformedJson("No content to map due to end-of-input") from exc
        raise MalformedJson(f"{exc.msg} at [line:{exc.lineno}, column:{exc.colno}]") from exc
    _refuse_unstorable(document)
    return document


Endpoint = Callable[[Request], Awaitable[Response]]


def routes_by_path(
    table: Iterable[tuple[str, str, Endpoint]], *, trailing_slash: bool = False
) -> list[Route]:
    """One Starlette route per path, dispatching on the method, so that a 405 names every method the
    path serves (a route per method would name only its own); HEAD is answered as GET."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for path, method, endpoint in table:
        by_path.setdefault(path, {})[method] = endpoint

    def route(path: str, methods: dict[str, Endpoint]) -> list[Route]:
        async def dispatch(request: Request) -> Response:
            return await methods["GET" if request.method == "HEAD" else request.method](request)

        paths = (path, path + "/") if trailing_slash else (path,)
        return [Route(p, dispatch, methods=list(methods)) for p in paths]

    return [r for path, methods in by_path.items() for r in route(path, methods)]
