"""What OpenID Connect adds to token issuance: the id_token, and JWT access tokens for apps that
choose them. ``flows.common.issue_tokens`` calls these; the flows say which of them apply.

An id_token comes with every grant of ``openid`` in the flows that authenticate a user for a client:
the Web Server flow, the User-Agent flow, the refresh token flow and the device flow. The JWT bearer,
username-password and client credentials flows answer without one, as Salesforce's samples show
(salesforce-wire.md §5, and their responses in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import ConnectedApp, User
from forcegate.keys import ID_TOKEN_LIFETIME_SECONDS
from forcegate.protocol.id_token import id_token_claims, jwt_access_token_claims
from forcegate.protocol.tokens import identity_url
from forcegate.secrets_box import random_token
from forcegate.storage import signing_keys as store

__all__ = ["IdTokenRequest", "id_token", "jwt_access_token"]


@dataclass(frozen=True)
class IdTokenRequest:
    """Asks ``issue_tokens`` for an id_token when ``openid`` is granted.

    ``auth_time_ms`` is when the user authenticated; None means the grant's recorded time (a refresh,
    whose id_token keeps the original authentication's ``auth_time``, OIDC Core §12.2). ``nonce`` is
    the authorize request's, exactly when it had one."""

    nonce: str | None = None
    auth_time_ms: int | None = None


def id_token(
    ctx: Context,
    conn: Connection,
    *,
    app: ConnectedApp,
    user: User,
    issuer: str,
    access_token: str,
    authorization_id: str,
    request: IdTokenRequest,
    now_ms: int,
) -> str:
    if request.auth_time_ms is None:
        auth_time_ms = store.auth_time(conn, authorization_id) or now_ms
    else:
        auth_time_ms = request.auth_time_ms
        store.set_auth_time(conn, authorization_id, auth_time_ms)
    claims = id_token_claims(
        issuer=issuer,
        subject=identity_url(issuer, user.org_id, user.id),
        client_id=app.consumer_key,
        issued_at_s=now_ms // 1000,
        lifetime_s=ID_TOKEN_LIFETIME_SECONDS,
        auth_time_s=auth_time_ms // 1000,
        nonce=request.nonce,
        access_token=access_token,
    )
    return ctx.keys.sign(claims)


def jwt_access_token(
    ctx: Context, *, app: ConnectedApp, user: User, scopes: list[str], issuer: str, now_ms: int
) -> str:
    """A signed access token any resource server can check against /id/keys. It is stored (by hash)
    like an opaque one, so revocation and expiry here still apply at once."""
    claims = jwt_access_token_claims(
        issuer=issuer,
        subject=identity_url(issuer, user.org_id, user.id),
        audience=issuer,
        client_id=app.consumer_key,
        scopes=scopes,
        issued_at_s=now_ms // 1000,
        lifetime_s=app.access_token_lifetime_seconds,
        jti=random_token(16),
    )
    # Salesforce's JWT access token header fields (tty, tnk, ver); typ stays "JWT", which is how the
    # Salesforce CLI recognises a JWT access token.
    header = {"tty": "sfdc-core-token", "tnk": f"core/prod/{user.org_id}", "ver": "1.0"}
    return ctx.keys.sign(claims, header)
