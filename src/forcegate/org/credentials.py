"""Incident response on credentials: staged consumer secret rotation, and revoking every token of a
user, of an app, or of a user for one app (the CLI and the admin API call these).

Secret rotation is staged as Salesforce stages it (salesforce-wire.md §12.2): ``rotate_secret``
generates a new secret, which is shown once and authenticates at once, while the old one keeps
working so clients can be moved over; ``revoke_old_secret`` then ends the old one. One rotation at a
time: a second ``rotate_secret`` before the old secret is revoked is refused, so a secret that some
client still holds is never dropped silently.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import ConnectedApp, User
from forcegate.org import audit
from forcegate.org.audit import Actor
from forcegate.org.connected_apps import new_consumer_secret
from forcegate.org.errors import InvalidOperation
from forcegate.storage import repositories as repo
from forcegate.storage import token_lifecycle

__all__ = ["revoke_old_secret", "revoke_tokens", "rotate_secret"]


def rotate_secret(
    ctx: Context, conn: Connection, app: ConnectedApp, *, actor: Actor
) -> tuple[ConnectedApp, str]:
    """Generate a new consumer secret; the current one becomes the old one and keeps working until
    ``revoke_old_secret``. Returns the app and the new secret (never shown again)."""
    if app.previous_consumer_secret_encrypted is not None:
        raise InvalidOperation(
            "an old consumer secret is still active: revoke it (apps revoke-old-secret) before rotating again"
        )
    secret = new_consumer_secret()
    now = ctx.now_ms()
    rotated = replace(
        app,
        consumer_secret_encrypted=ctx.box.encrypt(secret),
        previous_consumer_secret_encrypted=app.consumer_secret_encrypted,
        consumer_secret_rotated_ms=now,
        modified_ms=now,
    )
    repo.replace_app(conn, rotated)
    audit.record(
        conn, now, app.org_id, actor, section=audit.CONNECTED_APPS, action="connected_app.secret_rotated",
        target=app.name, display=f'Rotated the consumer secret of connected app "{app.name}"',
        changes=[audit.secret_changed("consumer_secret")],
    )  # fmt: skip
    return rotated, secret


def revoke_old_secret(ctx: Context, conn: Connection, app: ConnectedApp, *, actor: Actor) -> ConnectedApp:
    """End the old secret of a staged rotation: from now on only the new one authenticates."""
    if app.previous_consumer_secret_encrypted is None:
        raise InvalidOperation("no old consumer secret to revoke: rotate the secret first")
    now = ctx.now_ms()
    updated = replace(app, previous_consumer_secret_encrypted=None, modified_ms=now)
    repo.replace_app(conn, updated)
    audit.record(
        conn, now, app.org_id, actor, section=audit.CONNECTED_APPS,
        action="connected_app.old_secret_revoked", target=app.name,
        display=f'Revoked the old consumer secret of connected app "{app.name}"',
        changes=[audit.Change("old_secret_active", True, False)],
    )  # fmt: skip
    return updated


def revoke_tokens(
    ctx: Context,
    conn: Connection,
    org_id: str,
    *,
    user: User | None = None,
    app: ConnectedApp | None = None,
    actor: Actor,
) -> dict[str, Any]:
    """Revoke every grant of ``user``, of ``app``, or of ``user`` for ``app``: their access and
    refresh tokens stop working at once, and codes or device approvals not yet exchanged can no
    longer be. Returns what was revoked."""
    now = ctx.now_ms()
    counts = token_lifecycle.revoke_matching(
        conn, org_id, now, user_id=user.id if user else None, app_id=app.id if app else None
    )
    if app is not None:
        whose = (
            f' of user {user.username} for connected app "{app.name}"'
            if user
            else f' of connected app "{app.name}"'
        )
        section, action, target = audit.CONNECTED_APPS, "connected_app.tokens_revoked", app.name
    else:
        assert user is not None
        whose = f" of user {user.username}"
        section, action, target = audit.MANAGE_USERS, "user.tokens_revoked", user.username
    audit.record(
        conn, now, org_id, actor, section=section, action=action, target=target,
        display=f"Revoked the OAuth tokens{whose}",
    )  # fmt: skip
    return {
        "user_id": user.id if user else None,
        "username": user.username if user else None,
        "app_id": app.id if app else None,
        "app_name": app.name if app else None,
        "revoked": counts.as_json(),
    }
