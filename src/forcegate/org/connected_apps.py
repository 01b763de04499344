"""Connected apps: registration, policies, listing, update and deletion.

A consumer key is ``3MVG9`` plus 80 random base-62 characters, like Salesforce's; the consumer
secret is 64 random hex characters, returned once at creation and stored only encrypted under the
server key (the token response's ``signature`` is keyed by it, so it must be recoverable).
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import (
    DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS,
    PERMITTED_USERS_POLICIES,
    REFRESH_TOKEN_POLICIES,
    REFRESH_UNTIL_REVOKED,
    ConnectedApp,
)
from forcegate.ids import InvalidId, KeyPrefix, new_id, normalize_id
from forcegate.org.errors import Conflict, NotFound, ValidationFailed
from forcegate.protocol.callbacks import InvalidCallbackUrl, validate_callback_url
from forcegate.protocol.scopes import parse_scope, unknown_scopes
from forcegate.storage import repositories as repo

__all__ = ["PLATFORM_CLI", "app_view", "create_app", "find_app", "new_consumer_secret", "update_app"]

_BASE62 = string.ascii_letters + string.digits

# Salesforce's built-in public app for its CLI (client-compatibility.md, "Built-in and default apps").
PLATFORM_CLI: dict[str, Any] = {
    "name": "PlatformCLI",
    "consumer_key": "PlatformCLI",
    "callback_urls": ["http://localhost:1717/OauthRedirect"],
    "scopes": "refresh_token api web",
    "require_secret_for_web_server": False,
    "require_pkce": True,
}

# Fields an admin may change after creation (and set at creation), and the type each takes.
# None is accepted for the nullable ones (certificate_pem, client_credentials_user,
# refresh_token_validity_seconds) to clear them.
UPDATABLE_FIELDS: dict[str, type] = {
    "name": str,
    "callback_urls": list,
    "scopes": str,
    "is_enabled": bool,
    "require_secret_for_web_server": bool,
    "require_pkce": bool,
    "access_token_lifetime_seconds": int,
    "user_agent_flow_enabled": bool,
    "device_flow_enabled": bool,
    "client_credentials_enabled": bool,
    "client_credentials_user": str,
    "certificate_pem": str,
    "permitted_users": str,
    "refresh_token_policy": str,
    "refresh_token_validity_seconds": int,
    "refresh_token_rotation": bool,
    "jwt_access_tokens": bool,
}
_NULLABLE = {"client_credentials_user", "certificate_pem", "refresh_token_validity_seconds"}
# Policy fields that create_app accepts as keyword options too.
POLICY_FIELDS = tuple(f for f in UPDATABLE_FIELDS if f not in ("name", "callback_urls", "scopes"))


def _new_consumer_key() -> str:
    return "3MVG9" + "".join(secrets.choice(_BASE62) for _ in range(80))


def new_consumer_secret() -> str:
    return secrets.token_hex(32).upper()


def _validated_callbacks(urls: list[str]) -> tuple[str, ...]:
    if not urls:
        raise ValidationFailed("at least one callback URL is required", "callback_urls")
    try:
        return tuple(dict.fromkeys(validate_callback_url(u) for u in urls))
    except InvalidCallbackUrl as exc:
        raise ValidationFailed(str(exc), "callback_urls") from exc


def _validated_scopes(value: str) -> tuple[str, ...]:
    scopes = parse_scope(value)
    if not scopes:
        raise ValidationFailed("at least one scope is required", "scopes")
    unknown = unknown_scopes(scopes)
    if unknown:
        raise ValidationFailed(f"unknown scope(s): {' '.join(unknown)}", "scopes")
    return tuple(scopes)


def _validated_name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > 255:
        raise ValidationFailed("name must be 1 to 255 characters", "name")
    return name


def _validated_lifetime(seconds: int) -> int:
    if not 60 <= seconds <= 24 * 3600:
        raise ValidationFailed(
            "access_token_lifetime_seconds must be between 60 and 86400", "access_token_lifetime_seconds"
        )
    return seconds


def create_app(
    ctx: Context,
    conn: Connection,
    org_id: str,
    *,
    name: str,
    callback_urls: list[str],
    scopes: str,
    consumer_key: str | None = None,
    **policies: Any,
) -> tuple[ConnectedApp, str]:
    """Register an app; returns it with its consumer secret, which is never shown again.

    ``policies`` are any of ``POLICY_FIELDS`` (defaults: Salesforce's)."""
    name = _validated_name(name)
    if repo.app_by_name(conn, org_id, name) is not None:
        raise Conflict(f"a connected app named {name!r} already exists", "name")
    secret = new_consumer_secret()
    now = ctx.now_ms()
    app = ConnectedApp(
        id=new_id(KeyPrefix.CONNECTED_APP),
        org_id=org_id,
        name=name,
        consumer_key=consumer_key or _new_consumer_key(),
        consumer_secret_encrypted=ctx.box.encrypt(secret),
        callback_urls=_validated_callbacks(callback_urls),
        scopes=_validated_scopes(scopes),
        is_enabled=True,
        require_secret_for_web_server=True,
        require_pkce=False,
        access_token_lifetime_seconds=DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS,
        created_ms=now,
        modified_ms=now,
    )
    app = replace(app, **_validated_changes(conn, app, policies))
    repo.insert_app(conn, app)
    return app, secret


def find_app(conn: Connection, org_id: str, ref: str) -> ConnectedApp:
    """An app by record ID (15 or 18 characters), consumer key or name."""
    app = None
    with suppress(InvalidId):
        app = repo.app_by_id(conn, normalize_id(ref, KeyPrefix.CONNECTED_APP))
    app = app or repo.app_by_consumer_key(conn, ref) or repo.app_by_name(conn, org_id, ref)
    if app is None or app.org_id != org_id:
        raise NotFound(f"no connected app {ref!r}")
    return app


def _check_types(changes: dict[str, Any]) -> None:
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationFailed(f"unknown or read-only field(s): {', '.join(sorted(unknown))}")
    for key, value in changes.items():
        expected = UPDATABLE_FIELDS[key]
        if value is None and key in _NULLABLE:
            continue
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ValidationFailed(f"{key} must be a {expected.__name__}", key)


def _validated_certificate(pem: str | None) -> str | None:
    """An X.509 certificate in PEM with an RSA key (the JWT bearer flow verifies RS256 with it)."""
    if pem is None:
        return None
    try:
        certificate = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise ValidationFailed("certificate_pem is not a PEM X.509 certificate", "certificate_pem") from exc
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise ValidationFailed("the certificate must hold an RSA public key (RS256)", "certificate_pem")
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _one_of(field: str, allowed: tuple[str, ...]) -> Callable[[Connection, str, Any], Any]:
    def check(conn: Connection, org_id: str, value: Any) -> Any:
        if value not in allowed:
            raise ValidationFailed(f"{field} must be one of {', '.join(allowed)}", field)
        return value

    return check


def _validity(conn: Connection, org_id: str, value: int | None) -> int | None:
    if value is not None and value < 60:
        raise ValidationFailed(
            "refresh_token_validity_seconds must be at least 60", "refresh_token_validity_seconds"
        )
    return value


def _as_is(conn: Connection, org_id: str, value: Any) -> Any:
    return value


# Field -> (column, check). The check gets the connection and org for fields that refer to records.
_FIELD_CHECKS: dict[str, tuple[str, Callable[[Connection, str, Any], Any]]] = {
    "callback_urls": ("callback_urls", lambda c, o, v: _validated_callbacks(v)),
    "scopes": ("scopes", lambda c, o, v: _validated_scopes(v)),
    "access_token_lifetime_seconds": (
        "access_token_lifetime_seconds",
        lambda c, o, v: _validated_lifetime(v),
    ),
    "certificate_pem": ("certificate_pem", lambda c, o, v: _validated_certificate(v)),
    "client_credentials_user": ("client_credentials_user_id", lambda c, o, v: _run_as_user(c, o, v)),
    "permitted_users": ("permitted_users", _one_of("permitted_users", PERMITTED_USERS_POLICIES)),
    "refresh_token_policy": ("refresh_token_policy", _one_of("refresh_token_policy", REFRESH_TOKEN_POLICIES)),
    "refresh_token_validity_seconds": ("refresh_token_validity_seconds", _validity),
    **{
        flag: (flag, _as_is)
        for flag in (
            "is_enabled",
            "require_secret_for_web_server",
            "require_pkce",
            "user_agent_flow_enabled",
            "device_flow_enabled",
            "client_credentials_enabled",
            "refresh_token_rotation",
            "jwt_access_tokens",
        )
    },
}


def _validated_changes(conn: Connection, app: ConnectedApp, changes: dict[str, Any]) -> dict[str, Any]:
    """Column values for ``changes`` (in UPDATABLE_FIELDS terms), each checked."""
    _check_types(changes)
    fields: dict[str, Any] = {}
    if "name" in changes:
        fields["name"] = _validated_name(changes["name"])
        other = repo.app_by_name(conn, app.org_id, fields["name"])
        if other is not None and other.id != app.id:
            raise Conflict(f"a connected app named {fields['name']!r} already exists", "name")
    if "callback_urls" in changes and not all(isinstance(u, str) for u in changes["callback_urls"]):
        raise ValidationFailed("callback_urls must be a list of strings", "callback_urls")
    for field, value in changes.items():
        if field in _FIELD_CHECKS:
            column, check = _FIELD_CHECKS[field]
            fields[column] = check(conn, app.org_id, value)
    merged = replace(app, **fields)
    if merged.refresh_token_policy != REFRESH_UNTIL_REVOKED and not merged.refresh_token_validity_seconds:
        raise ValidationFailed(
            f"refresh_token_policy {merged.refresh_token_policy!r} needs refresh_token_validity_seconds",
            "refresh_token_validity_seconds",
        )
    return fields


def _run_as_user(conn: Connection, org_id: str, ref: str | None) -> str | None:
    """The client credentials flow's run-as user: an active user of the org (or None to clear)."""
    if ref is None:
        return None
    user = None
    with suppress(InvalidId):
        user = repo.user_by_id(conn, normalize_id(ref, KeyPrefix.USER))
    user = user or repo.user_by_username(conn, ref)
    if user is None or user.org_id != org_id or not user.is_active:
        raise ValidationFailed(f"no active user {ref!r}", "client_credentials_user")
    return user.id


def update_app(ctx: Context, conn: Connection, app: ConnectedApp, changes: dict[str, Any]) -> ConnectedApp:
    updated = replace(app, modified_ms=ctx.now_ms(), **_validated_changes(conn, app, changes))
    repo.replace_app(conn, updated)
    return updated


def app_view(app: ConnectedApp, consumer_secret: str | None = None) -> dict[str, Any]:
    """The JSON shape of an app for the CLI and the admin API. The secret only at creation."""
    view: dict[str, Any] = {
        "id": app.id,
        "name": app.name,
        "consumer_key": app.consumer_key,
        "callback_urls": list(app.callback_urls),
        "scopes": " ".join(app.scopes),
        "is_enabled": app.is_enabled,
        "require_secret_for_web_server": app.require_secret_for_web_server,
        "require_pkce": app.require_pkce,
        "access_token_lifetime_seconds": app.access_token_lifetime_seconds,
        "user_agent_flow_enabled": app.user_agent_flow_enabled,
        "device_flow_enabled": app.device_flow_enabled,
        "client_credentials_enabled": app.client_credentials_enabled,
        "client_credentials_user_id": app.client_credentials_user_id,
        "jwt_bearer_enabled": app.jwt_bearer_enabled,
        "certificate_pem": app.certificate_pem,
        "permitted_users": app.permitted_users,
        "refresh_token_policy": app.refresh_token_policy,
        "refresh_token_validity_seconds": app.refresh_token_validity_seconds,
        "refresh_token_rotation": app.refresh_token_rotation,
        "jwt_access_tokens": app.jwt_access_tokens,
        # Staged secret rotation: whether the old secret still authenticates, and since when the
        # current one exists (None: never rotated). Named so that no listing ever says "consumer_secret".
        "old_secret_active": app.previous_consumer_secret_encrypted is not None,
        "secret_rotated_ms": app.consumer_secret_rotated_ms,
        "created_ms": app.created_ms,
        "modified_ms": app.modified_ms,
    }
    if consumer_secret is not None:
        view["consumer_secret"] = consumer_secret
    return view
