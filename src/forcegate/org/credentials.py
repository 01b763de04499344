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
from forcegate.org.connected_apps import new_consumer_secret
from forcegate.org.errors import InvalidOperation
from forcegate.storage import repositories as repo
from forcegate.storage import token_lifecycle

__all__ = ["revoke_old_secret", "revoke_tokens", "rotate_secret"]


def rotate_secret(ctx: Context, conn: Connection, app: ConnectedApp) -> tuple[ConnectedApp, str]:
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
    return rotated, secret


def revoke_old_secret(ctx: Context, conn: Connection, app: ConnectedApp) -> ConnectedApp:
    """End the old secret of a staged rotation: from now on only the new one authenticates."""
    if app.previous_consumer_secret_encrypted is None:
        raise InvalidOperation("no old consumer secret to revoke: rotate the secret first")
    updated = replace(app, previous_consumer_secret_encrypted=None, modified_ms=ctx.now_ms())
    repo.replace_app(conn, updated)
    return updated


def revoke_tokens(
    ctx: Context, conn: Connection, org_id: str, *, user: User | None = None, app: ConnectedApp | None = None
) -> dict[str, Any]:
    """Revoke every grant of ``user``, of ``app``, or of ``user`` for ``app``: their access and
    refresh tokens stop working at once, and codes or device approvals not yet exchanged can no
    longer be. Returns what was revoked."""
    counts = token_lifecycle.revoke_matching(
        conn, org_id, ctx.now_ms(), user_id=user.id if user else None, app_id=app.id if app else None
    )
    return {
        "user_id": user.id if user else None,
        "username": user.username if user else None,
        "app_id": app.id if app else None,
        "app_name": app.name if app else None,
        "revoked": counts.as_json(),
    }
