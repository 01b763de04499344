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
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import (
    REFRESH_UNTIL_REVOKED,
    ConnectedApp,
)
from forcegate.ids import InvalidId, KeyPrefix, new_id, normalize_id
from forcegate.org import audit
from forcegate.org.audit import Actor
from forcegate.org.errors import Conflict, NotFound, ValidationFailed
from forcegate.protocol.callbacks import InvalidCallbackUrl, validate_callback_url
from forcegate.protocol.scopes import parse_scope, unknown_scopes
from forcegate.resources import connected_app as declared
from forcegate.resources.connected_app import ConnectedAppSettings
from forcegate.storage import repositories as repo

__all__ = [
    "PLATFORM_CLI",
    "app_view",
    "create_app",
    "delete_app",
    "find_app",
    "new_consumer_secret",
    "update_app",
]

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

# Fields an admin may set at creation and change after it: declared, with their rules, in
# ``forcegate.resources.connected_app``.
UPDATABLE_FIELDS = tuple(ConnectedAppSettings.model_fields)
POLICY_FIELDS = declared.POLICY_FIELDS


def _new_consumer_key() -> str:
    return "3MVG9" + "".join(secrets.choice(_BASE62) for _ in range(80))


def new_consumer_secret() -> str:
    return secrets.token_hex(32).upper()


def _validated_callbacks(urls: list[str]) -> tuple[str, ...]:
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


def create_app(
    ctx: Context,
    conn: Connection,
    org_id: str,
    *,
    name: str,
    callback_urls: list[str],
    scopes: str,
    consumer_key: str | None = None,
    actor: Actor,
    **policies: Any,
) -> tuple[ConnectedApp, str]:
    """Register an app; returns it with its consumer secret, which is never shown again.

    ``policies`` are any of ``POLICY_FIELDS`` (defaults: Salesforce's)."""
    values = declared.CREATE.validate(
        {"name": name, "callback_urls": callback_urls, "scopes": scopes, **policies}
    )
    name = values.pop("name")
    if repo.app_by_name(conn, org_id, name) is not None:
        raise Conflict(f"a connected app named {name!r} already exists", "name")
    secret = new_consumer_secret()
    now = ctx.now_ms()
    defaults = declared.defaults()
    app = ConnectedApp(
        id=new_id(KeyPrefix.CONNECTED_APP),
        org_id=org_id,
        name=name,
        consumer_key=consumer_key or _new_consumer_key(),
        consumer_secret_encrypted=ctx.box.encrypt(secret),
        callback_urls=_validated_callbacks(values.pop("callback_urls")),
        scopes=_validated_scopes(values.pop("scopes")),
        is_enabled=defaults["is_enabled"],
        require_secret_for_web_server=defaults["require_secret_for_web_server"],
        require_pkce=defaults["require_pkce"],
        access_token_lifetime_seconds=defaults["access_token_lifetime_seconds"],
        created_ms=now,
        modified_ms=now,
    )
    app = replace(app, **_checked_changes(conn, app, values))
    repo.insert_app(conn, app)
    audit.record(
        conn, now, org_id, actor, section=audit.CONNECTED_APPS, action="connected_app.created",
        target=app.name, display=f'Created connected app "{app.name}"',
        changes=audit.diff({}, audited_fields(app), AUDITED_FIELDS),
    )  # fmt: skip
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


# Field -> (column, check) where the value needs the org or a parser beyond its declared type and
# bounds; other fields are stored as declared.
_FIELD_CHECKS: dict[str, tuple[str, Callable[[Connection, str, Any], Any]]] = {
    "callback_urls": ("callback_urls", lambda c, o, v: _validated_callbacks(v)),
    "scopes": ("scopes", lambda c, o, v: _validated_scopes(v)),
    "certificate_pem": ("certificate_pem", lambda c, o, v: _validated_certificate(v)),
    "client_credentials_user": ("client_credentials_user_id", lambda c, o, v: _run_as_user(c, o, v)),
}


def _validated_changes(conn: Connection, app: ConnectedApp, changes: dict[str, Any]) -> dict[str, Any]:
    """Column values for ``changes`` (in UPDATABLE_FIELDS terms), each checked."""
    return _checked_changes(conn, app, declared.UPDATE.validate(changes))


def _checked_changes(conn: Connection, app: ConnectedApp, changes: dict[str, Any]) -> dict[str, Any]:
    """Column values for ``changes``, already valid as declared: the checks that need the org."""
    fields: dict[str, Any] = {}
    if "name" in changes:
        fields["name"] = changes["name"]
        other = repo.app_by_name(conn, app.org_id, fields["name"])
        if other is not None and other.id != app.id:
            raise Conflict(f"a connected app named {fields['name']!r} already exists", "name")
    for field, value in changes.items():
        column, check = _FIELD_CHECKS.get(field, (field, None))
        if field != "name":
            fields[column] = check(conn, app.org_id, value) if check else value
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


def update_app(
    ctx: Context, conn: Connection, app: ConnectedApp, changes: dict[str, Any], *, actor: Actor
) -> ConnectedApp:
    """Apply an admin's changes: one audit entry lists every field that changed, old and new."""
    now = ctx.now_ms()
    updated = replace(app, modified_ms=now, **_validated_changes(conn, app, changes))
    repo.replace_app(conn, updated)
    changed = audit.diff(audited_fields(app), audited_fields(updated), AUDITED_FIELDS)
    if changed:
        audit.record(
            conn, now, app.org_id, actor, section=audit.CONNECTED_APPS, action="connected_app.updated",
            target=updated.name, display=audit.described(f'connected app "{updated.name}"', changed),
            changes=changed,
        )  # fmt: skip
    return updated


def delete_app(ctx: Context, conn: Connection, app: ConnectedApp, *, actor: Actor) -> None:
    """Delete the app; its tokens go with it."""
    repo.delete_app(conn, app.id)
    audit.record(
        conn, ctx.now_ms(), app.org_id, actor, section=audit.CONNECTED_APPS,
        action="connected_app.deleted", target=app.name, display=f'Deleted connected app "{app.name}"',
    )  # fmt: skip


def certificate_fingerprint(pem: str | None) -> str | None:
    """How the audit trail names a certificate: ``SHA-256 AB:CD:…`` (never the PEM itself)."""
    if pem is None:
        return None
    digest = x509.load_pem_x509_certificate(pem.encode()).fingerprint(hashes.SHA256())
    return "SHA-256 " + ":".join(f"{b:02X}" for b in digest)


# What the audit trail compares between an app's versions: its view, without what changes on every
# write (modified_ms) or is not a setting, the certificate by its fingerprint.
AUDITED_FIELDS = tuple(
    f
    for f in (*UPDATABLE_FIELDS, "consumer_key", "client_credentials_user_id")
    if f not in ("client_credentials_user",)
)


def audited_fields(app: ConnectedApp) -> dict[str, Any]:
    view = app_view(app)
    view["certificate_pem"] = certificate_fingerprint(app.certificate_pem)
    return view


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
