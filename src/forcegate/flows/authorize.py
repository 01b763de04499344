"""The end of an authorization at ``/services/oauth2/authorize``, whichever flow it is.

``response_type=code`` ends with a code (Web Server flow), ``response_type=token`` with tokens in the
fragment (User-Agent flow). Both run the same request checks and consent (``web_server``); this
module picks the ending and records the outcome in login history once its transaction committed.
"""

from __future__ import annotations

from forcegate.context import Context
from forcegate.domain import User
from forcegate.flows import user_agent, web_server
from forcegate.flows.common import Caller, record_login
from forcegate.flows.web_server import AuthorizeRedirect, ValidatedAuthorization

__all__ = ["complete", "flow_of"]


def flow_of(auth: ValidatedAuthorization) -> str:
    return user_agent.FLOW if auth.request.response_type == "token" else web_server.FLOW


def complete(
    ctx: Context, caller: Caller, user: User, auth: ValidatedAuthorization, auth_time_ms: int
) -> str:
    """The redirect back to the client after approval (or an error redirect, for a refused user)."""
    try:
        with ctx.db.write() as conn:
            if auth.request.response_type == "token":
                url = user_agent.approve_token(ctx, conn, user, auth, caller.origin, auth_time_ms)
            else:
                url = web_server.approve_code(ctx, conn, user, auth, auth_time_ms)
    except AuthorizeRedirect as refused:
        return refused.url
    if auth.request.response_type == "token":
        # The tokens were issued right here (no token endpoint call follows): record it as a login.
        record_login(
            ctx, caller, org_id=user.org_id, status="Success", flow=user_agent.FLOW, user=user, app=auth.app
        )
    return url
