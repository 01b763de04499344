"""The OpenAPI 3.1 description of the admin JSON API (``admin.py``), served at
``/admin/api/v1/openapi.json``. Kept by hand; ``tests/test_openapi.py`` checks it against ``ROUTES``."""

from __future__ import annotations

from typing import Any

__all__ = ["OPENAPI"]

PREFIX = "/admin/api/v1"
Schema = dict[str, Any]


def _ref(name: str, kind: str = "schemas") -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _ok(description: str, schema: Schema | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if schema is not None:
        response["content"] = _json(schema)
    return response


def _error(description: str, *codes: str) -> dict[str, Any]:
    example = [{"message": description, "errorCode": codes[0]}]
    return {
        "description": f"{description} (errorCode: {', '.join(codes)})",
        "content": {"application/json": {"schema": _ref("Error"), "example": example}},
    }


def _operation(
    operation_id: str,
    tag: str,
    summary: str,
    description: str,
    responses: dict[str, Any],
    *,
    body: str | None = None,
    errors: tuple[str, ...] = (),
) -> dict[str, Any]:
    """An authenticated operation: 401 and 403 always; ``errors`` names further shared responses."""
    op: dict[str, Any] = {
        "operationId": operation_id,
        "tags": [tag],
        "summary": summary,
        "description": description,
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": _json(_ref(body))}
    all_errors = {"401": _ref("Unauthorized", "responses"), "403": _ref("Forbidden", "responses")}
    for status in errors:
        all_errors[status] = _ref(_SHARED_ERRORS[status][0], "responses")
    op["responses"] = {**responses, **dict(sorted(all_errors.items()))}
    return op


def _nullable(schema: Schema) -> Schema:
    return {**schema, "type": [schema["type"], "null"]}


def _object(properties: dict[str, Schema], required: list[str] | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = required
    return schema


# Shared error responses, by status: (component name, description, error codes).
_SHARED_ERRORS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "400": (
        "BadRequest",
        "The body is not a JSON object, or a field is missing, unknown or invalid",
        ("FIELD_INTEGRITY_EXCEPTION", "JSON_PARSER_ERROR"),
    ),
    "401": (
        "Unauthorized",
        "No valid bearer token, or the token lacks the api/full scope",
        ("INVALID_SESSION_ID",),
    ),
    "403": ("Forbidden", "The token's user's profile may not do this", ("INSUFFICIENT_ACCESS",)),
    "404": ("NotFound", "No such record in the token's org", ("NOT_FOUND",)),
    "409": ("Conflict", "A record with that name or username already exists", ("DUPLICATE_VALUE",)),
    "413": ("PayloadTooLarge", "The request body is larger than 64 KiB", ("JSON_PARSER_ERROR",)),
}

_ID = {"type": "string", "minLength": 18, "maxLength": 18, "description": "18-character record ID"}
_MS = {"type": "integer", "description": "milliseconds since the Unix epoch"}
_STR = {"type": "string"}
_BOOL = {"type": "boolean"}

# The settable fields of a connected app (creation and ``UPDATABLE_FIELDS``).
_APP_FIELDS: dict[str, Schema] = {
    "name": {"type": "string", "minLength": 1, "maxLength": 255, "description": "unique in the org"},
    "callback_urls": {
        "type": "array",
        "items": {"type": "string", "format": "uri"},
        "minItems": 1,
        "description": "allowed redirect URIs",
    },
    "scopes": {
        "type": "string",
        "description": "space-separated OAuth scopes, e.g. `api refresh_token openid`",
        "examples": ["api refresh_token"],
    },
    "is_enabled": {**_BOOL, "default": True},
    "require_secret_for_web_server": {
        **_BOOL,
        "default": True,
        "description": "the web-server flow's token request must carry the consumer secret",
    },
    "require_pkce": {**_BOOL, "default": False, "description": "the authorization request needs PKCE"},
    "access_token_lifetime_seconds": {"type": "integer", "minimum": 60, "maximum": 86400, "default": 7200},
    "user_agent_flow_enabled": {**_BOOL, "default": True, "description": "response_type=token is allowed"},
    "device_flow_enabled": {**_BOOL, "default": False},
    "client_credentials_enabled": {**_BOOL, "default": False, "description": "needs client_credentials_user"},
    "client_credentials_user": {
        **_nullable(_STR),
        "writeOnly": True,
        "description": "run-as user of the client credentials flow: record ID or username of an active user",
    },
    "certificate_pem": {
        **_nullable(_STR),
        "description": "X.509 certificate (PEM, RSA key) verifying JWT bearer assertions; enables that flow",
    },
    "permitted_users": {"enum": ["all_self_authorize", "admin_approved"], "default": "all_self_authorize"},
    "refresh_token_policy": {
        "enum": ["until_revoked", "expire_after", "expire_if_unused"],
        "default": "until_revoked",
    },
    "refresh_token_validity_seconds": {
        **_nullable({"type": "integer", "minimum": 60}),
        "description": "N for the expire_after and expire_if_unused policies",
    },
    "refresh_token_rotation": {**_BOOL, "default": False, "description": "every refresh returns a new token"},
    "jwt_access_tokens": {
        **_BOOL,
        "default": False,
        "description": "issue signed JWT access tokens (verifiable from /id/keys, still revocable here)",
    },
}
_APP_OUTPUT_ONLY: dict[str, Schema] = {
    "client_credentials_user_id": _nullable(_ID),
    "jwt_bearer_enabled": {**_BOOL, "description": "the app has a certificate"},
    "old_secret_active": {
        **_BOOL,
        "description": "a secret rotation is staged: the old secret still authenticates until revoked",
    },
    "secret_rotated_ms": {**_nullable(_MS), "description": "when the current secret was generated"},
}
# In responses and updates, where no default applies.
_APP_FIELDS_NO_DEFAULTS = {k: {a: v for a, v in s.items() if a != "default"} for k, s in _APP_FIELDS.items()}

_USER_NAMES: dict[str, Schema] = {
    "email": {"type": "string", "format": "email"},
    "first_name": _STR,
    "last_name": _STR,
}
_PASSWORD = {
    "type": "string",
    "minLength": 8,
    "writeOnly": True,
    "description": "at least 8 characters, mixing letters and numbers",
}
_PROFILE = {"type": "string", "description": "profile name, e.g. `Standard User`, `System Administrator`"}

# A ``login_history`` row, all columns present (nullable where the table allows).
_LOGIN_FIELDS: dict[str, Schema] = {
    "id": {**_ID, "description": "record ID (key prefix 0Ya)"},
    "org_id": _ID,
    "user_id": _nullable(_ID),
    "username": {"type": "string", "description": "as typed, even when no such user exists"},
    "app_id": _nullable(_ID),
    "app_name": _nullable(_STR),
    "login_type": {"type": "string", "examples": ["Remote Access 2.0"]},
    "flow": _STR,
    "source_ip": _STR,
    "user_agent": _STR,
    "login_ms": _MS,
    "status": {"type": "string", "examples": ["Success"]},
}

_SCHEMAS: dict[str, Schema] = {
    "Error": {
        "type": "array",
        "description": "Salesforce's data-API error shape",
        "items": _object(
            {
                "message": _STR,
                "errorCode": {"type": "string", "examples": ["NOT_FOUND"]},
                "fields": {"type": "array", "items": _STR, "description": "the offending field, if any"},
            },
            ["message", "errorCode"],
        ),
    },
    "ConnectedApp": _object(
        {
            "id": {**_ID, "description": "record ID (key prefix 0H4)"},
            **{k: v for k, v in _APP_FIELDS_NO_DEFAULTS.items() if k != "client_credentials_user"},
            **_APP_OUTPUT_ONLY,
            "consumer_key": {"type": "string", "description": "the OAuth client_id"},
            "created_ms": _MS,
            "modified_ms": _MS,
        },
        [
            "id",
            "consumer_key",
            *(k for k in _APP_FIELDS if k != "client_credentials_user"),
            *_APP_OUTPUT_ONLY,
            "created_ms",
            "modified_ms",
        ],
    ),
    "ConnectedAppCreate": _object(
        _APP_FIELDS, ["name", "callback_urls", "scopes"], additionalProperties=False
    ),
    "ConnectedAppCreated": {
        "allOf": [
            _ref("ConnectedApp"),
            _object(
                {"consumer_secret": {"type": "string", "description": "the client secret; shown only once"}},
                ["consumer_secret"],
            ),
        ]
    },
    "ConnectedAppUpdate": _object(
        _APP_FIELDS_NO_DEFAULTS,
        additionalProperties=False,
        minProperties=1,
        description="any subset of the updatable fields",
    ),
    "User": _object(
        {
            "id": {**_ID, "description": "record ID (key prefix 005)"},
            "username": {"type": "string", "format": "email"},
            **_USER_NAMES,
            "is_active": _BOOL,
            "profile": _nullable(_PROFILE),
            "permission_sets": {"type": "array", "items": _STR},
            "created_ms": _MS,
            "last_login_ms": _nullable(_MS),
            "locked_until_ms": {
                **_nullable(_MS),
                "description": "locked out after too many failed logins until then (ms since the epoch)",
            },
        },
        ["id", "username", *_USER_NAMES, "is_active", "profile", "permission_sets", "created_ms"],
    ),
    "UserCreate": _object(
        {
            "username": {"type": "string", "format": "email", "maxLength": 255},
            "password": _PASSWORD,
            "profile": {**_PROFILE, "default": "Standard User"},
            "email": {**_USER_NAMES["email"], "description": "defaults to the username"},
            "first_name": {**_STR, "default": ""},
            "last_name": {**_STR, "description": "defaults to the username's local part"},
        },
        ["username", "password"],
        additionalProperties=False,
    ),
    "UserCreated": {
        "allOf": [
            _ref("User"),
            _object(
                {"security_token": {"type": "string", "description": "the API security token; shown once"}},
                ["security_token"],
            ),
        ]
    },
    "UserUpdated": {
        "allOf": [
            _ref("User"),
            _object(
                {
                    "security_token": {
                        "type": "string",
                        "description": "after a password reset: the new API security token; shown once",
                    }
                }
            ),
        ]
    },
    "UserUpdate": _object(
        {
            "is_active": _BOOL,
            "profile": _PROFILE,
            "password": {**_PASSWORD, "description": "a new password; also lifts a login lockout"},
            "unlock": {**_BOOL, "description": "true lifts a login lockout at once"},
            **_USER_NAMES,
        },
        additionalProperties=False,
    ),
    "LoginHistoryEntry": _object(_LOGIN_FIELDS, list(_LOGIN_FIELDS)),
}

_REF_PARAMETER = {
    "name": "ref",
    "in": "path",
    "required": True,
    "description": "record ID (15- or 18-character form), consumer key or name for an app; "
    "record ID or username for a user",
    "schema": _STR,
}


def _list(name: str) -> Schema:
    return {"type": "array", "items": _ref(name)}


_APP = ("connected-apps",)
_USER = ("users",)
_WRITE = ("400", "413")

_PATHS: dict[str, Any] = {
    f"{PREFIX}/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "tags": ["meta"],
            "summary": "This document",
            "description": "The OpenAPI description of the admin API. Needs no token.",
            "security": [],
            "responses": {"200": _ok("The OpenAPI document", {"type": "object"})},
        }
    },
    f"{PREFIX}/connected-apps": {
        "get": _operation(
            "listConnectedApps",
            *_APP,
            "List connected apps",
            "All connected apps of the token's org.",
            {"200": _ok("The apps", _list("ConnectedApp"))},
        ),
        "post": _operation(
            "createConnectedApp",
            *_APP,
            "Register a connected app",
            "Creates an app with a new consumer key and secret; the secret is returned only here.",
            {"201": _ok("The app, with its consumer secret", _ref("ConnectedAppCreated"))},
            body="ConnectedAppCreate",
            errors=(*_WRITE, "409"),
        ),
    },
    f"{PREFIX}/connected-apps/{{ref}}": {
        "parameters": [_ref("Ref", "parameters")],
        "get": _operation(
            "getConnectedApp",
            *_APP,
            "Show a connected app",
            "One app, without its secret.",
            {"200": _ok("The app", _ref("ConnectedApp"))},
            errors=("404",),
        ),
        "patch": _operation(
            "updateConnectedApp",
            *_APP,
            "Update a connected app",
            "Changes the given fields; the others keep their values.",
            {"200": _ok("The updated app", _ref("ConnectedApp"))},
            body="ConnectedAppUpdate",
            errors=(*_WRITE, "404", "409"),
        ),
        "delete": _operation(
            "deleteConnectedApp",
            *_APP,
            "Delete a connected app",
            "Deletes the app; its tokens stop working.",
            {"204": _ok("Deleted")},
            errors=("404",),
        ),
    },
    f"{PREFIX}/users": {
        "get": _operation(
            "listUsers",
            *_USER,
            "List users",
            "All users of the token's org.",
            {"200": _ok("The users", _list("User"))},
        ),
        "post": _operation(
            "createUser",
            *_USER,
            "Create a user",
            "Creates an active user; the security token is returned only here.",
            {"201": _ok("The user, with its security token", _ref("UserCreated"))},
            body="UserCreate",
            errors=(*_WRITE, "409"),
        ),
    },
    f"{PREFIX}/users/{{ref}}": {
        "parameters": [_ref("Ref", "parameters")],
        "get": _operation(
            "getUser",
            *_USER,
            "Show a user",
            "One user.",
            {"200": _ok("The user", _ref("User"))},
            errors=("404",),
        ),
        "patch": _operation(
            "updateUser",
            *_USER,
            "Update a user",
            "Changes the given fields, e.g. deactivates the user or resets the password.",
            {
                "200": _ok(
                    "The updated user (after a password reset, with its new security token)",
                    _ref("UserUpdated"),
                )
            },
            body="UserUpdate",
            errors=(*_WRITE, "404"),
        ),
    },
    f"{PREFIX}/login-history": {
        "get": _operation(
            "listLoginHistory",
            "login-history",
            "Recent logins",
            "The org's 200 most recent login attempts, successful or not, newest first. "
            "Needs the manage-users permission.",
            {"200": _ok("The logins", _list("LoginHistoryEntry"))},
        ),
    },
}

# --- profiles and permission sets: the data API's least privilege ---------------------------------
_OBJECT_FLAGS = ("read", "create", "edit", "delete", "view_all", "modify_all")
_SYSTEM_PERMISSIONS: dict[str, Schema] = {
    "api_enabled": {**_BOOL, "description": '"API Enabled": without it no data-API call is served'},
    "view_all_data": {**_BOOL, "description": '"View All Data": read every object and field'},
    "modify_all_data": {**_BOOL, "description": '"Modify All Data": everything on every object'},
}
_OBJECT_PERMISSIONS: Schema = {
    "type": "object",
    "description": "object API name -> permissions; Modify All implies all, Delete implies Edit, and "
    "Create/Edit/View All imply Read (as in Setup)",
    "additionalProperties": _object({flag: _BOOL for flag in _OBJECT_FLAGS}, additionalProperties=False),
    "examples": [{"Account": {"read": True, "create": True, "edit": True}}],
}
_FIELD_PERMISSIONS: Schema = {
    "type": "object",
    "description": "`Object.Field` -> field-level security; a field no row names follows the object "
    "when standard and is hidden when custom (`__c`)",
    "additionalProperties": _object({"read": _BOOL, "edit": _BOOL}, additionalProperties=False),
    "examples": [{"Account.Phone": {"read": True, "edit": False}}],
}
_PERMISSION_CHANGES: dict[str, Schema] = {
    **_SYSTEM_PERMISSIONS,
    "object_permissions": _OBJECT_PERMISSIONS,
    "field_permissions": _FIELD_PERMISSIONS,
}
_PERMISSION_VIEW: dict[str, Schema] = {
    "id": _ID,
    "name": _STR,
    **_SYSTEM_PERMISSIONS,
    "object_permissions": _OBJECT_PERMISSIONS,
    "field_permissions": _FIELD_PERMISSIONS,
}
_SCHEMAS.update(
    {
        "Profile": _object(_PERMISSION_VIEW, list(_PERMISSION_VIEW)),
        "ProfileCreate": _object(
            {"name": {"type": "string", "minLength": 1, "maxLength": 255}, **_PERMISSION_CHANGES},
            ["name"],
            additionalProperties=False,
        ),
        "PermissionSet": _object({**_PERMISSION_VIEW, "label": _STR}, [*_PERMISSION_VIEW, "label"]),
        "PermissionSetCreate": _object(
            {
                "name": {"type": "string", "minLength": 1, "maxLength": 80},
                "label": _STR,
                **_PERMISSION_CHANGES,
            },
            ["name"],
            additionalProperties=False,
        ),
        "PermissionChanges": _object(
            _PERMISSION_CHANGES,
            additionalProperties=False,
            description="system permissions to set, and object/field permissions to replace",
        ),
        "Assignment": _object(
            {"user": {"type": "string", "description": "record ID or username"}},
            ["user"],
            additionalProperties=False,
        ),
    }
)
_NAME_PARAMETER = {
    "name": "name",
    "in": "path",
    "required": True,
    "description": "the profile's or permission set's name",
    "schema": _STR,
}
_USER_PARAMETER = {
    "name": "user",
    "in": "path",
    "required": True,
    "description": "record ID or username",
    "schema": _STR,
}
_PROFILES = ("profiles",)
_SETS = ("permission-sets",)
_PATHS.update(
    {
        f"{PREFIX}/profiles": {
            "get": _operation(
                "listProfiles",
                *_PROFILES,
                "List profiles",
                "Every profile with its system, object and field permissions.",
                {"200": _ok("The profiles", _list("Profile"))},
            ),
            "post": _operation(
                "createProfile",
                *_PROFILES,
                "Create a profile",
                "A custom profile granting only what the body grants.",
                {"201": _ok("The profile", _ref("Profile"))},
                body="ProfileCreate",
                errors=(*_WRITE, "409"),
            ),
        },
        f"{PREFIX}/profiles/{{name}}": {
            "parameters": [_ref("Name", "parameters")],
            "get": _operation(
                "getProfile",
                *_PROFILES,
                "Show a profile",
                "One profile.",
                {"200": _ok("The profile", _ref("Profile"))},
                errors=("404",),
            ),
            "patch": _operation(
                "updateProfile",
                *_PROFILES,
                "Change a profile's permissions",
                "Sets the given system permissions and replaces the named objects' and fields' "
                "permissions; the others keep theirs. Takes effect on the next call of its users.",
                {"200": _ok("The profile", _ref("Profile"))},
                body="PermissionChanges",
                errors=(*_WRITE, "404"),
            ),
        },
        f"{PREFIX}/permission-sets": {
            "get": _operation(
                "listPermissionSets",
                *_SETS,
                "List permission sets",
                "Every permission set with its permissions.",
                {"200": _ok("The permission sets", _list("PermissionSet"))},
            ),
            "post": _operation(
                "createPermissionSet",
                *_SETS,
                "Create a permission set",
                "Permission sets add to what a user's profile grants.",
                {"201": _ok("The permission set", _ref("PermissionSet"))},
                body="PermissionSetCreate",
                errors=(*_WRITE, "409"),
            ),
        },
        f"{PREFIX}/permission-sets/{{name}}": {
            "parameters": [_ref("Name", "parameters")],
            "get": _operation(
                "getPermissionSet",
                *_SETS,
                "Show a permission set",
                "One permission set.",
                {"200": _ok("The permission set", _ref("PermissionSet"))},
                errors=("404",),
            ),
            "patch": _operation(
                "updatePermissionSet",
                *_SETS,
                "Change a permission set's permissions",
                "As for profiles.",
                {"200": _ok("The permission set", _ref("PermissionSet"))},
                body="PermissionChanges",
                errors=(*_WRITE, "404"),
            ),
        },
        f"{PREFIX}/permission-sets/{{name}}/assignments": {
            "parameters": [_ref("Name", "parameters")],
            "post": _operation(
                "assignPermissionSet",
                *_SETS,
                "Assign a permission set to a user",
                "Assigning an already assigned set changes nothing.",
                {"200": _ok("The user", _ref("User"))},
                body="Assignment",
                errors=(*_WRITE, "404"),
            ),
        },
        f"{PREFIX}/permission-sets/{{name}}/assignments/{{user}}": {
            "parameters": [_ref("Name", "parameters"), _ref("UserRef", "parameters")],
            "delete": _operation(
                "unassignPermissionSet",
                *_SETS,
                "Unassign a permission set",
                "The user loses what the set granted on their next call.",
                {"204": _ok("Unassigned")},
                errors=("404",),
            ),
        },
    }
)

# --- credentials: staged secret rotation and revocation by scope of damage ----------------------------
_COUNT = {"type": "integer", "minimum": 0}
_SCHEMAS.update(
    {
        "TokenRevocation": _object(
            {
                "user_id": _nullable(_ID),
                "username": _nullable(_STR),
                "app_id": _nullable(_ID),
                "app_name": _nullable(_STR),
                "revoked": _object(
                    {
                        "authorizations": {**_COUNT, "description": "grants (token families) revoked"},
                        "access_tokens": _COUNT,
                        "refresh_tokens": _COUNT,
                        "authorization_codes": {**_COUNT, "description": "codes not yet exchanged"},
                        "device_requests": {**_COUNT, "description": "device requests not yet collected"},
                        "browser_sessions": {
                            **_COUNT,
                            "description": "login sessions ended (all of a user's tokens only)",
                        },
                    },
                    [
                        "authorizations",
                        "access_tokens",
                        "refresh_tokens",
                        "authorization_codes",
                        "device_requests",
                        "browser_sessions",
                    ],
                    description="what was live and is now revoked",
                ),
            },
            ["user_id", "username", "app_id", "app_name", "revoked"],
        ),
        "AppTokenRevocation": _object(
            {"user": {"type": "string", "description": "only this user's tokens: record ID or username"}},
            additionalProperties=False,
        ),
        "UserTokenRevocation": _object(
            {
                "app": {
                    "type": "string",
                    "description": "only this app's tokens: record ID, consumer key or name",
                }
            },
            additionalProperties=False,
        ),
    }
)
_PATHS.update(
    {
        f"{PREFIX}/connected-apps/{{ref}}/rotate-secret": {
            "parameters": [_ref("Ref", "parameters")],
            "post": _operation(
                "rotateConsumerSecret",
                *_APP,
                "Generate a new consumer secret (staged rotation)",
                "Returns the new secret, shown only here; it works at once. The old secret keeps "
                "working until `revoke-old-secret`, so clients can move over. Refused (409 "
                "INVALID_OPERATION) while an old secret is still active. No request body.",
                {"200": _ok("The app, with its new consumer secret", _ref("ConnectedAppCreated"))},
                errors=("404", "409"),
            ),
        },
        f"{PREFIX}/connected-apps/{{ref}}/revoke-old-secret": {
            "parameters": [_ref("Ref", "parameters")],
            "post": _operation(
                "revokeOldConsumerSecret",
                *_APP,
                "Revoke the old consumer secret",
                "Ends a staged rotation: from now on only the new secret authenticates. Refused (409 "
                "INVALID_OPERATION) when no rotation is staged. No request body.",
                {"200": _ok("The app", _ref("ConnectedApp"))},
                errors=("404", "409"),
            ),
        },
        f"{PREFIX}/connected-apps/{{ref}}/revoke-tokens": {
            "parameters": [_ref("Ref", "parameters")],
            "post": _operation(
                "revokeAppTokens",
                *_APP,
                "Revoke every token of an app",
                "Every access and refresh token issued to the app (or, with `user`, to that user "
                "for it) stops working at once; codes and device approvals not yet exchanged can no "
                "longer be. The body is optional.",
                {"200": _ok("What was revoked", _ref("TokenRevocation"))},
                body="AppTokenRevocation",
                errors=("400", "404"),
            ),
        },
        f"{PREFIX}/users/{{ref}}/revoke-tokens": {
            "parameters": [_ref("Ref", "parameters")],
            "post": _operation(
                "revokeUserTokens",
                *_USER,
                "Revoke every token of a user",
                "Every access and refresh token of the user (or, with `app`, only that app's) stops "
                "working at once; codes and device approvals not yet exchanged can no longer be. The "
                "body is optional.",
                {"200": _ok("What was revoked", _ref("TokenRevocation"))},
                body="UserTokenRevocation",
                errors=("400", "404"),
            ),
        },
    }
)
# The revoke-tokens bodies are optional; a rotation in the wrong state is refused with 409.
for _scope in ("connected-apps", "users"):
    _PATHS[f"{PREFIX}/{_scope}/{{ref}}/revoke-tokens"]["post"]["requestBody"]["required"] = False
for _action in ("rotate-secret", "revoke-old-secret"):
    _PATHS[f"{PREFIX}/connected-apps/{{ref}}/{_action}"]["post"]["responses"]["409"] = _ref(
        "InvalidOperation", "responses"
    )

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "forcegate admin API",
        "version": "1",
        "description": "Manage the connected apps and users of an org, and read its login history. "
        "Authenticate with an OAuth access token (scope `api` or `full`) of a user whose profile may "
        "manage connected apps or users, e.g. System Administrator. Errors are JSON arrays of "
        "`{message, errorCode, fields?}`, like Salesforce's data API.",
    },
    "tags": [
        {"name": "connected-apps", "description": "OAuth clients (permission: manage connected apps)"},
        {"name": "users", "description": "Users (permission: manage users)"},
        {"name": "login-history", "description": "Login attempts (permission: manage users)"},
        {
            "name": "profiles",
            "description": "Profiles and their data-API permissions (permission: manage users)",
        },
        {
            "name": "permission-sets",
            "description": "Permission sets and assignments (permission: manage users)",
        },
        {"name": "meta", "description": "About the API"},
    ],
    "security": [{"bearerAuth": []}],
    "paths": _PATHS,
    "components": {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "An OAuth access token with the `api` or `full` scope, of a user whose "
                "profile may manage connected apps / users (e.g. System Administrator).",
            }
        },
        "parameters": {"Ref": _REF_PARAMETER, "Name": _NAME_PARAMETER, "UserRef": _USER_PARAMETER},
        "schemas": _SCHEMAS,
        "responses": {
            **{name: _error(text, *codes) for name, text, codes in _SHARED_ERRORS.values()},
            "InvalidOperation": _error(
                "The record is not in a state that allows this (secret rotation)", "INVALID_OPERATION"
            ),
        },
    },
}
