"""The Client Credentials flow: a backend authenticates as its connected app and gets an access
token that acts as the app's run-as user (salesforce-wire.md §9.1).

Off unless the app enables it and names an active run-as user. No refresh token is ever issued;
``scope`` may narrow the app's scopes, never widen them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.flows.common import issue_tokens
from forcegate.flows.grants import Attempt, ClientAuthentication, Grant
from forcegate.protocol.errors import InvalidScope, NoRunAsUser, NoValidScopes, UnsupportedGrantType
from forcegate.protocol.scopes import grants_refresh_token, parse_scope
from forcegate.protocol.tokens import token_response
from forcegate.storage import repositories as repo

__all__ = ["FLOW", "GRANT", "client_credentials_grant"]

FLOW = "client_credentials"


def _issue(ctx: Context, conn: Connection, attempt: Attempt) -> dict[str, Any]:
    app, request = attempt.app, attempt.request
    assert app is not None  # authenticated by the runner
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
        raise NoValidScopes.with_reason("app has only refresh scopes")
    origin = attempt.caller.origin
    tokens = issue_tokens(ctx, conn, app=app, user=user, scopes=scopes, flow=FLOW, issuer=origin)
    return token_response(tokens, origin, attempt.secret)


GRANT = Grant(
    flow=FLOW,
    grant_types=("client_credentials",),
    parameters=("client_id", "client_secret", "scope"),
    client=ClientAuthentication.SECRET,
    issue=_issue,
)
client_credentials_grant = GRANT
