"""Token introspection (RFC 7662): ``POST /services/oauth2/introspect`` (salesforce-wire.md §10.2).

- The caller authenticates as a connected app with its consumer key and secret (body or HTTP Basic);
  a missing or wrong secret is refused like at the token endpoint, before the token is even looked at.
- An app may introspect only its own tokens (Salesforce's default; ``isIntrospectAllTokens`` is not
  modelled). Another app's token, an unknown, malformed, expired or revoked one, a refresh token
  expired under its app's policy or retired by rotation, a token of an inactive user, and a token
  of the username-password flow (Salesforce: "not introspectable") all answer exactly
  ``{"active": false}``: nothing tells them apart.
- An active token answers Salesforce's fields: ``active``, ``scope``, ``client_id``, ``username``,
  ``sub`` (the identity URL, like the id_token's and userinfo's), ``token_type`` (``access_token``
  or ``refresh_token``, not ``Bearer``), ``exp`` (absent for a refresh token valid until revoked),
  ``iat`` and ``nbf`` in seconds.
"""

from __future__ import annotations

from typing import Any

from forcegate.context import Context
from forcegate.domain import ConnectedApp
from forcegate.flows.common import Caller
from forcegate.flows.refresh_token import refresh_token_expiry_ms as refresh_expiry_ms
from forcegate.flows.revocation import authenticate_client
from forcegate.flows.username_password import FLOW as USERNAME_PASSWORD_FLOW
from forcegate.protocol.token_management import TokenManagementRequest
from forcegate.protocol.tokens import identity_url
from forcegate.secrets_box import token_hash
from forcegate.storage import refresh_tokens
from forcegate.storage import token_lifecycle as store

__all__ = ["FLOW", "INACTIVE", "introspect"]

FLOW = "introspection"
INACTIVE: dict[str, Any] = {"active": False}


def introspect(ctx: Context, request: TokenManagementRequest, caller: Caller, org_id: str) -> dict[str, Any]:
    app = authenticate_client(ctx, request, caller, org_id, FLOW, required=True)
    if request.token is None:
        # RFC 7662 §2.1: ``token`` is required. An over-long one was dropped by the parser: inactive.
        return dict(INACTIVE)
    hint = (
        request.token_type_hint
        if request.token_type_hint in (store.ACCESS_TOKEN, store.REFRESH_TOKEN)
        else None
    )
    with ctx.db.read() as conn:
        stored = store.find_token(conn, token_hash(request.token), hint)
        expires_ms = _expiry(conn, app, stored, ctx.now_ms()) if stored is not None else None
    now = ctx.now_ms()
    if stored is None or not _is_active(app, stored, expires_ms, now):
        return dict(INACTIVE)
    issued_s = stored.issued_ms // 1000
    body: dict[str, Any] = {
        "active": True,
        "scope": " ".join(stored.scopes),
        "client_id": app.consumer_key,
        "username": stored.username,
        "sub": identity_url(caller.origin, stored.org_id, stored.user_id),
        "token_type": stored.kind,
    }
    if expires_ms is not None:
        body["exp"] = expires_ms // 1000
    body.update(iat=issued_s, nbf=issued_s)
    return body


def _expiry(conn: Any, app: ConnectedApp, stored: store.StoredToken, now_ms: int) -> int | None:
    """When the token stops working: an access token's expiry, or for a refresh token the deadline
    of its app's current policy (None: valid until revoked), as the refresh token flow decides it."""
    if stored.kind == store.ACCESS_TOKEN:
        return stored.expires_ms
    refresh = refresh_tokens.find_by_hash(conn, stored.token_hash)
    return refresh_expiry_ms(app, refresh) if refresh is not None else now_ms


def _is_active(app: ConnectedApp, stored: store.StoredToken, expires_ms: int | None, now_ms: int) -> bool:
    return (
        stored.app_id == app.id
        and not stored.is_revoked
        and stored.rotated_ms is None
        and stored.user_is_active
        and stored.flow != USERNAME_PASSWORD_FLOW
        and (expires_ms is None or expires_ms > now_ms)
    )
