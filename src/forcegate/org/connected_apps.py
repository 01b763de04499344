"""Connected apps: registration, policies, listing, update and deletion.

A consumer key is ``3MVG9`` plus 80 random base-62 characters, like Salesforce's; the consumer
secret is 64 random hex characters, returned once at creation and stored only encrypted under the
server key (the token response's ``signature`` is keyed by it, so it must be recoverable).
"""

from __future__ import annotations

import secrets
import string
from contextlib import suppress
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS, ConnectedApp
from forcegate.ids import InvalidId, KeyPrefix, new_id, normalize_id
from forcegate.org.errors import Conflict, NotFound, ValidationFailed
from forcegate.protocol.callbacks import InvalidCallbackUrl, validate_callback_url
from forcegate.protocol.scopes import parse_scope, unknown_scopes
from forcegate.storage import repositories as repo

__all__ = ["PLATFORM_CLI", "app_view", "create_app", "find_app", "update_app"]

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

# Fields an admin may change after creation, and the type each takes.
UPDATABLE_FIELDS: dict[str, type] = {
    "name": str,
    "callback_urls": list,
    "scopes": str,
    "is_enabled": bool,
    "require_secret_for_web_server": bool,
    "require_pkce": bool,
    "access_token_lifetime_seconds": int,
}


def _new_consumer_key() -> str:
    return "3MVG9" + "".join(secrets.choice(_BASE62) for _ in range(80))


def _new_consumer_secret() -> str:
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
    is_enabled: bool = True,
    require_secret_for_web_server: bool = True,
    require_pkce: bool = False,
    access_token_lifetime_seconds: int = DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS,
) -> tuple[ConnectedApp, str]:
    """Register an app; returns it with its consumer secret, which is never shown again."""
    name = _validated_name(name)
    if repo.app_by_name(conn, org_id, name) is not None:
        raise Conflict(f"a connected app named {name!r} already exists", "name")
    secret = _new_consumer_secret()
    now = ctx.now_ms()
    app = ConnectedApp(
        id=new_id(KeyPrefix.CONNECTED_APP),
        org_id=org_id,
        name=name,
        consumer_key=consumer_key or _new_consumer_key(),
        consumer_secret_encrypted=ctx.box.encrypt(secret),
        callback_urls=_validated_callbacks(callback_urls),
        scopes=_validated_scopes(scopes),
        is_enabled=is_enabled,
        require_secret_for_web_server=require_secret_for_web_server,
        require_pkce=require_pkce,
        access_token_lifetime_seconds=_validated_lifetime(access_token_lifetime_seconds),
        created_ms=now,
        modified_ms=now,
    )
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


def update_app(ctx: Context, conn: Connection, app: ConnectedApp, changes: dict[str, Any]) -> ConnectedApp:
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationFailed(f"unknown or read-only field(s): {', '.join(sorted(unknown))}")
    fields: dict[str, Any] = {}
    for key, value in changes.items():
        expected = UPDATABLE_FIELDS[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ValidationFailed(f"{key} must be a {expected.__name__}", key)
    if "name" in changes:
        fields["name"] = _validated_name(changes["name"])
        other = repo.app_by_name(conn, app.org_id, fields["name"])
        if other is not None and other.id != app.id:
            raise Conflict(f"a connected app named {fields['name']!r} already exists", "name")
    if "callback_urls" in changes:
        if not all(isinstance(u, str) for u in changes["callback_urls"]):
            raise ValidationFailed("callback_urls must be a list of strings", "callback_urls")
        fields["callback_urls"] = _validated_callbacks(changes["callback_urls"])
    if "scopes" in changes:
        fields["scopes"] = _validated_scopes(changes["scopes"])
    if "access_token_lifetime_seconds" in changes:
        fields["access_token_lifetime_seconds"] = _validated_lifetime(
            changes["access_token_lifetime_seconds"]
        )
    for flag in ("is_enabled", "require_secret_for_web_server", "require_pkce"):
        if flag in changes:
            fields[flag] = changes[flag]
    updated = replace(app, modified_ms=ctx.now_ms(), **fields)
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
        "created_ms": app.created_ms,
        "modified_ms": app.modified_ms,
    }
    if consumer_secret is not None:
        view["consumer_secret"] = consumer_secret
    return view
