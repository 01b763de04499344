"""The Client Credentials flow: a backend authenticates as its connected app and gets an access
token that acts as the app's run-as user (salesforce-wire.md §9.1).

Off unless the app enables it and names an active run-as user. No refresh token is ever issued;
``scope`` may narrow the app's scopes, never widen them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import ConnectedApp, User
from forcegate.flows.common import (
    Caller,
    check_client_secret,
    failure_status,
    find_client,
    issue_tokens,
    record_login,
)
from forcegate.protocol.errors import InvalidGrant, InvalidScope, OAuthError, UnsupportedGrantType
from forcegate.protocol.requests import TokenRequest
from forcegate.protocol.scopes import grants_refresh_token, parse_scope
from forcegate.protocol.tokens import token_response
from forcegate.storage import repositories as repo

__all__ = ["FLOW", "client_credentials_grant"]

FLOW = "client_credentials"
NoRunAsUser = InvalidGrant.with_description("no client credentials user enabled")


@dataclass
class _Attempt:
    app: ConnectedApp | None = None
    user: User | None = None


def client_credentials_grant(
    ctx: Context, request: TokenRequest, caller: Caller, org_id: str
) -> dict[str, Any]:
    attempt = _Attempt()
    try:
        with ctx.db.write() as conn:
            body = _grant(ctx, conn, request, caller, attempt)
            record_login(
                ctx,
                caller,
                org_id=org_id,
                status="Success",
                flow=FLOW,
                user=attempt.user,
                app=attempt.app,
                conn=conn,
            )
    except OAuthError as error:
        record_login(
            ctx,
            caller,
            org_id=org_id,
            status=failure_status(error),
            flow=FLOW,
            user=attempt.user,
            app=attempt.app,
        )
        raise
    return body


def _grant(
    ctx: Context, conn: Connection, request: TokenRequest, caller: Caller, attempt: _Attempt
) -> dict[str, Any]:
    app = attempt.app = find_client(conn, request.client_id)
    secret = check_client_secret(ctx, app, request.client_secret, required=True)
    if not app.client_credentials_enabled:
        raise UnsupportedGrantType.with_reason("client credentials flow disabled for the app")
    user = repo.user_by_id(conn, app.client_credentials_user_id) if app.client_credentials_user_id else None
    attempt.user = user
    if user is None or not user.is_active:
        raise NoRunAsUser.with_reason("run-as user missing or inactive")
    scopes = [s for s in app.scopes if not grants_refresh_token([s])]
    requested = parse_scope(request.scope)
    if requested:
        if not set(requested) <= set(scopes):
            raise InvalidScope.with_reason(f"scope={request.scope!r}")
        scopes = requested
    if not scopes:
        raise InvalidGrant.with_description("no valid scopes defined").with_reason(
            "app has only refresh scopes"
        )
    tokens = issue_tokens(ctx, conn, app=app, user=user, scopes=scopes, flow=FLOW, issuer=caller.origin)
    return token_response(tokens, caller.origin, secret)
