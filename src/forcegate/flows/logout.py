"""Ending a browser session: Salesforce's ``/secur/logout.jsp`` and OpenID Connect RP-Initiated Logout
1.0 at ``/services/auth/idp/oidc/logout`` (Salesforce's ``end_session_endpoint``).

Both end the session the browser's cookie names, on the server, so a copy of the cookie stops working
too. Neither revokes OAuth tokens: as in Salesforce, logging out of the browser leaves the access and
refresh tokens that apps hold (the revocation endpoint ends those).

After an RP-initiated logout the browser goes back to the relying party only when it is safe to
(RP-Initiated Logout §2, §3): ``post_logout_redirect_uri`` must be registered for the app, and the app
is known only from a valid ``id_token_hint`` (an id_token we signed, for our issuer; an expired one
is fine, §2), whose ``aud`` must equal ``client_id`` when both are sent. forcegate has no separate
post-logout URL per app, so "registered" means one of the app's callback URLs, exactly. Anything else
logs out and stays on our page: never an open redirect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from forcegate.context import Context
from forcegate.flows.web_server import redirect_url
from forcegate.keys import ALGORITHM
from forcegate.secrets_box import token_hash
from forcegate.storage import repositories as repo

__all__ = ["LogoutRequest", "end_browser_session", "post_logout_redirect"]


@dataclass(frozen=True)
class LogoutRequest:
    """An RP-initiated logout's parameters (OIDC RP-Initiated Logout 1.0 §2)."""

    id_token_hint: str | None = None
    client_id: str | None = None
    post_logout_redirect_uri: str | None = None
    state: str | None = None


def end_browser_session(ctx: Context, session_token: str | None) -> None:
    """Delete the server side of the browser session the cookie names (if any)."""
    if not session_token:
        return
    with ctx.db.write() as conn:
        repo.delete_browser_session(conn, token_hash(session_token))


def post_logout_redirect(ctx: Context, request: LogoutRequest, issuer: str) -> str | None:
    """Where to send the browser after logging out, or None to stay on our page."""
    if not request.post_logout_redirect_uri or not request.id_token_hint:
        return None
    claims = _our_id_token_claims(ctx, request.id_token_hint, issuer)
    audience = claims.get("aud") if claims else None
    if not isinstance(audience, str) or (request.client_id and request.client_id != audience):
        return None
    with ctx.db.read() as conn:
        app = repo.app_by_consumer_key(conn, audience)
    if app is None or request.post_logout_redirect_uri not in app.callback_urls:
        return None
    return redirect_url(request.post_logout_redirect_uri, {"state": request.state})


def _our_id_token_claims(ctx: Context, id_token: str, issuer: str) -> dict[str, Any] | None:
    """The claims of an id_token signed by one of our published keys for ``issuer``; expiry is not
    checked (a logout hint may be old: RP-Initiated Logout §2)."""
    try:
        token = jwt.decode(id_token, ctx.keys.key_set(), algorithms=[ALGORITHM])
    except (JoseError, ValueError, TypeError, UnicodeError):
        return None
    claims = dict(token.claims)
    return claims if claims.get("iss") == issuer else None
