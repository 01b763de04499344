"""What the flows share: who is calling, login history, client authentication and token issuance."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import LOGIN_SUCCESS, REMOTE_ACCESS_LOGIN, ConnectedApp, LoginAttempt, User
from forcegate.flows import openid, throttle
from forcegate.protocol.errors import AppBlocked, InvalidClient, InvalidClientId, OAuthError
from forcegate.protocol.scopes import grants_refresh_token
from forcegate.protocol.tokens import IssuedTokens, new_access_token, new_refresh_token
from forcegate.secrets_box import constant_time_equals, token_hash
from forcegate.storage import repositories as repo

__all__ = [
    "SUCCESS",
    "Caller",
    "check_client_secret",
    "failure_status",
    "find_client",
    "insert_login",
    "issue_tokens",
    "record_login",
]

log = logging.getLogger("forcegate.flows")

SUCCESS = LOGIN_SUCCESS  # login history's status of a successful login


@dataclass(frozen=True)
class Caller:
    """The request's origin as the web layer determined it (trusted-proxy aware)."""

    origin: str  # public URL: issuer, instance_url, identity URLs
    ip: str
    user_agent: str


def record_login(
    ctx: Context,
    caller: Caller,
    *,
    org_id: str,
    status: str,
    flow: str,
    username: str = "",
    user: User | None = None,
    app: ConnectedApp | None = None,
    login_type: str = REMOTE_ACCESS_LOGIN,
) -> None:
    """One row of login history, in a short transaction of its own: a refusal (whose grant
    transaction was rolled back) or a login that issues no token (the login page).

    A grant's success is never recorded here: ``insert_login`` writes it in the transaction that
    issues the tokens (``forcegate.flows.grants``), so there is no token without its history row.
    Refusals are budgeted per client IP (``throttle.record_status``), so a flood of them cannot bury
    the real attempts.
    """
    with ctx.db.write() as conn:
        insert_login(
            ctx,
            conn,
            caller,
            org_id=org_id,
            status=status,
            flow=flow,
            username=username,
            user=user,
            app=app,
            login_type=login_type,
        )


def insert_login(
    ctx: Context,
    conn: Connection,
    caller: Caller,
    *,
    org_id: str,
    status: str,
    flow: str,
    username: str = "",
    user: User | None = None,
    app: ConnectedApp | None = None,
    login_type: str = REMOTE_ACCESS_LOGIN,
) -> None:
    """One row of login history in the caller's transaction (``conn``): it commits with what the
    login issued, or not at all."""
    attempt = LoginAttempt(
        org_id=org_id,
        username=user.username if user else username,
        user_id=user.id if user else None,
        app_id=app.id if app else None,
        app_name=app.name if app else None,
        flow=flow,
        source_ip=caller.ip,
        user_agent=caller.user_agent,
        status=status,
        login_type=login_type,
    )
    recorded: str | None = status
    if status != SUCCESS:
        recorded = throttle.record_status(ctx, conn, attempt.source_ip, attempt.status)
    if recorded is not None:
        repo.insert_login(conn, replace(attempt, status=recorded), ctx.now_ms())
    log.info(
        "login %s flow=%s user_id=%s app=%s ip=%s", status, flow, attempt.user_id, attempt.app_name, caller.ip
    )


def find_client(conn: Connection, client_id: str | None) -> ConnectedApp:
    """The enabled app a token request names."""
    app = repo.app_by_consumer_key(conn, client_id) if client_id else None
    if app is None:
        raise InvalidClientId.with_reason("unknown consumer key")
    if not app.is_enabled:
        raise AppBlocked.with_reason("connected app disabled")
    return app


def check_client_secret(ctx: Context, app: ConnectedApp, client_secret: str | None, *, required: bool) -> str:
    """The app's decrypted consumer secret, after checking the one the client sent.

    A secret, when sent, is always checked (even if the flow does not require one), in constant time.
    While a rotation is staged the previous secret is accepted too, and returned when it is the one
    sent, so the response ``signature`` verifies with the secret the client holds.
    """
    secret = ctx.box.decrypt(app.consumer_secret_encrypted)
    if client_secret is None:
        if required:
            raise InvalidClient.with_reason("client secret missing")
    elif not constant_time_equals(client_secret, secret):
        if app.previous_consumer_secret_encrypted is None:
            raise InvalidClient.with_reason("wrong client secret")
        previous = ctx.box.decrypt(app.previous_consumer_secret_encrypted)
        if not constant_time_equals(client_secret, previous):
            raise InvalidClient.with_reason("wrong client secret")
        return previous
    return secret


def issue_tokens(
    ctx: Context,
    conn: Connection,
    *,
    app: ConnectedApp,
    user: User,
    scopes: list[str],
    flow: str,
    authorization_id: str | None = None,
    mint_refresh_token: bool | None = None,
    issuer: str | None = None,
    id_token: openid.IdTokenRequest | None = None,
) -> IssuedTokens:
    """Mint an access token (and a refresh token when the scopes grant one) under one authorization.

    ``mint_refresh_token`` overrides that rule: False never mints one (the refresh token flow, which
    keeps the presented refresh token or mints its rotated successor itself), True always does.
    Only hashes are stored. Returns the clear tokens, which exist nowhere else afterwards.

    ``issuer`` (the public URL) lets the app's JWT access tokens be minted (else they are opaque);
    ``id_token`` asks for an id_token, minted when ``openid`` is granted.
    """
    now = ctx.now_ms()
    if authorization_id is None:
        authorization_id = repo.insert_authorization(conn, user.org_id, app.id, user.id, flow, scopes, now)
    common = {
        "org_id": user.org_id,
        "authorization_id": authorization_id,
        "app_id": app.id,
        "user_id": user.id,
        "scopes": " ".join(scopes),
        "issued_ms": now,
    }
    if app.jwt_access_tokens and issuer is not None:
        access_token = openid.jwt_access_token(
            ctx, app=app, user=user, scopes=scopes, issuer=issuer, now_ms=now
        )
    else:
        access_token = new_access_token(user.org_id)
    repo.insert_access_token(
        conn,
        {
            **common,
            "token_hash": token_hash(access_token),
            "expires_ms": now + app.access_token_lifetime_seconds * 1000,
        },
    )
    if mint_refresh_token is None:
        mint_refresh_token = grants_refresh_token(scopes)
    refresh_token = None
    if mint_refresh_token:
        refresh_token = new_refresh_token()
        repo.insert_refresh_token(conn, {**common, "token_hash": token_hash(refresh_token)})
    signed_id_token = None
    if id_token is not None and issuer is not None and "openid" in scopes:
        signed_id_token = openid.id_token(
            ctx,
            conn,
            app=app,
            user=user,
            issuer=issuer,
            access_token=access_token,
            authorization_id=authorization_id,
            request=id_token,
            now_ms=now,
        )
    return IssuedTokens(access_token, refresh_token, scopes, now, user.org_id, user.id, signed_id_token)


def failure_status(error: OAuthError) -> str:
    """Login-history status for a refused token request."""
    return _STATUS_BY_REASON.get(error.reason, "Failed: " + error.description)


_STATUS_BY_REASON = {
    "unknown consumer key": "Failed: Invalid Client Id",
    "wrong client secret": "Failed: Invalid Client Credentials",
    "client secret missing": "Failed: Invalid Client Credentials",
    "connected app disabled": "Failed: App Blocked",
}
