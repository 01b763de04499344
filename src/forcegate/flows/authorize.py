"""The end of an authorization at ``/services/oauth2/authorize``, whichever flow it is.

Each ``response_type`` is declared once (``ResponseType``): the flow it is, and how it approves:
``code`` ends with a code (Web Server flow), ``token`` with tokens in the fragment (User-Agent flow;
OIDC's ``token id_token`` is parsed as ``token``, ``protocol.requests``). Both run the same request
checks and consent (``web_server``). ``complete`` owns the shared phases: one write transaction for
the approval, and, when the response type issues tokens right here (no token endpoint call follows),
the success row of login history in that same transaction: no token without its row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import User
from forcegate.flows import user_agent, web_server
from forcegate.flows.common import SUCCESS, Caller, insert_login
from forcegate.flows.web_server import AuthorizeRedirect, ValidatedAuthorization

__all__ = ["RESPONSE_TYPES", "ResponseType", "complete", "flow_of"]

Approve = Callable[[Context, Connection, User, ValidatedAuthorization, str, int], str]


@dataclass(frozen=True)
class ResponseType:
    """One ``response_type`` of the authorize endpoint. ``approve`` runs in the write transaction and
    returns the redirect back to the client; ``issues_tokens``: the approval is a login."""

    flow: str
    approve: Approve
    issues_tokens: bool


def _approve_code(
    ctx: Context, conn: Connection, user: User, auth: ValidatedAuthorization, origin: str, auth_time_ms: int
) -> str:
    return web_server.approve_code(ctx, conn, user, auth, auth_time_ms)


RESPONSE_TYPES: dict[str, ResponseType] = {
    "code": ResponseType(flow=web_server.FLOW, approve=_approve_code, issues_tokens=False),
    "token": ResponseType(flow=user_agent.FLOW, approve=user_agent.approve_token, issues_tokens=True),
}


def flow_of(auth: ValidatedAuthorization) -> str:
    return RESPONSE_TYPES[auth.request.response_type].flow


def complete(
    ctx: Context, caller: Caller, user: User, auth: ValidatedAuthorization, auth_time_ms: int
) -> str:
    """The redirect back to the client after approval (or an error redirect, for a refused user)."""
    response_type = RESPONSE_TYPES[auth.request.response_type]  # validated: "code" or "token"
    try:
        with ctx.db.write() as conn:
            url = response_type.approve(ctx, conn, user, auth, caller.origin, auth_time_ms)
            if response_type.issues_tokens:
                insert_login(
                    ctx,
                    conn,
                    caller,
                    org_id=user.org_id,
                    status=SUCCESS,
                    flow=response_type.flow,
                    user=user,
                    app=auth.app,
                )
    except AuthorizeRedirect as refused:
        return refused.url
    return url
