"""What the admin API answers: the JSON shapes of its records (``app_view``, ``user_view``,
``parent_view``...), declared for its OpenAPI document. A connected app's view is its declared settings
(``connected_app``) plus what the server keeps about it, so a new setting shows up in both at once."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pydantic
from pydantic import Field

from forcegate.resources import connected_app
from forcegate.resources.permissions import FieldPermissions, ObjectPermissions

__all__ = ["VIEWS"]

RecordId = Annotated[str, Field(min_length=18, max_length=18, description="18-character record ID")]
Millis = Annotated[int, Field(description="milliseconds since the Unix epoch")]
Count = Annotated[int, Field(ge=0)]


AppId = Annotated[str, Field(min_length=18, max_length=18, description="record ID (key prefix 0H4)")]
UserId = Annotated[str, Field(min_length=18, max_length=18, description="record ID (key prefix 005)")]
LoginId = Annotated[str, Field(min_length=18, max_length=18, description="record ID (key prefix 0Ya)")]


class View(pydantic.BaseModel):
    """An answer: every field is present (null where the record has no value)."""


class ConnectedAppState(View):
    """What the server keeps about an app besides its settings."""

    id: AppId
    consumer_key: Annotated[str, Field(description="the OAuth client_id")]
    client_credentials_user_id: RecordId | None
    jwt_bearer_enabled: Annotated[bool, Field(description="the app has a certificate")]
    old_secret_active: Annotated[
        bool,
        Field(description="a secret rotation is staged: the old secret still authenticates until revoked"),
    ]
    secret_rotated_ms: Annotated[Millis | None, Field(description="when the current secret was generated")]
    created_ms: Millis
    modified_ms: Millis


def _connected_app() -> type[View]:
    """Settings (without their defaults, and without the write-only run-as user) and state."""
    settings = connected_app.ConnectedAppSettings.model_fields
    fields: dict[str, Any] = {
        name: (info.rebuild_annotation(), Field(description=info.description))
        for name, info in settings.items()
        if name != "client_credentials_user"
    }
    for name, info in ConnectedAppState.model_fields.items():
        fields[name] = (info.rebuild_annotation(), Field(description=info.description))
    view: type[View] = pydantic.create_model(
        "ConnectedApp", __base__=View, __doc__="A connected app, never with its secret.", **fields
    )
    return view


ConnectedApp = _connected_app()


class ConnectedAppCreated(ConnectedApp):  # type: ignore[valid-type,misc]
    """An app with its consumer secret: at registration and after a rotation, and only then."""

    consumer_secret: Annotated[str, Field(description="the client secret; shown only once")]


class User(View):
    """A user."""

    id: UserId
    username: Annotated[str, Field(json_schema_extra={"format": "email"})]
    email: Annotated[str, Field(json_schema_extra={"format": "email"})]
    first_name: str
    last_name: str
    is_active: bool
    profile: Annotated[str | None, Field(description="profile name")]
    permission_sets: list[str]
    created_ms: Millis
    last_login_ms: Millis | None
    locked_until_ms: Annotated[
        Millis | None, Field(description="locked out after too many failed logins until then")
    ]


class UserCreated(User):
    """A new user with its security token."""

    security_token: Annotated[str, Field(description="the API security token; shown once")]


class UserUpdated(User):
    """A changed user; after a password or security token reset, with its new security token."""

    security_token: Annotated[
        str,
        Field(description="after a password or security token reset: the new API security token; shown once"),
    ] = ""


class LoginHistoryEntry(View):
    """A login attempt, successful or not."""

    id: LoginId
    org_id: RecordId
    user_id: RecordId | None
    username: Annotated[str, Field(description="as typed, even when no such user exists")]
    app_id: RecordId | None
    app_name: str | None
    login_type: Annotated[str, Field(examples=["Remote Access 2.0"])]
    flow: str
    source_ip: str
    user_agent: str
    login_ms: Millis
    status: Annotated[str, Field(examples=["Success"])]


class AuditTrailChange(View):
    field: str
    old: Any
    new: Any


class AuditTrailEntry(View):
    """A configuration change (Salesforce's SetupAuditTrail). Secrets never appear: a changed one shows
    as "(secret changed)", a certificate as its SHA-256 fingerprint."""

    id: Annotated[str, Field(min_length=18, max_length=18, description="record ID (key prefix 0Ym)")]
    date: Annotated[str, Field(description="ISO-8601, UTC", examples=["2026-12-02T06:30:00.000Z"])]
    created_ms: Millis
    user: Annotated[str, Field(description="the username, cli:<os user> for the CLI, or system")]
    user_id: RecordId | None
    channel: Annotated[
        Literal["console", "admin_api", "cli", "system"], Field(description="how the change was made")
    ]
    source_ip: Annotated[str | None, Field(description="the client's address (web channels only)")]
    section: Annotated[str, Field(examples=["Connected Apps"])]
    action: Annotated[str, Field(description="a stable code", examples=["connected_app.updated"])]
    display: Annotated[str, Field(description="the change in words")]
    target: Annotated[str, Field(description="the name of what changed")]
    changes: list[AuditTrailChange]


class _Permissions(View):
    id: RecordId
    name: str
    api_enabled: bool
    view_all_data: bool
    modify_all_data: bool
    manage_connected_apps: bool
    manage_users: bool
    object_permissions: ObjectPermissions
    field_permissions: FieldPermissions


class Profile(_Permissions):
    """A profile with its data-API permissions."""


class PermissionSet(_Permissions):
    """A permission set with its data-API permissions."""

    label: str


class Revoked(View):
    """What was live and is now revoked."""

    authorizations: Annotated[Count, Field(description="grants (token families) revoked")]
    access_tokens: Count
    refresh_tokens: Count
    authorization_codes: Annotated[Count, Field(description="codes not yet exchanged")]
    device_requests: Annotated[Count, Field(description="device requests not yet collected")]
    browser_sessions: Annotated[
        Count, Field(description="login sessions ended (all of a user's tokens only)")
    ]


class TokenRevocation(View):
    """Whose tokens were revoked, and how many."""

    user_id: RecordId | None
    username: str | None
    app_id: RecordId | None
    app_name: str | None
    revoked: Revoked


class Problem(View):
    message: str
    errorCode: Annotated[str, Field(examples=["NOT_FOUND"])]
    fields: Annotated[list[str], Field(description="the offending field, if any")] = []


VIEWS: tuple[type[View], ...] = (
    ConnectedApp,
    ConnectedAppCreated,
    User,
    UserCreated,
    UserUpdated,
    LoginHistoryEntry,
    AuditTrailEntry,
    Profile,
    PermissionSet,
    TokenRevocation,
)
