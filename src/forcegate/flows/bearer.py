"""The bearer check: the hot path of every protected call, written once for the data API, the admin
API, userinfo, the identity URL (and SOAP's ``logout``).

One SHA-256 and one indexed lookup (joined with the user and the app, so deactivation and disabling
take effect at once). Nothing is cached in process memory: any server process answers the same. A
token longer than :data:`~forcegate.protocol.token_management.MAX_TOKEN_LENGTH` (the limit the
revocation and introspection endpoints apply too) is refused before any database work.

JWT access tokens (apps with ``jwt_access_tokens``) take the same path: they are stored by the hash of
the whole token like opaque ones, so revocation and expiry here apply to them at once. Their
signature is for resource servers elsewhere (which check it against /id/keys); here a row found by
hash already proves the token was issued by us, so verifying it too would only add ~50 µs of RSA.

The check raises :class:`InvalidSession`; each surface answers it in its own words (the web modules
map :attr:`InvalidSession.not_for_api` to Salesforce's two INVALID_SESSION_ID messages).
"""

from __future__ import annotations

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import AccessTokenGrant, User
from forcegate.protocol.token_management import MAX_TOKEN_LENGTH
from forcegate.secrets_box import token_hash
from forcegate.storage import repositories as repo

__all__ = [
    "API_SCOPES",
    "InvalidSession",
    "active_grant",
    "admissible_token",
    "authenticate",
    "authenticate_with_user",
    "bearer_token",
    "presented_token",
    "validate_access_token",
]

# The scopes that admit a token to the REST APIs (data and admin); userinfo and identity need none.
API_SCOPES = frozenset({"api", "full"})


class InvalidSession(Exception):
    """No usable session. ``not_for_api``: the token is valid but lacks ``api``/``full`` scope;
    otherwise it is missing, too long, unknown, expired or revoked (answered alike, so a caller learns
    nothing about which)."""

    def __init__(self, not_for_api: bool = False) -> None:
        super().__init__("token lacks api scope" if not_for_api else "no valid access token")
        self.not_for_api = not_for_api


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` (or Salesforce's older ``OAuth``) header."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() not in ("bearer", "oauth") or not token.strip():
        return None
    return token.strip()


def presented_token(authorization: str | None, query_token: str | None = None) -> str | None:
    """The header's token, else ``query_token`` (the identity URL's ``?oauth_token=``, for jsforce)."""
    token = bearer_token(authorization)
    return query_token if token is None else token


def admissible_token(token: str | None) -> str:
    """``token`` if it may be one of ours; checked before any database work."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidSession
    return token


def active_grant(ctx: Context, conn: Connection, token: str, *, needs_api: bool = False) -> AccessTokenGrant:
    """The grant of an admissible token, read in the caller's transaction (the data API reads the
    user's access in the same one)."""
    grant = repo.active_access_token(conn, token_hash(token), ctx.now_ms())
    if grant is None:
        raise InvalidSession
    if needs_api and not grant.scopes & API_SCOPES:
        raise InvalidSession(not_for_api=True)
    return grant


def authenticate(ctx: Context, token: str | None, *, needs_api: bool = False) -> AccessTokenGrant:
    """The grant of a presented token, in a read transaction of its own."""
    token = admissible_token(token)
    with ctx.db.read() as conn:
        return active_grant(ctx, conn, token, needs_api=needs_api)


def authenticate_with_user(ctx: Context, token: str | None) -> tuple[AccessTokenGrant, User]:
    """The grant and its user, read in one transaction (userinfo and identity URLs need both)."""
    token = admissible_token(token)
    with ctx.db.read() as conn:
        grant = active_grant(ctx, conn, token)
        user = repo.user_by_id(conn, grant.user_id)
    if user is None:
        raise InvalidSession
    return grant, user


def validate_access_token(ctx: Context, token: str | None) -> AccessTokenGrant | None:
    """The grant, or None: for SOAP's ``logout``, which answers its own fault."""
    try:
        return authenticate(ctx, token)
    except InvalidSession:
        return None
