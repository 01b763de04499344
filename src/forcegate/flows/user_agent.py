"""The User-Agent flow (OAuth 2.0 implicit grant), Salesforce's dialect: salesforce-wire.md §4.

The authorize request is the Web Server flow's with ``response_type=token`` (validated by the same
checks in ``web_server``); after login and consent, the tokens go back in the URL *fragment*, never
the query, so they are not sent to any server or written to its logs. A refresh token comes back only
as Salesforce issues one here: the request's ``scope`` names refresh_token or offline_access (the app
allowing it), and the callback is a custom scheme or the login server's ``/services/oauth2/success``
page (``protocol.callbacks.may_receive_refresh_token``). Otherwise those scopes are left out of the
grant, so the token response never claims a refresh it did not give.
The app's ``user_agent_flow_enabled`` switch turns the flow off. OIDC's ``response_type=token id_token``
is this flow too: whenever ``openid`` is granted the fragment carries an ``id_token`` (with the
request's ``nonce``).
"""

from __future__ import annotations

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import User
from forcegate.flows.common import issue_tokens
from forcegate.flows.openid import IdTokenRequest
from forcegate.flows.web_server import ValidatedAuthorization, check_pre_authorized, redirect_url
from forcegate.protocol.callbacks import may_receive_refresh_token
from forcegate.protocol.scopes import grants_refresh_token, parse_scope
from forcegate.protocol.tokens import token_response
from forcegate.storage import repositories as repo

__all__ = ["FLOW", "approve_token"]

FLOW = "user_agent"


def approve_token(
    ctx: Context, conn: Connection, user: User, auth: ValidatedAuthorization, origin: str, auth_time_ms: int
) -> str:
    """Remember the approval, mint tokens and return the redirect carrying them in the fragment.

    Raises AuthorizeRedirect when the app is admin-approved and the user is not pre-authorized."""
    check_pre_authorized(conn, user, auth)
    repo.save_approval(conn, user.org_id, user.id, auth.app.id, auth.scopes, ctx.now_ms())
    scopes = auth.scopes
    if not _refresh_token_allowed(ctx, auth, origin):
        scopes = [scope for scope in scopes if not grants_refresh_token([scope])]
    tokens = issue_tokens(
        ctx,
        conn,
        app=auth.app,
        user=user,
        scopes=scopes,
        flow=FLOW,
        issuer=origin,
        id_token=IdTokenRequest(nonce=auth.request.nonce, auth_time_ms=auth_time_ms),
    )
    body = token_response(tokens, origin, ctx.box.decrypt(auth.app.consumer_secret_encrypted))
    return redirect_url(auth.request.redirect_uri, {**body, "state": auth.request.state}, fragment=True)


def _refresh_token_allowed(ctx: Context, auth: ValidatedAuthorization, origin: str) -> bool:
    """Asked for by name (no ``scope``, which grants the app's scopes, is not asking), and sent where
    only the app can read it."""
    asked = grants_refresh_token(parse_scope(auth.request.scope))
    login_origins = (origin, *ctx.settings.login_urls)
    return asked and may_receive_refresh_token(auth.request.redirect_uri, login_origins)
