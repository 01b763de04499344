"""The refresh token flow (RFC 6749 §6), Salesforce's dialect.

``POST /services/oauth2/token`` with ``grant_type=refresh_token``, ``refresh_token``, ``client_id``
and ``client_secret`` (body or HTTP Basic), optionally ``scope`` (to narrow, never widen, the grant);
a ``code_verifier`` or ``format`` sent along is ignored (jsforce sends one). salesforce-wire.md §7, §2;
client-compatibility.md ("Refresh responses").

- The secret is required when the app is confidential (``require_secret_for_web_server``); a public
  app such as PlatformCLI refreshes without one, as the Salesforce CLI does. A secret that is sent is
  always checked.
- The app's refresh token policy (Salesforce's ``oauthPolicy.refreshTokenPolicy``) is evaluated at use
  time with the app's *current* settings: valid until revoked, expire after a lifetime, or expire
  when unused for a while.
- The response is Salesforce's token response without ``refresh_token`` — jsforce and the Salesforce
  CLI keep the one they have — unless the app turns rotation on: then every use returns a successor
  and retires the presented token, and presenting a retired token again revokes the whole family
  (OAuth 2.0 Security BCP §4.14.2), since someone else may hold it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import REFRESH_EXPIRE_AFTER, REFRESH_EXPIRE_IF_UNUSED, ConnectedApp, User
from forcegate.flows.common import issue_tokens
from forcegate.flows.grants import Attempt, ClientAuthentication, Grant
from forcegate.flows.openid import IdTokenRequest
from forcegate.org.access import user_may_use_app
from forcegate.protocol.errors import ExpiredRefreshToken, InactiveUser, InvalidScope, NotAdminApproved
from forcegate.protocol.scopes import parse_scope
from forcegate.protocol.tokens import IssuedTokens, new_refresh_token, token_response
from forcegate.secrets_box import token_hash
from forcegate.storage import refresh_tokens as store
from forcegate.storage import repositories as repo

__all__ = ["GRANT", "refresh", "refresh_token_expiry_ms"]

FLOW = "refresh_token"

# The refusals (protocol/errors.py): ExpiredRefreshToken for every refresh token that cannot be used,
# so a client learns nothing about which; a missing refresh_token gets it too (a jsforce report shows
# Salesforce answering it for an undefined token). invalid_client_id, invalid_client and app_blocked
# come from the runner's client authentication.


def _refresh(ctx: Context, conn: Connection, attempt: Attempt) -> dict[str, Any]:
    """A new access token in the same family. RFC 6749 §6: the runner authenticated the client first,
    so a caller without the secret of a confidential app cannot even probe (or, with a retired token,
    revoke) its refresh tokens."""
    app, request, caller = attempt.app, attempt.request, attempt.caller
    assert app is not None
    token = _presented_token(conn, app, request.refresh_token)
    attempt.user = repo.user_by_id(conn, token.user_id)
    _check_live(token, attempt)
    now = ctx.now_ms()
    _check_policy(app, token, now)
    user = _active_user(attempt.user)
    if user_may_use_app(conn, app, user) is False:
        # Admin-approved app whose assignment was removed since the grant: access ends with it.
        raise NotAdminApproved.with_reason("user no longer pre-authorized for the admin-approved app")
    # The app's scopes as they are now: an admin who narrows an app narrows its live grants too.
    scopes = [s for s in _granted_scopes(token, request.scope) if s in app.scopes]
    if not scopes:
        raise InvalidScope.with_reason("the app no longer grants any of the token's scopes")
    rotate = app.refresh_token_rotation
    if not store.use_token(conn, token.token_hash, now, retire=rotate):
        # A concurrent request used (rotation) or revoked the token after we read it: treat it as the
        # reuse it is. Of two parallel refreshes with one token under rotation, only one can win.
        attempt.revoke_authorization_id = token.authorization_id
        raise ExpiredRefreshToken.with_reason("refresh token used concurrently")
    tokens = issue_tokens(
        ctx,
        conn,
        app=app,
        user=user,
        scopes=scopes,
        flow=FLOW,
        authorization_id=token.authorization_id,
        mint_refresh_token=False,  # the client keeps its refresh token, or gets the successor below
        issuer=caller.origin,
        id_token=IdTokenRequest(),  # no nonce; auth_time stays the original authentication's
    )
    if rotate:
        tokens = _with_successor(conn, tokens, token, now)
    return token_response(tokens, caller.origin, attempt.secret)


GRANT = Grant(
    flow=FLOW,
    grant_types=("refresh_token",),
    parameters=("client_id", "client_secret", "refresh_token", "scope"),
    client=ClientAuthentication.SECRET_IF_CONFIDENTIAL,
    issue=_refresh,
)
refresh = GRANT


# --- the checks, in order -------------------------------------------------------------------------


def _presented_token(conn: Connection, app: ConnectedApp, presented: str | None) -> store.RefreshToken:
    """The stored refresh token the request presents, if it is this app's."""
    if not presented:
        raise ExpiredRefreshToken.with_reason("refresh_token missing")
    token = store.find_by_hash(conn, token_hash(presented))
    if token is None:
        raise ExpiredRefreshToken.with_reason("unknown refresh token")
    if token.app_id != app.id:
        # Another client's token: refused like an unknown one, and not revoked (this client may be
        # the one that should not have it, but it cannot use it either).
        raise ExpiredRefreshToken.with_reason("refresh token of another app")
    return token


def _check_live(token: store.RefreshToken, attempt: Attempt) -> None:
    """Neither revoked nor retired. A retired token presented again means two parties hold it:
    revoke the whole family, access tokens included (Security BCP §4.14.2; Salesforce's rotation
    "deletes the current refresh token and its access tokens", salesforce-wire.md §7)."""
    if token.is_revoked:
        raise ExpiredRefreshToken.with_reason("refresh token revoked")
    if token.rotated_ms is not None:
        attempt.revoke_authorization_id = token.authorization_id
        raise ExpiredRefreshToken.with_reason("rotated refresh token reused")


def _check_policy(app: ConnectedApp, token: store.RefreshToken, now_ms: int) -> None:
    """The app's refresh token policy as it is now (Salesforce evaluates it only when a token is used)."""
    deadline = refresh_token_expiry_ms(app, token)
    if deadline is not None and now_ms >= deadline:
        raise ExpiredRefreshToken.with_reason(f"refresh token expired ({app.refresh_token_policy})")


def refresh_token_expiry_ms(app: ConnectedApp, token: store.RefreshToken) -> int | None:
    """When the token stops being usable under the app's policy; None: valid until revoked.

    "Expire after" is an absolute lifetime of the grant, counted from the family's creation, so
    rotation (which issues successors) cannot extend it. "Expire if unused" is a sliding window from
    the token's last use. A missing validity (the admin API refuses it) counts as zero: expire at once,
    as Salesforce's ``zero`` policy does, rather than forever.
    """
    validity_ms = (app.refresh_token_validity_seconds or 0) * 1000
    if app.refresh_token_policy == REFRESH_EXPIRE_AFTER:
        return token.family_created_ms + validity_ms
    if app.refresh_token_policy == REFRESH_EXPIRE_IF_UNUSED:
        return token.last_activity_ms + validity_ms
    return None


def _active_user(user: User | None) -> User:
    if user is None or not user.is_active:
        raise InactiveUser.with_reason("user inactive")
    return user


def _granted_scopes(token: store.RefreshToken, scope: str | None) -> list[str]:
    """RFC 6749 §6: ``scope`` may narrow the original grant, never widen it; absent, the original."""
    requested = parse_scope(scope)
    if not requested:
        return list(token.scopes)
    if not set(requested) <= set(token.scopes):
        raise InvalidScope.with_reason("scope wider than the original grant")
    return requested


# --- issuing ------------------------------------------------------------------------


def _with_successor(
    conn: Connection, tokens: IssuedTokens, previous: store.RefreshToken, now_ms: int
) -> IssuedTokens:
    """Rotation: mint the presented token's successor (same family and scopes, even when this request
    narrowed the access token's scopes) and hand it back with the access token."""
    successor = new_refresh_token()
    store.insert_successor(conn, previous, token_hash(successor), now_ms)
    return replace(tokens, refresh_token=successor)
