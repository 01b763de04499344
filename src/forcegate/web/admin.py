"""The admin JSON API: connected apps, users and login history, for users whose profile may manage
them (System Administrator). Described by ``openapi.py``; errors use the data-API array shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from forcegate.api_errors import ApiError
from forcegate.context import Context
from forcegate.domain import AccessTokenGrant, Profile
from forcegate.flows.bearer import InvalidSession, authenticate, bearer_token
from forcegate.org import access, credentials, permissions, users
from forcegate.org import connected_apps as apps
from forcegate.org.errors import ValidationFailed
from forcegate.protocol.requests import unstorable
from forcegate.storage import repositories as repo
from forcegate.web.common import (
    CLOSE,
    BodyTooLarge,
    MalformedJson,
    api_error,
    api_error_response,
    json_response,
    parse_json,
    read_capped,
    run_blocking,
    session_refusal,
)
from forcegate.web.openapi import OPENAPI

__all__ = ["ROUTES"]

MAX_JSON_BYTES = 64 * 1024
Handler = Callable[[Context, Connection, AccessTokenGrant, dict[str, Any], Any], tuple[int, Any]]


def _may(profile: Profile | None, what: str) -> bool:
    return profile is not None and bool(getattr(profile, what))


def _authenticated(request: Request) -> AccessTokenGrant:
    """The shared bearer check, with the data API's scope rule (``api`` or ``full``)."""
    token = bearer_token(request.headers.get("authorization"))
    return authenticate(request.app.state.ctx, token, needs_api=True)


async def _json_object(request: Request) -> dict[str, Any] | Response:
    """The request's JSON object, or the refusal to answer. An empty body is an empty object:
    action endpoints (rotate-secret...) need none."""
    try:
        raw = await read_capped(request, MAX_JSON_BYTES)
        body = parse_json(raw) if raw else {}
    except BodyTooLarge:
        return api_error(413, "JSON_PARSER_ERROR", "request body too large", CLOSE)
    except MalformedJson as error:
        return api_error(400, "JSON_PARSER_ERROR", error.message)
    if not isinstance(body, dict):
        return api_error(400, "JSON_PARSER_ERROR", "the request body must be a JSON object")
    return body


def _endpoint(handler: Handler, permission: str, write: bool) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        # The token first: nobody gets a body read (even up to the cap) before showing one.
        reads_body = request.method in ("POST", "PATCH")
        try:
            grant = await run_blocking(request, _authenticated, request)
        except InvalidSession as refused:
            # This API's 401 has never carried the bearer challenge; a body nobody will read closes
            # the connection rather than be received and discarded.
            return api_error_response(
                session_refusal(refused, challenge=False), CLOSE if reads_body else None
            )
        body: Any = None
        if reads_body:
            body = await _json_object(request)
            if isinstance(body, Response):
                return body
        return await run_in_threadpool(_run, request, grant, handler, permission, write, body)

    return endpoint


def _run(
    request: Request, grant: AccessTokenGrant, handler: Handler, permission: str, write: bool, body: Any
) -> Response:
    ctx: Context = request.app.state.ctx
    path_params = dict(request.path_params)
    if any(unstorable(value) for value in path_params.values()):
        return api_error(404, "NOT_FOUND", "The requested resource does not exist")
    transaction = ctx.db.write if write else ctx.db.read
    try:
        with transaction() as conn:
            user = repo.user_by_id(conn, grant.user_id)
            profile = repo.profile_by_id(conn, user.profile_id) if user else None
            # "API Enabled" gates every API, this one included.
            if user is not None and not permissions.load_user_access(conn, user.id).api_enabled:
                return api_error(
                    403, "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization."
                )
            if not _may(profile, permission):
                return api_error(
                    403,
                    "INSUFFICIENT_ACCESS",
                    "insufficient access rights: the user's profile may not do this",
                )
            status, result = handler(ctx, conn, grant, path_params, body)
    except ApiError as error:  # AdminError's family (ValidationFailed, NotFound...) and the data layer's
        return api_error_response(error)
    if status == 204:
        return Response(status_code=204)
    return json_response(result, status=status)


def _strings(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed(f"{name} must be a list of strings", name)
    return value


def _string(body: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be a string", name)
    return value


# --- connected apps ---


def list_apps(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    return 200, [apps.app_view(a) for a in repo.list_apps(conn, grant.org_id)]


def create_app(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    # Policies are checked by the service (types and values); here only which fields may be set.
    options = {k: v for k, v in body.items() if k not in ("name", "callback_urls", "scopes")}
    unknown = set(options) - set(apps.POLICY_FIELDS)
    if unknown:
        raise ValidationFailed(f"unknown or read-only field(s): {', '.join(sorted(unknown))}")
    app, secret = apps.create_app(
        ctx,
        conn,
        grant.org_id,
        name=_string(body, "name") or "",
        callback_urls=_strings(body, "callback_urls"),
        scopes=_string(body, "scopes") or "",
        **options,
    )
    return 201, apps.app_view(app, consumer_secret=secret)


def show_app(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    return 200, apps.app_view(apps.find_app(conn, grant.org_id, params["ref"]))


def update_app(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    app = apps.find_app(conn, grant.org_id, params["ref"])
    return 200, apps.app_view(apps.update_app(ctx, conn, app, body))


def delete_app(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    repo.delete_app(conn, apps.find_app(conn, grant.org_id, params["ref"]).id)
    return 204, None


# --- users ---


def list_users(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    return 200, [users.user_view(conn, u) for u in repo.list_users(conn, grant.org_id)]


def create_user(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    unknown = set(body) - {"username", "password", "profile", "email", "first_name", "last_name"}
    if unknown:
        raise ValidationFailed(f"unknown field(s): {', '.join(sorted(unknown))}")
    user, token = users.create_user(
        ctx,
        conn,
        grant.org_id,
        username=_string(body, "username") or "",
        password=_string(body, "password") or "",
        profile=_string(body, "profile", required=False),
        email=_string(body, "email", required=False),
        first_name=_string(body, "first_name", required=False) or "",
        last_name=_string(body, "last_name", required=False),
    )
    return 201, users.user_view(conn, user, security_token=token)


def show_user(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    return 200, users.user_view(conn, users.find_user(conn, grant.org_id, params["ref"]))


def update_user(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    user = users.find_user(conn, grant.org_id, params["ref"])
    updated, security_token = users.update_user(ctx, conn, user, body)
    return 200, users.user_view(conn, updated, security_token=security_token)


def login_history(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    return 200, repo.recent_logins(conn, grant.org_id, limit=200)


# --- profiles and permission sets (data-API permissions) ---


def _permission_changes(body: dict[str, Any], *fixed: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in fixed}


def list_profiles(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    found = [
        permissions.find_parent(conn, grant.org_id, "profile", p.name)
        for p in repo.list_profiles(conn, grant.org_id)
    ]
    return 200, [permissions.parent_view(conn, p) for p in found]


def create_profile(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    profile = permissions.create_profile(ctx, conn, grant.org_id, _string(body, "name") or "")
    permissions.apply_changes(conn, grant.org_id, profile, _permission_changes(body, "name"))
    return 201, permissions.parent_view(
        conn, permissions.find_parent(conn, grant.org_id, "profile", profile.name)
    )


def show_profile(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    return 200, permissions.parent_view(
        conn, permissions.find_parent(conn, grant.org_id, "profile", params["name"])
    )


def update_profile(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    profile = permissions.find_parent(conn, grant.org_id, "profile", params["name"])
    permissions.apply_changes(conn, grant.org_id, profile, body)
    return 200, permissions.parent_view(
        conn, permissions.find_parent(conn, grant.org_id, "profile", profile.name)
    )


def list_permission_sets(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    found = [
        permissions.find_parent(conn, grant.org_id, "permission_set", row["name"])
        for row in repo.list_permission_sets(conn, grant.org_id)
    ]
    return 200, [permissions.parent_view(conn, p) for p in found]


def create_permission_set(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    name = _string(body, "name") or ""
    access.create_permission_set(ctx, conn, grant.org_id, name, _string(body, "label", required=False))
    created = permissions.find_parent(conn, grant.org_id, "permission_set", name)
    permissions.apply_changes(conn, grant.org_id, created, _permission_changes(body, "name", "label"))
    return 201, permissions.parent_view(
        conn, permissions.find_parent(conn, grant.org_id, "permission_set", name)
    )


def show_permission_set(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    found = permissions.find_parent(conn, grant.org_id, "permission_set", params["name"])
    return 200, permissions.parent_view(conn, found)


def update_permission_set(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    found = permissions.find_parent(conn, grant.org_id, "permission_set", params["name"])
    permissions.apply_changes(conn, grant.org_id, found, body)
    return 200, permissions.parent_view(
        conn, permissions.find_parent(conn, grant.org_id, "permission_set", found.name)
    )


def assign_permission_set(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    unknown = set(body) - {"user"}
    if unknown:
        raise ValidationFailed(f"unknown field(s): {', '.join(sorted(unknown))}")
    user = users.find_user(conn, grant.org_id, _string(body, "user") or "")
    access.assign_permission_set(ctx, conn, grant.org_id, params["name"], user)
    return 200, users.user_view(conn, user)


def unassign_permission_set(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    found = permissions.find_parent(conn, grant.org_id, "permission_set", params["name"])
    user = users.find_user(conn, grant.org_id, params["user"])
    permissions.unassign(conn, found, user.id)
    return 204, None


# --- credentials: secret rotation and revocation by scope of damage ---


def rotate_secret(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    _no_fields(body)
    app, secret = credentials.rotate_secret(ctx, conn, apps.find_app(conn, grant.org_id, params["ref"]))
    return 200, apps.app_view(app, consumer_secret=secret)


def revoke_old_secret(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    _no_fields(body)
    app = apps.find_app(conn, grant.org_id, params["ref"])
    return 200, apps.app_view(credentials.revoke_old_secret(ctx, conn, app))


def revoke_app_tokens(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    _no_fields(body, "user")
    app = apps.find_app(conn, grant.org_id, params["ref"])
    user_ref = _string(body, "user", required=False)
    user = users.find_user(conn, grant.org_id, user_ref) if user_ref is not None else None
    return 200, credentials.revoke_tokens(ctx, conn, grant.org_id, user=user, app=app)


def revoke_user_tokens(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any
) -> tuple[int, Any]:
    _no_fields(body, "app")
    user = users.find_user(conn, grant.org_id, params["ref"])
    app_ref = _string(body, "app", required=False)
    app = apps.find_app(conn, grant.org_id, app_ref) if app_ref is not None else None
    return 200, credentials.revoke_tokens(ctx, conn, grant.org_id, user=user, app=app)


def _no_fields(body: dict[str, Any], *allowed: str) -> None:
    unknown = set(body) - set(allowed)
    if unknown:
        raise ValidationFailed(f"unknown field(s): {', '.join(sorted(unknown))}")


async def openapi(request: Request) -> Response:
    return json_response(OPENAPI)


PREFIX = "/admin/api/v1"
# (path, method, handler, profile permission, writes?)
ROUTES: list[tuple[str, str, Callable[[Request], Any]]] = [
    (f"{PREFIX}/openapi.json", "GET", openapi),
    (f"{PREFIX}/connected-apps", "GET", _endpoint(list_apps, "manage_connected_apps", write=False)),
    (f"{PREFIX}/connected-apps", "POST", _endpoint(create_app, "manage_connected_apps", write=True)),
    (f"{PREFIX}/connected-apps/{{ref}}", "GET", _endpoint(show_app, "manage_connected_apps", write=False)),
    (f"{PREFIX}/connected-apps/{{ref}}", "PATCH", _endpoint(update_app, "manage_connected_apps", write=True)),
    (
        f"{PREFIX}/connected-apps/{{ref}}",
        "DELETE",
        _endpoint(delete_app, "manage_connected_apps", write=True),
    ),
    (f"{PREFIX}/users", "GET", _endpoint(list_users, "manage_users", write=False)),
    (f"{PREFIX}/users", "POST", _endpoint(create_user, "manage_users", write=True)),
    (f"{PREFIX}/users/{{ref}}", "GET", _endpoint(show_user, "manage_users", write=False)),
    (f"{PREFIX}/users/{{ref}}", "PATCH", _endpoint(update_user, "manage_users", write=True)),
    (f"{PREFIX}/login-history", "GET", _endpoint(login_history, "manage_users", write=False)),
    (
        f"{PREFIX}/connected-apps/{{ref}}/rotate-secret",
        "POST",
        _endpoint(rotate_secret, "manage_connected_apps", write=True),
    ),
    (
        f"{PREFIX}/connected-apps/{{ref}}/revoke-old-secret",
        "POST",
        _endpoint(revoke_old_secret, "manage_connected_apps", write=True),
    ),
    (
        f"{PREFIX}/connected-apps/{{ref}}/revoke-tokens",
        "POST",
        _endpoint(revoke_app_tokens, "manage_connected_apps", write=True),
    ),
    (
        f"{PREFIX}/users/{{ref}}/revoke-tokens",
        "POST",
        _endpoint(revoke_user_tokens, "manage_users", write=True),
    ),
    (f"{PREFIX}/profiles", "GET", _endpoint(list_profiles, "manage_users", write=False)),
    (f"{PREFIX}/profiles", "POST", _endpoint(create_profile, "manage_users", write=True)),
    (f"{PREFIX}/profiles/{{name}}", "GET", _endpoint(show_profile, "manage_users", write=False)),
    (f"{PREFIX}/profiles/{{name}}", "PATCH", _endpoint(update_profile, "manage_users", write=True)),
    (f"{PREFIX}/permission-sets", "GET", _endpoint(list_permission_sets, "manage_users", write=False)),
    (f"{PREFIX}/permission-sets", "POST", _endpoint(create_permission_set, "manage_users", write=True)),
    (
        f"{PREFIX}/permission-sets/{{name}}",
        "GET",
        _endpoint(show_permission_set, "manage_users", write=False),
    ),
    (
        f"{PREFIX}/permission-sets/{{name}}",
        "PATCH",
        _endpoint(update_permission_set, "manage_users", write=True),
    ),
    (
        f"{PREFIX}/permission-sets/{{name}}/assignments",
        "POST",
        _endpoint(assign_permission_set, "manage_users", write=True),
    ),
    (
        f"{PREFIX}/permission-sets/{{name}}/assignments/{{user}}",
        "DELETE",
        _endpoint(unassign_permission_set, "manage_users", write=True),
    ),
]
