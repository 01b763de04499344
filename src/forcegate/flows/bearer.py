"""Bearer token validation: the hot path of every protected call.

One SHA-256 and one indexed lookup (joined with the user and the app, so deactivation and disabling
take effect at once). Nothing is cached in process memory: any server process answers the same.

JWT access tokens (apps with ``jwt_access_tokens``) take the same path: they are stored by the hash of
the whole token like opaque ones, so revocation and expiry here apply to them at once. Their
signature is for resource servers elsewhere (which check it against /id/keys); here a row found by
hash already proves the token was issued by us, so verifying it too would only add ~50 µs of RSA.
"""

from __future__ import annotations

from forcegate.context import Context
from forcegate.domain import AccessTokenGrant, User
from forcegate.secrets_box import token_hash
from forcegate.storage import repositories as repo

__all__ = ["bearer_token", "validate_access_token", "validate_access_token_for_user"]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` (or Salesforce's older ``OAuth``) header."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() not in ("bearer", "oauth") or not token.strip():
        return None
    return token.strip()


def validate_access_token(ctx: Context, token: str | None) -> AccessTokenGrant | None:
    if not token or len(token) > 4096:
        return None
    with ctx.db.read() as conn:
        return repo.active_access_token(conn, token_hash(token), ctx.now_ms())


def validate_access_token_for_user(ctx: Context, token: str | None) -> tuple[AccessTokenGrant, User] | None:
    """The grant and its user, read in one transaction (userinfo and identity URLs need both)."""
    if not token or len(token) > 4096:
        return None
    with ctx.db.read() as conn:
        grant = repo.active_access_token(conn, token_hash(token), ctx.now_ms())
        user = repo.user_by_id(conn, grant.user_id) if grant is not None else None
    return (grant, user) if grant is not None and user is not None else None
