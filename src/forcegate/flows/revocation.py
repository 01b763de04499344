"""Token revocation: ``POST /services/oauth2/revoke`` (form field ``token``) and Salesforce's
``GET /services/oauth2/revoke?token=`` (salesforce-wire.md §10.1; RFC 7009).

- Revoking an access token ends that session only; revoking a refresh token revokes its whole
  family: the refresh token, its rotated successors and every access token issued from them.
- No client authentication is required (jsforce and the Mobile SDK send only the token). A caller
  that does name a client (openid-client authenticates on revoke) is authenticated like at the token
  endpoint, and may then revoke only that client's tokens.
- Success is exactly 200 with an empty body. Anything there is nothing left to revoke for (unknown,
  malformed, an expired access token, already revoked, another client's) gets the same 400
  ``invalid_token``, from the same lookups, so the answer never tells a dead token from one that never
  existed. An unknown ``token_type_hint`` gets 400 ``unsupported_token_type``.
- A refresh token retired by rotation or expired under its app's policy still heads a family whose
  access tokens may be live: revoking it revokes the family (a retired one presented at the token
  endpoint would too).
"""

from __future__ import annotations

import logging

from forcegate.context import Context
from forcegate.domain import ConnectedApp
from forcegate.flows.common import Caller, check_client_secret, failure_status, find_client, record_login
from forcegate.protocol.errors import OAuthError
from forcegate.protocol.token_management import (
    TOKEN_TYPE_HINTS,
    InvalidToken,
    TokenManagementRequest,
    UnsupportedTokenType,
)
from forcegate.secrets_box import token_hash
from forcegate.storage import repositories as repo
from forcegate.storage import token_lifecycle as store

__all__ = ["FLOW", "authenticate_client", "revoke"]

FLOW = "revocation"

log = logging.getLogger("forcegate.flows")


def authenticate_client(
    ctx: Context, request: TokenManagementRequest, caller: Caller, org_id: str, flow: str, *, required: bool
) -> ConnectedApp:
    """The client a revocation or introspection request authenticates as. A refusal lands in login
    history (someone may be guessing secrets); a success does not, as no one logs in."""
    app = None
    try:
        with ctx.db.read() as conn:
            app = find_client(conn, request.client_id)
        check_client_secret(ctx, app, request.client_secret, required=required)
    except OAuthError as error:
        record_login(
            ctx,
            caller,
            org_id=app.org_id if app else org_id,
            status=failure_status(error),
            flow=flow,
            username="",
            app=app,
        )
        raise
    return app


def revoke(ctx: Context, request: TokenManagementRequest, caller: Caller, org_id: str) -> None:
    """Revoke the presented token (and, for a refresh token, its family); raise ``InvalidToken``
    for anything that is not a live token (of the authenticated client, when one is named)."""
    if request.token_type_hint is not None and request.token_type_hint not in TOKEN_TYPE_HINTS:
        raise UnsupportedTokenType.with_reason("unknown token_type_hint")
    app = (
        authenticate_client(ctx, request, caller, org_id, FLOW, required=False)
        if request.authenticates
        else None
    )
    if request.token is None:
        raise InvalidToken.with_reason("token missing or too long")
    hashed = token_hash(request.token)
    with ctx.db.read() as conn:
        stored = store.find_token(conn, hashed, request.token_type_hint)
    now = ctx.now_ms()
    if stored is None:
        raise InvalidToken.with_reason("unknown token")
    if app is not None and stored.app_id != app.id:
        raise InvalidToken.with_reason("token of another client")
    if stored.is_revoked:
        raise InvalidToken.with_reason("token already revoked")
    if stored.kind == store.ACCESS_TOKEN:
        if stored.expires_ms is not None and stored.expires_ms <= now:
            raise InvalidToken.with_reason("access token expired")
        with ctx.db.write() as conn:
            if not store.revoke_access_token(conn, hashed, now):
                raise InvalidToken.with_reason("access token revoked concurrently")
        return
    with ctx.db.write() as conn:
        repo.revoke_authorization(conn, stored.authorization_id, now)
    # A record id, not a secret: the token itself is never logged.
    log.info("refresh token revoked: authorization %s and its tokens", stored.authorization_id)
