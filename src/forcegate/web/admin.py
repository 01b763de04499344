"""The admin JSON API: connected apps, users and login history, for users whose profile or a permission
set may manage them (System Administrator; ``org.permissions.user_may``); errors use the data-API array
shape. Bodies are validated by the resources' declarations (``forcegate.resources``), and the OpenAPI
document served at ``/admin/api/v1/openapi.json`` is generated from the route table below and those
declarations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from forcegate.api_errors import ApiError
from forcegate.context import Context
from forcegate.domain import AccessTokenGrant
from forcegate.flows.bearer import InvalidSession, authenticate, bearer_token
from forcegate.org import access, audit, credentials, permissions, users
from forcegate.org import connected_apps as apps
from forcegate.org.audit import Actor
from forcegate.org.errors import ValidationFailed
from forcegate.protocol.errors import OAuthError
from forcegate.protocol.requests import unstorable
from forcegate.resources import connected_app, views
from forcegate.resources import credentials as declared_credentials
from forcegate.resources import permissions as declared_permissions
from forcegate.resources import user as declared_user
from forcegate.resources.openapi import Answer, Operation, QueryParameter, document
from forcegate.resources.views import (
    AuditTrailEntry,
    ConnectedApp,
    ConnectedAppCreated,
    LoginHistoryEntry,
    PermissionSet,
    TokenRevocation,
    User,
    UserCreated,
    UserUpdated,
)
from forcegate.storage import repositories as repo
from forcegate.web.common import (
    CLOSE,
    BodyTooLarge,
    MalformedJson,
    api_error,
    api_error_response,
    caller_of,
    json_response,
    parse_json,
    query_pairs,
    read_capped,
    run_blocking,
    session_refusal,
)

__all__ = ["OPENAPI", "OPERATIONS", "ROUTES"]

MAX_JSON_BYTES = 64 * 1024
Handler = Callable[[Context, Connection, AccessTokenGrant, dict[str, Any], Any, Actor], tuple[int, Any]]


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
        elif request.method == "GET":
            body = request.url.query  # a listing's filters (those that take any)
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
            # "API Enabled" gates every API, this one included.
            if user is not None and not permissions.load_user_access(conn, user.id).api_enabled:
                return api_error(
                    403, "API_DISABLED_FOR_ORG", "The REST API is not enabled for this Organization."
                )
            if user is None or not permissions.user_may(conn, user.id, permission):
                return api_error(
                    403,
                    "INSUFFICIENT_ACCESS",
                    "insufficient access rights: the user's profile may not do this",
                )
            assert user is not None  # a grant's user without a profile may nothing (above)
            actor = Actor.admin_api(user, caller_of(request).ip)
            status, result = handler(ctx, conn, grant, path_params, body, actor)
    except ApiError as error:  # AdminError's family (ValidationFailed, NotFound...) and the data layer's
        return api_error_response(error)
    if status == 204:
        return Response(status_code=204)
    return json_response(result, status=status)


# --- connected apps ---


def list_apps(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    return 200, [apps.app_view(a) for a in repo.list_apps(conn, grant.org_id)]


def create_app(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    app, secret = apps.create_app(ctx, conn, grant.org_id, actor=actor, **connected_app.CREATE.validate(body))
    return 201, apps.app_view(app, consumer_secret=secret)


def show_app(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    return 200, apps.app_view(apps.find_app(conn, grant.org_id, params["ref"]))


def update_app(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    app = apps.find_app(conn, grant.org_id, params["ref"])
    return 200, apps.app_view(apps.update_app(ctx, conn, app, body, actor=actor))


def delete_app(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    apps.delete_app(ctx, conn, apps.find_app(conn, grant.org_id, params["ref"]), actor=actor)
    return 204, None


# --- users ---


def list_users(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    return 200, [users.user_view(conn, u) for u in repo.list_users(conn, grant.org_id)]


def create_user(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    created, token = users.create_user(
        ctx, conn, grant.org_id, actor=actor, **declared_user.CREATE.validate(body)
    )
    return 201, users.user_view(conn, created, security_token=token)


def show_user(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    return 200, users.user_view(conn, users.find_user(conn, grant.org_id, params["ref"]))


def update_user(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    found = users.find_user(conn, grant.org_id, params["ref"])
    updated, security_token = users.update_user(ctx, conn, found, body, actor=actor)
    return 200, users.user_view(conn, updated, security_token=security_token)


def login_history(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    return 200, repo.recent_logins(conn, grant.org_id, limit=200)


def audit_trail(
    ctx: Context, conn: Connection, grant: AccessTokenGrant, params: dict[str, Any], body: Any, actor: Actor
) -> tuple[int, Any]:
    try:
        query = dict(query_pairs(body))
    except OAuthError:  # NUL or a lone surrogate: nothing any filter could match
        raise ValidationFailed("the query string holds a character no parameter may") from None
    found = audit.entries(conn, grant.org_id, **audit.filters_from(query))
    return 200, [e.as_json() for e in found]


# --- profiles and permission sets (data-API permissions) ---


def _changes(values: dict[str, Any], *fixed: str) -> dict[str, Any]:
    """The permission changes of a create body: all but the new record's own fields."""
    return {k: v for k, v in values.items() if k not in fixed}


def list_profiles(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    found = [
        permissions.find_parent(conn, grant.org_id, "profile", p.name)
        for p in repo.list_profiles(conn, grant.org_id)
    ]
    return 200, [permissions.parent_view(conn, p) for p in found]


def create_profile(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    values = declared_permissions.PROFILE_CREATE.validate(body)
    profile = permissions.create_profile(ctx, conn, grant.org_id, values["name"], actor=actor)
    permissions.apply_changes(ctx, conn, grant.org_id, profile, _changes(values, "name"), actor=actor)
    return 201, permissions.parent_view(
        conn, permissions.find_parent(conn, grant.org_id, "profile", profile.name)
    )


def show_profile(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    return 200, permissions.parent_view(
        conn, permissions.find_parent(conn, grant.org_id, "profile", params["name"])
    )


def update_profile(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    profile = permissions.find_parent(conn, grant.org_id, "profile", params["name"])
    permissions.apply_changes(ctx, conn, grant.org_id, profile, body, actor=actor)
    return 200, permissions.parent_view(
        conn, permissions.find_parent(conn, grant.org_id, "profile", profile.name)
    )


def list_permission_sets(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    found = [
        permissions.find_parent(conn, grant.org_id, "permission_set", row["name"])
        for row in repo.list_permission_sets(conn, grant.org_id)
    ]
    return 200, [permissions.parent_view(conn, p) for p in found]


def create_permission_set(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    values = declared_permissions.PERMISSION_SET_CREATE.validate(body)
    name = values["name"]
    access.create_permission_set(ctx, conn, grant.org_id, name, values.get("label"), actor=actor)
    created = permissions.find_parent(conn, grant.org_id, "permission_set", name)
    permissions.apply_changes(
        ctx, conn, grant.org_id, created, _changes(values, "name", "label"), actor=actor
    )
    return 201, permissions.parent_view(
        conn, permissions.find_parent(conn, grant.org_id, "permission_set", name)
    )


def show_permission_set(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    found = permissions.find_parent(conn, grant.org_id, "permission_set", params["name"])
    return 200, permissions.parent_view(conn, found)


def update_permission_set(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    found = permissions.find_parent(conn, grant.org_id, "permission_set", params["name"])
    permissions.apply_changes(ctx, conn, grant.org_id, found, body, actor=actor)
    return 200, permissions.parent_view(
        conn, permissions.find_parent(conn, grant.org_id, "permission_set", found.name)
    )


def assign_permission_set(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    values = declared_permissions.ASSIGNMENT.validate(body)
    found = users.find_user(conn, grant.org_id, values["user"])
    access.assign_permission_set(ctx, conn, grant.org_id, params["name"], found, actor=actor)
    return 200, users.user_view(conn, found)


def unassign_permission_set(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    found = permissions.find_parent(conn, grant.org_id, "permission_set", params["name"])
    assigned = users.find_user(conn, grant.org_id, params["user"])
    permissions.unassign(ctx, conn, found, assigned, actor=actor)
    return 204, None


# --- credentials: secret rotation and revocation by scope of damage ---


def rotate_secret(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    declared_credentials.NO_FIELDS.validate(body)
    app, secret = credentials.rotate_secret(
        ctx, conn, apps.find_app(conn, grant.org_id, params["ref"]), actor=actor
    )
    return 200, apps.app_view(app, consumer_secret=secret)


def revoke_old_secret(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    declared_credentials.NO_FIELDS.validate(body)
    app = apps.find_app(conn, grant.org_id, params["ref"])
    return 200, apps.app_view(credentials.revoke_old_secret(ctx, conn, app, actor=actor))


def revoke_app_tokens(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    user_ref = declared_credentials.APP_TOKEN_REVOCATION.validate(body).get("user")
    app = apps.find_app(conn, grant.org_id, params["ref"])
    found = users.find_user(conn, grant.org_id, user_ref) if user_ref is not None else None
    return 200, credentials.revoke_tokens(ctx, conn, grant.org_id, user=found, app=app, actor=actor)


def revoke_user_tokens(
    ctx: Context,
    conn: Connection,
    grant: AccessTokenGrant,
    params: dict[str, Any],
    body: Any,
    actor: Actor,
) -> tuple[int, Any]:
    app_ref = declared_credentials.USER_TOKEN_REVOCATION.validate(body).get("app")
    found = users.find_user(conn, grant.org_id, params["ref"])
    app = apps.find_app(conn, grant.org_id, app_ref) if app_ref is not None else None
    return 200, credentials.revoke_tokens(ctx, conn, grant.org_id, user=found, app=app, actor=actor)


async def openapi(request: Request) -> Response:
    return json_response(OPENAPI)


# --- the route table: each route with its handler, the profile permission it needs, and how its
# OpenAPI document describes it ---

PREFIX = "/admin/api/v1"
APPS = "connected-apps"
USERS = "users"
PROFILES = "profiles"
SETS = "permission-sets"
MANAGE_APPS = permissions.MANAGE_CONNECTED_APPS
MANAGE_USERS = permissions.MANAGE_USERS
WRITE = (400, 413)  # every route that reads a body may answer these


@dataclass(frozen=True)
class AdminRoute:
    operation: Operation
    handler: Handler
    permission: str

    @property
    def writes(self) -> bool:
        return self.operation.method != "GET"


def _op(
    method: str,
    path: str,
    operation_id: str,
    tag: str,
    summary: str,
    description: str,
    answers: dict[int, Answer],
    **options: Any,
) -> Operation:
    return Operation(f"{PREFIX}{path}", method, operation_id, tag, summary, description, answers, **options)


ADMIN_ROUTES: list[AdminRoute] = [
    AdminRoute(
        _op(
            "GET", "/connected-apps", "listConnectedApps", APPS, "List connected apps",
            "All connected apps of the token's org.",
            {200: Answer("The apps", ConnectedApp, many=True)},
        ),
        list_apps, MANAGE_APPS,
    ),
    AdminRoute(
        _op(
            "POST", "/connected-apps", "createConnectedApp", APPS, "Register a connected app",
            "Creates an app with a new consumer key and secret; the secret is returned only here.",
            {201: Answer("The app, with its consumer secret", ConnectedAppCreated)},
            body=connected_app.CREATE, errors=(*WRITE, 409),
        ),
        create_app, MANAGE_APPS,
    ),
    AdminRoute(
        _op(
            "GET", "/connected-apps/{ref}", "getConnectedApp", APPS, "Show a connected app",
            "One app, without its secret.",
            {200: Answer("The app", ConnectedApp)}, errors=(404,),
        ),
        show_app, MANAGE_APPS,
    ),
    AdminRoute(
        _op(
            "PATCH", "/connected-apps/{ref}", "updateConnectedApp", APPS, "Update a connected app",
            "Changes the given fields; the others keep their values.",
            {200: Answer("The updated app", ConnectedApp)},
            body=connected_app.UPDATE, errors=(*WRITE, 404, 409),
        ),
        update_app, MANAGE_APPS,
    ),
    AdminRoute(
        _op(
            "DELETE", "/connected-apps/{ref}", "deleteConnectedApp", APPS, "Delete a connected app",
            "Deletes the app; its tokens stop working.",
            {204: Answer("Deleted")}, errors=(404,),
        ),
        delete_app, MANAGE_APPS,
    ),
    AdminRoute(
        _op(
            "GET", "/users", "listUsers", USERS, "List users", "All users of the token's org.",
            {200: Answer("The users", User, many=True)},
        ),
        list_users, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "POST", "/users", "createUser", USERS, "Create a user",
            "Creates an active user; the security token is returned only here.",
            {201: Answer("The user, with its security token", UserCreated)},
            body=declared_user.CREATE, errors=(*WRITE, 409),
        ),
        create_user, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "GET", "/users/{ref}", "getUser", USERS, "Show a user", "One user.",
            {200: Answer("The user", User)}, errors=(404,),
        ),
        show_user, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "PATCH", "/users/{ref}", "updateUser", USERS, "Update a user",
            "Changes the given fields, e.g. deactivates the user or resets the password.",
            {200: Answer("The updated user (after a password reset, with its new security token)",
                         UserUpdated)},
            body=declared_user.UPDATE, errors=(*WRITE, 404),
        ),
        update_user, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "GET", "/login-history", "listLoginHistory", "login-history", "Recent logins",
            "The org's 200 most recent login attempts, successful or not, newest first. "
            "Needs the manage-users permission.",
            {200: Answer("The logins", LoginHistoryEntry, many=True)},
        ),
        login_history, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "GET", "/audit-trail", "listAuditTrail", "audit-trail", "Setup Audit Trail",
            "The org's configuration changes, newest first, through any channel (admin API, CLI, "
            "Setup), with who made them and from where. Filter by user, section, action and time; "
            "page with limit and offset. Needs the manage-users permission.",
            {200: Answer("The entries", AuditTrailEntry, many=True)}, errors=(400,),
            query=tuple(
                QueryParameter(name, text, "integer" if name in ("limit", "offset") else "string")
                for name, text in audit.QUERY_PARAMETERS.items()
            ),
        ),
        audit_trail, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "POST", "/connected-apps/{ref}/rotate-secret", "rotateConsumerSecret", APPS,
            "Generate a new consumer secret (staged rotation)",
            "Returns the new secret, shown only here; it works at once. The old secret keeps "
            "working until `revoke-old-secret`, so clients can move over. Refused (409 "
            "INVALID_OPERATION) while an old secret is still active. No request body.",
            {200: Answer("The app, with its new consumer secret", ConnectedAppCreated)},
            errors=(404, 409), state_refusal=True,
        ),
        rotate_secret, MANAGE_APPS,
    ),
    AdminRoute(
        _op(
            "POST", "/connected-apps/{ref}/revoke-old-secret", "revokeOldConsumerSecret", APPS,
            "Revoke the old consumer secret",
            "Ends a staged rotation: from now on only the new secret authenticates. Refused (409 "
            "INVALID_OPERATION) when no rotation is staged. No request body.",
            {200: Answer("The app", ConnectedApp)},
            errors=(404, 409), state_refusal=True,
        ),
        revoke_old_secret, MANAGE_APPS,
    ),
    AdminRoute(
        _op(
            "POST", "/connected-apps/{ref}/revoke-tokens", "revokeAppTokens", APPS,
            "Revoke every token of an app",
            "Every access and refresh token issued to the app (or, with `user`, to that user "
            "for it) stops working at once; codes and device approvals not yet exchanged can no "
            "longer be. The body is optional.",
            {200: Answer("What was revoked", TokenRevocation)},
            body=declared_credentials.APP_TOKEN_REVOCATION, body_required=False, errors=(400, 404),
        ),
        revoke_app_tokens, MANAGE_APPS,
    ),
    AdminRoute(
        _op(
            "POST", "/users/{ref}/revoke-tokens", "revokeUserTokens", USERS,
            "Revoke every token of a user",
            "Every access and refresh token of the user (or, with `app`, only that app's) stops "
            "working at once; codes and device approvals not yet exchanged can no longer be. The "
            "body is optional.",
            {200: Answer("What was revoked", TokenRevocation)},
            body=declared_credentials.USER_TOKEN_REVOCATION, body_required=False, errors=(400, 404),
        ),
        revoke_user_tokens, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "GET", "/profiles", "listProfiles", PROFILES, "List profiles",
            "Every profile with its system, object and field permissions.",
            {200: Answer("The profiles", views.Profile, many=True)},
        ),
        list_profiles, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "POST", "/profiles", "createProfile", PROFILES, "Create a profile",
            "A custom profile granting only what the body grants.",
            {201: Answer("The profile", views.Profile)},
            body=declared_permissions.PROFILE_CREATE, errors=(*WRITE, 409),
        ),
        create_profile, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "GET", "/profiles/{name}", "getProfile", PROFILES, "Show a profile", "One profile.",
            {200: Answer("The profile", views.Profile)}, errors=(404,),
        ),
        show_profile, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "PATCH", "/profiles/{name}", "updateProfile", PROFILES, "Change a profile's permissions",
            "Sets the given system permissions and replaces the named objects' and fields' "
            "permissions; the others keep theirs. Takes effect on the next call of its users.",
            {200: Answer("The profile", views.Profile)},
            body=declared_permissions.CHANGES, errors=(*WRITE, 404),
        ),
        update_profile, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "GET", "/permission-sets", "listPermissionSets", SETS, "List permission sets",
            "Every permission set with its permissions.",
            {200: Answer("The permission sets", PermissionSet, many=True)},
        ),
        list_permission_sets, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "POST", "/permission-sets", "createPermissionSet", SETS, "Create a permission set",
            "Permission sets add to what a user's profile grants.",
            {201: Answer("The permission set", PermissionSet)},
            body=declared_permissions.PERMISSION_SET_CREATE, errors=(*WRITE, 409),
        ),
        create_permission_set, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "GET", "/permission-sets/{name}", "getPermissionSet", SETS, "Show a permission set",
            "One permission set.",
            {200: Answer("The permission set", PermissionSet)}, errors=(404,),
        ),
        show_permission_set, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "PATCH", "/permission-sets/{name}", "updatePermissionSet", SETS,
            "Change a permission set's permissions", "As for profiles.",
            {200: Answer("The permission set", PermissionSet)},
            body=declared_permissions.CHANGES, errors=(*WRITE, 404),
        ),
        update_permission_set, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "POST", "/permission-sets/{name}/assignments", "assignPermissionSet", SETS,
            "Assign a permission set to a user", "Assigning an already assigned set changes nothing.",
            {200: Answer("The user", User)},
            body=declared_permissions.ASSIGNMENT, errors=(*WRITE, 404),
        ),
        assign_permission_set, MANAGE_USERS,
    ),
    AdminRoute(
        _op(
            "DELETE", "/permission-sets/{name}/assignments/{user}", "unassignPermissionSet", SETS,
            "Unassign a permission set", "The user loses what the set granted on their next call.",
            {204: Answer("Unassigned")}, errors=(404,),
        ),
        unassign_permission_set, MANAGE_USERS,
    ),
]  # fmt: skip

OPENAPI_ROUTE = _op(
    "GET", "/openapi.json", "getOpenApi", "meta", "This document",
    "The OpenAPI description of the admin API. Needs no token.",
    {200: Answer("The OpenAPI document")}, public=True,
)  # fmt: skip
OPERATIONS: list[Operation] = [OPENAPI_ROUTE, *(r.operation for r in ADMIN_ROUTES)]
OPENAPI: dict[str, Any] = document(OPERATIONS)

ROUTES: list[tuple[str, str, Callable[[Request], Any]]] = [
    (OPENAPI_ROUTE.path, OPENAPI_ROUTE.method, openapi),
    *(
        (r.operation.path, r.operation.method, _endpoint(r.handler, r.permission, write=r.writes))
        for r in ADMIN_ROUTES
    ),
]
