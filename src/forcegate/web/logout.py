"""Logout pages: ``GET /secur/logout.jsp`` (Salesforce's) and ``GET|POST /services/auth/idp/oidc/logout``
(OpenID Connect RP-Initiated Logout 1.0, the ``end_session_endpoint`` of discovery). The rules are in
``forcegate.flows.logout``; this module reads the cookie and the parameters and answers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forcegate.context import Context
from forcegate.flows.logout import LogoutRequest, post_logout_redirect
from forcegate.protocol.errors import OAuthError
from forcegate.web.common import read_form_pairs, run_blocking
from forcegate.web.pages import end_session, redirect_response, render

__all__ = ["END_SESSION_PATH", "ROUTES"]

END_SESSION_PATH = "/services/auth/idp/oidc/logout"
SALESFORCE_LOGOUT_PATH = "/secur/logout.jsp"


def _logged_out(request: Request, to: str | None) -> Response:
    return end_session(request, redirect_response(to) if to else render("logged_out.html"))


async def salesforce_logout(request: Request) -> Response:
    """GET /secur/logout.jsp: end the browser session."""
    return await run_blocking(request, _logged_out, request, None)


def _logout_request(pairs: list[tuple[str, str]]) -> LogoutRequest:
    """A parameter sent twice counts as not sent: which one was meant is unknowable."""
    values: dict[str, str] = {}
    twice: set[str] = set()
    for name, value in pairs:
        if name in values:
            twice.add(name)
        values[name] = value
    for name in twice:
        del values[name]
    return LogoutRequest(
        id_token_hint=values.get("id_token_hint"),
        client_id=values.get("client_id"),
        post_logout_redirect_uri=values.get("post_logout_redirect_uri"),
        state=values.get("state"),
    )


def _rp_logout(request: Request, pairs: list[tuple[str, str]]) -> Response:
    ctx: Context = request.app.state.ctx
    to = post_logout_redirect(ctx, _logout_request(pairs), request.app.state.public_url)
    return _logged_out(request, to)


async def rp_initiated_logout(request: Request) -> Response:
    """GET or POST /services/auth/idp/oidc/logout: id_token_hint, client_id, post_logout_redirect_uri,
    state (query string, or form body for POST)."""
    try:
        pairs = (
            await read_form_pairs(request)
            if request.method == "POST"
            else list(request.query_params.multi_items())
        )
    except OAuthError:
        pairs = []  # an unreadable body still logs out; it just cannot ask for a redirect
    return await run_blocking(request, _rp_logout, request, pairs)


ROUTES: list[Route] = [
    Route(SALESFORCE_LOGOUT_PATH, salesforce_logout, methods=["GET"]),
    Route(END_SESSION_PATH, rp_initiated_logout, methods=["GET", "POST"]),
]
