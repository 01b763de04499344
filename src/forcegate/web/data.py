"""The REST data API under ``/services/data``: thin adapters over :mod:`forcegate.data.api`.

Every call runs the same checks, in this order, before its resource (``_admit``):

1. a valid bearer token                       → 401 INVALID_SESSION_ID "Session expired or invalid"
2. the token's scopes include ``api`` or ``full`` → 401 INVALID_SESSION_ID "This session is not valid…"
3. a known API version in the path            → 404 NOT_FOUND
4. "API Enabled" from the profile or a set    → 403 API_DISABLED_FOR_ORG
5. the org's daily request allowance          → 403 REQUEST_LIMIT_EXCEEDED

then the resource. Every refusal, the checks' and the resources'
(:class:`~forcegate.data.errors.DataApiError`), is an :class:`~forcegate.api_errors.ApiError` carrying
Salesforce's code and status, answered by ``web.common.api_error_response``; step 1 and 2 are the
shared bearer check (:mod:`forcegate.flows.bearer`). Responses after step 5 carry
``Sforce-Limit-Info: api-usage=N/M``. Paths work with and without a trailing slash. Reference:
``salesforce-wire.md`` §11, ``client-compatibility.md``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forcegate.api_errors import NOT_FOUND_MESSAGE, ApiError
from forcegate.context import Context
from forcegate.data import api
from forcegate.data.errors import DataApiError
from forcegate.domain import AccessTokenGrant
from forcegate.flows.bearer import InvalidSession, active_grant, admissible_token, bearer_token
from forcegate.model.access import Caller
from forcegate.org.api_limits import RequestCounter, Usage
from forcegate.org.permissions import UserAccess, load_user_access
from forcegate.storage import repositories as repo
from forcegate.web.common import (
    CLOSE,
    BodyTooLarge,
    MalformedJson,
    api_error_response,
    json_response,
    parse_json,
    read_capped,
    routes_by_path,
    run_blocking,
    session_refusal,
)

__all__ = ["ROUTES"]

MAX_BODY_BYTES = 1024 * 1024
_VERSION = re.compile(r"^v(\d{2,3}\.0)$")
_BATCH_SIZE = re.compile(r"(?:^|[;,\s])batchSize\s*=\s*(\d+)", re.IGNORECASE)


@dataclass
class Call:
    """One authorised data-API call: what every resource receives."""

    ctx: Context
    request: Request
    version: str  # "62.0"
    grant: AccessTokenGrant
    caller: Caller
    usage: Usage | None = None
    body: Any = None

    @property
    def query(self) -> Any:
        return self.request.query_params


# --- the checks --------------------------------------------------------------------------------


def _authenticated(request: Request) -> tuple[AccessTokenGrant, UserAccess, int]:
    """Checks 1, 2: the token, its scopes; then, in the same read transaction, the user's access and
    the org's allowance."""
    ctx: Context = request.app.state.ctx
    try:
        token = admissible_token(bearer_token(request.headers.get("authorization")))
        with ctx.db.read() as conn:
            grant = active_grant(ctx, conn, token, needs_api=True)
            access = load_user_access(conn, grant.user_id)
            org = repo.org_by_id(conn, grant.org_id)
    except InvalidSession as refused:
        raise session_refusal(refused) from None
    return grant, access, org.daily_api_requests if org else 0


def _version(request: Request) -> str:
    """Check 3."""
    found = _VERSION.match(request.path_params.get("version", ""))
    if not found or found.group(1) not in request.app.state.api_versions:
        raise ApiError("NOT_FOUND", NOT_FOUND_MESSAGE)
    return found.group(1)


def _api_enabled(access: UserAccess) -> None:
    """Check 4."""
    if not access.api_enabled:
        raise ApiError("API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization.")


def _charged(request: Request, grant: AccessTokenGrant, allowance: int) -> Usage:
    """Check 5."""
    counter: RequestCounter = request.app.state.api_requests
    usage = counter.charge(grant.org_id, allowance, request.app.state.ctx.now_ms())
    if not usage.allowed:
        raise ApiError(
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
            headers={"Sforce-Limit-Info": usage.header},
        )
    return usage


def _admit(request: Request, *, charge: bool = True, versioned: bool = True) -> Call:
    grant, access, allowance = _authenticated(request)
    version = _version(request) if versioned else ""
    _api_enabled(access)
    usage = _charged(request, grant, allowance) if charge else None
    caller = Caller(org_id=grant.org_id, user_id=grant.user_id, access=access)
    return Call(request.app.state.ctx, request, version, grant, caller, usage)


# --- request bodies ----------------------------------------------------------------------------


def _json_object(request: Request, raw: bytes) -> Any:
    """The JSON object of a POST/PATCH body, or the refusal Salesforce answers."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type != "application/json":
        raise ApiError(
            "UNSUPPORTED_MEDIA_TYPE", f"MediaType of '{content_type}' is not supported by this resource"
        )
    try:
        body = parse_json(raw)
    except MalformedJson as exc:
        raise ApiError("JSON_PARSER_ERROR", exc.message) from exc
    if not isinstance(body, dict):
        token = "START_ARRAY" if isinstance(body, list) else "VALUE"
        raise ApiError(
            "JSON_PARSER_ERROR", f"Can not deserialize SObject out of {token} token at [line:1, column:1]"
        )
    return body


async def _raw_body(request: Request) -> bytes:
    try:
        return await read_capped(request, MAX_BODY_BYTES)
    except BodyTooLarge as exc:
        raise ApiError("JSON_PARSER_ERROR", "The request body is too large", 413, headers=CLOSE) from exc


# --- resources ---------------------------------------------------------------------------------

Resource = Callable[[Call], Response]


def _answer(call: Call, body: Any, status: int = 200) -> Response:
    headers = {"Sforce-Limit-Info": call.usage.header} if call.usage else None
    if status == 204:
        return Response(status_code=204, headers=headers)
    return json_response(body, status=status, headers=headers)


def _batch_size(call: Call) -> int | None:
    """The header's ``batchSize`` (clamped to 200..2,000 later, as Salesforce does). Ten significant
    digits already exceed the maximum, so longer numbers are cut rather than converted whole."""
    found = _BATCH_SIZE.search(call.request.headers.get("sforce-query-options", ""))
    if found is None:
        return None
    return int(found.group(1).lstrip("0")[:10] or "0")


def resources(call: Call) -> Response:
    """GET /services/data/vNN.0: the resources of a version, and the caller's identity URL."""
    base = f"/services/data/v{call.version}"
    origin = call.request.app.state.public_url
    return _answer(
        call,
        {
            "limits": f"{base}/limits",
            "query": f"{base}/query",
            "queryAll": f"{base}/queryAll",
            "sobjects": f"{base}/sobjects",
            "identity": f"{origin}/id/{call.grant.org_id}/{call.grant.user_id}",
        },
    )


def _soql(call: Call) -> str:
    soql = call.query.get("q")
    if not soql or not soql.strip():
        raise DataApiError("MALFORMED_QUERY", "A query string has to be specified")
    return str(soql)


def _query(call: Call, include_deleted: bool) -> Response:
    columns = call.query.get("columns", "").lower() == "true"
    batch = _batch_size(call)
    result = api.query(
        call.ctx,
        call.caller,
        _soql(call),
        call.version,
        include_deleted=include_deleted,
        batch_size=batch if batch is not None else api.DEFAULT_BATCH_SIZE,
        columns=columns,
    )
    return _answer(call, result)


def query(call: Call) -> Response:
    return _query(call, include_deleted=False)


def query_all(call: Call) -> Response:
    return _query(call, include_deleted=True)


def query_more(call: Call) -> Response:
    locator = call.request.path_params["locator"]
    return _answer(
        call, api.query_more(call.ctx, call.caller, locator, call.version, batch_size=_batch_size(call))
    )


def limits(call: Call) -> Response:
    assert call.usage is not None
    return _answer(
        call, {"DailyApiRequests": {"Max": call.usage.allowance, "Remaining": call.usage.remaining}}
    )


def describe_global(call: Call) -> Response:
    return _answer(call, api.describe_global(call.ctx, call.caller, call.version))


def basic_info(call: Call) -> Response:
    sobject = call.request.path_params["sobject"]
    return _answer(call, api.sobject_basic_info(call.ctx, call.caller, sobject, call.version))


def describe(call: Call) -> Response:
    sobject = call.request.path_params["sobject"]
    return _answer(call, api.describe_sobject(call.ctx, call.caller, sobject, call.version))


def create(call: Call) -> Response:
    sobject = call.request.path_params["sobject"]
    new_id = api.create_record(call.ctx, call.caller, sobject, call.body)
    return _answer(call, {"id": new_id, "success": True, "errors": []}, status=201)


def read(call: Call) -> Response:
    params = call.request.path_params
    asked = call.query.get("fields")
    fields = [f.strip() for f in asked.split(",") if f.strip()] if asked is not None else None
    record = api.get_record(
        call.ctx, call.caller, params["sobject"], params["record_id"], call.version, fields
    )
    return _answer(call, record)


def update(call: Call) -> Response:
    params = call.request.path_params
    api.update_record(call.ctx, call.caller, params["sobject"], params["record_id"], call.body)
    return _answer(call, None, status=204)


def delete(call: Call) -> Response:
    params = call.request.path_params
    api.delete_record(call.ctx, call.caller, params["sobject"], params["record_id"])
    return _answer(call, None, status=204)


# --- dispatch ----------------------------------------------------------------------------------


def _serve(
    request: Request, resource: Resource, raw: bytes | None, charge: bool, versioned: bool
) -> Response:
    call = None
    try:
        call = _admit(request, charge=charge, versioned=versioned)
        if raw is not None:
            call.body = _json_object(request, raw)
        return resource(call)
    except ApiError as error:
        # A resource's refusals (DataApiError) and the checks' alike; once charged, with the usage.
        headers = {"Sforce-Limit-Info": call.usage.header} if call and call.usage else None
        return api_error_response(error, headers)


def _endpoint(
    resource: Resource, *, reads_body: bool = False, charge: bool = True, versioned: bool = True
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        raw = None
        if reads_body:
            try:
                raw = await _raw_body(request)
            except ApiError as refusal:
                return api_error_response(refusal)
        return await run_blocking(request, _serve, request, resource, raw, charge, versioned)

    return endpoint


def versions(call: Call) -> Response:
    """GET /services/data: the versions list (not counted against the allowance, no limit header)."""
    return json_response(call.request.app.state.versions_document)


_V = "/services/data/{version}"
_TABLE: list[tuple[str, str, Callable[[Request], Awaitable[Response]]]] = [
    ("/services/data", "GET", _endpoint(versions, charge=False, versioned=False)),
    (_V, "GET", _endpoint(resources)),
    (f"{_V}/limits", "GET", _endpoint(limits)),
    (f"{_V}/query", "GET", _endpoint(query)),
    (f"{_V}/queryAll", "GET", _endpoint(query_all)),
    (f"{_V}/query/{{locator}}", "GET", _endpoint(query_more)),
    (f"{_V}/queryAll/{{locator}}", "GET", _endpoint(query_more)),
    (f"{_V}/sobjects", "GET", _endpoint(describe_global)),
    (f"{_V}/sobjects/{{sobject}}", "GET", _endpoint(basic_info)),
    (f"{_V}/sobjects/{{sobject}}", "POST", _endpoint(create, reads_body=True)),
    (f"{_V}/sobjects/{{sobject}}/describe", "GET", _endpoint(describe)),
    (f"{_V}/sobjects/{{sobject}}/{{record_id}}", "GET", _endpoint(read)),
    (f"{_V}/sobjects/{{sobject}}/{{record_id}}", "PATCH", _endpoint(update, reads_body=True)),
    (f"{_V}/sobjects/{{sobject}}/{{record_id}}", "DELETE", _endpoint(delete)),
]
# Clients use a path both with and without its trailing slash.
ROUTES: list[Route] = routes_by_path(_TABLE, trailing_slash=True)
