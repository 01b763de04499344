"""The Web Server flow (OAuth 2.0 authorization code, with optional PKCE), Salesforce's dialect.

Authorize: ``GET /services/oauth2/authorize?response_type=code&client_id&redirect_uri[&scope][&state]
[&code_challenge[&code_challenge_method]][&prompt][&login_hint][&nonce]``, then login, consent and a
302 back with ``code`` and ``state``. Token: ``grant_type=authorization_code`` with the code, the
same redirect_uri, the client's credentials and the PKCE verifier. salesforce-wire.md §3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import PERMITTED_ADMIN_APPROVED, ConnectedApp, User
from forcegate.flows.common import issue_tokens
from forcegate.flows.grants import Attempt, ClientAuthentication, Grant
from forcegate.flows.openid import IdTokenRequest
from forcegate.protocol.errors import (
    AccessDenied,
    AppBlocked,
    AuthorizeNotAdminApproved,
    CodeChallengeRequired,
    DuplicateParameter,
    ExpiredCode,
    InactiveUser,
    InvalidClientId,
    InvalidCode,
    InvalidScope,
    OAuthError,
    RedirectUriMismatch,
    RedirectUriMissing,
    UnsupportedResponseType,
)
from forcegate.protocol.pkce import normalize_challenge_method, verify_code_verifier
from forcegate.protocol.requests import AuthorizeRequest
from forcegate.protocol.scopes import parse_scope, unknown_scopes
from forcegate.protocol.tokens import new_authorization_code, token_response
from forcegate.secrets_box import token_hash
from forcegate.storage import repositories as repo

__all__ = [
    "GRANT",
    "AuthorizeRedirect",
    "ErrorPage",
    "ValidatedAuthorization",
    "approve_code",
    "check_pre_authorized",
    "consent_needed",
    "deny",
    "exchange_code",
    "validate_authorize_request",
]

FLOW = "web_server"
CODE_LIFETIME_MS = 15 * 60 * 1000


class ErrorPage(Exception):
    """A request we cannot safely redirect back from (unknown client, unregistered redirect_uri).
    ``redirect_uri`` is the one received, for the page to show beside the registered ones' rule."""

    def __init__(self, error: str, description: str, redirect_uri: str | None = None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri


class AuthorizeRedirect(Exception):
    """Send the browser back to the client with an error."""

    def __init__(self, url: str, error: OAuthError) -> None:
        super().__init__(url)
        self.url = url
        self.error = error


@dataclass(frozen=True)
class ValidatedAuthorization:
    request: AuthorizeRequest
    app: ConnectedApp
    scopes: list[str]
    code_challenge: str | None


def redirect_url(redirect_uri: str, params: dict[str, str | None], *, fragment: bool = False) -> str:
    """Add parameters to the client's redirect URI: to its query (keeping any query it has), or, for
    the user-agent flow, as the fragment, which browsers never send to a server."""
    parts = urlsplit(redirect_uri)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    if fragment:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, extra))
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def error_redirect(request: AuthorizeRequest, error: OAuthError) -> AuthorizeRedirect:
    """Errors go back where a success would: the fragment for response_type=token, else the query."""
    url = redirect_url(
        request.redirect_uri,
        {"error": error.error, "error_description": error.description, "state": request.state},
        fragment=request.response_type == "token",
    )
    return AuthorizeRedirect(url, error)


# --- the authorize checks, in order -----------------------------------------------------------
# The first two cannot redirect: until the client and its redirect URI are known good, sending the
# browser anywhere would make us an open redirector. Every later check redirects with an error.


def _check_client(conn: Connection, request: AuthorizeRequest) -> ConnectedApp:
    if "client_id" in request.duplicated or not request.client_id:
        raise ErrorPage(InvalidClientId.error, InvalidClientId.description)
    app = repo.app_by_consumer_key(conn, request.client_id)
    if app is None:
        raise ErrorPage(InvalidClientId.error, InvalidClientId.description)
    return app


def _check_redirect_uri(app: ConnectedApp, request: AuthorizeRequest) -> None:
    if "redirect_uri" in request.duplicated or not request.redirect_uri:
        raise ErrorPage(RedirectUriMissing.error, RedirectUriMissing.description)
    if request.redirect_uri not in app.callback_urls:  # exact match, character for character
        raise ErrorPage(
            RedirectUriMismatch.error, RedirectUriMismatch.description, redirect_uri=request.redirect_uri
        )


def _check_unique_parameters(app: ConnectedApp, request: AuthorizeRequest) -> None:
    if request.duplicated:
        raise DuplicateParameter.formatted(parameter=request.duplicated[0])


def _check_app_enabled(app: ConnectedApp, request: AuthorizeRequest) -> None:
    if not app.is_enabled:
        raise AppBlocked.with_reason("connected app disabled")


def _check_response_type(app: ConnectedApp, request: AuthorizeRequest) -> None:
    """``code``: the Web Server flow; ``token``: the User-Agent flow, when the app allows it."""
    if request.response_type == "token" and not app.user_agent_flow_enabled:
        raise UnsupportedResponseType.with_reason("user-agent flow disabled for the app")
    if request.response_type not in ("code", "token"):
        raise UnsupportedResponseType.with_reason(f"response_type={request.response_type[:40]!r}")


def _check_scope(app: ConnectedApp, request: AuthorizeRequest) -> None:
    requested = parse_scope(request.scope)
    if unknown_scopes(requested) or not set(requested) <= set(app.scopes):
        raise InvalidScope.with_reason(f"scope={request.scope!r}")


def _check_pkce(app: ConnectedApp, request: AuthorizeRequest) -> None:
    if request.response_type != "code":
        return  # the User-Agent flow has no code to bind a challenge to
    normalize_challenge_method(request.code_challenge, request.code_challenge_method)
    if app.require_pkce and not request.code_challenge:
        raise CodeChallengeRequired.copy()


REDIRECTING_CHECKS = (
    _check_unique_parameters,
    _check_app_enabled,
    _check_response_type,
    _check_scope,
    _check_pkce,
)


def validate_authorize_request(conn: Connection, request: AuthorizeRequest) -> ValidatedAuthorization:
    app = _check_client(conn, request)
    _check_redirect_uri(app, request)
    try:
        for check in REDIRECTING_CHECKS:
            check(app, request)
    except OAuthError as error:
        raise error_redirect(request, error) from None
    # No scope parameter: every scope the app has, as Salesforce does.
    scopes = parse_scope(request.scope) or list(app.scopes)
    return ValidatedAuthorization(request, app, scopes, request.code_challenge)


# --- after login ------------------------------------------------------------------------------


def consent_needed(conn: Connection, user: User, auth: ValidatedAuthorization) -> bool:
    """Consent is remembered per user and app; asked again for new scopes or prompt=consent.

    An admin-approved app asks no consent: its assigned users are pre-authorized, and anyone else
    is sent back with OAUTH_APP_ACCESS_DENIED (raised as an AuthorizeRedirect)."""
    if auth.app.permitted_users == PERMITTED_ADMIN_APPROVED:
        check_pre_authorized(conn, user, auth)
        return False
    if "consent" in auth.request.prompt:
        return True
    approved = repo.approved_scopes(conn, user.id, auth.app.id)
    return approved is None or not set(auth.scopes) <= approved


def check_pre_authorized(conn: Connection, user: User, auth: ValidatedAuthorization) -> None:
    if auth.app.permitted_users == PERMITTED_ADMIN_APPROVED and not repo.user_is_preauthorized(
        conn, auth.app.id, user
    ):
        raise error_redirect(auth.request, AuthorizeNotAdminApproved.with_reason("user not pre-authorized"))


def approve_code(
    ctx: Context, conn: Connection, user: User, auth: ValidatedAuthorization, auth_time_ms: int
) -> str:
    """Remember the approval, mint a single-use code and return the redirect back to the client.

    Raises AuthorizeRedirect when the app is admin-approved and the user is not pre-authorized."""
    check_pre_authorized(conn, user, auth)
    now = ctx.now_ms()
    repo.save_approval(conn, user.org_id, user.id, auth.app.id, auth.scopes, now)
    code = new_authorization_code()
    repo.insert_code(
        conn,
        {
            "code_hash": token_hash(code),
            "org_id": user.org_id,
            "app_id": auth.app.id,
            "user_id": user.id,
            "redirect_uri": auth.request.redirect_uri,
            "scopes": " ".join(auth.scopes),
            "code_challenge": auth.code_challenge,
            "nonce": auth.request.nonce,
            "auth_time_ms": auth_time_ms,
            "created_ms": now,
            "expires_ms": now + CODE_LIFETIME_MS,
        },
    )
    return redirect_url(auth.request.redirect_uri, {"code": code, "state": auth.request.state})


def deny(auth: ValidatedAuthorization) -> str:
    return error_redirect(auth.request, AccessDenied).url


# --- the code exchange ------------------------------------------------------------------------


def _exchange(ctx: Context, conn: Connection, attempt: Attempt) -> dict[str, Any]:
    app, request = attempt.app, attempt.request
    assert app is not None  # authenticated by the runner
    if not request.code:
        raise InvalidCode.with_reason("code missing")
    code = repo.code_by_hash(conn, token_hash(request.code))
    if code is None or code.app_id != app.id:
        raise InvalidCode.with_reason("unknown authorization code")
    attempt.user = repo.user_by_id(conn, code.user_id)
    if code.consumed_ms is not None:
        attempt.revoke_authorization_id = code.authorization_id  # someone else may hold it
        raise InvalidCode.with_reason("authorization code reused")
    now = ctx.now_ms()
    if code.expires_ms <= now:
        raise ExpiredCode.with_reason("authorization code expired")
    if request.redirect_uri != code.redirect_uri:
        raise RedirectUriMismatch.with_reason("redirect_uri differs from the authorize request")
    verify_code_verifier(code.code_challenge, request.code_verifier)
    user = attempt.user
    if user is None or not user.is_active:
        raise InactiveUser.with_reason("user inactive")
    scopes = list(code.scopes)
    authorization_id = repo.insert_authorization(conn, user.org_id, app.id, user.id, FLOW, scopes, now)
    if not repo.consume_code(conn, code.code_hash, authorization_id, now):
        # Another request consumed it between our read and our write: a reuse like any other.
        winner = repo.code_by_hash(conn, code.code_hash)
        attempt.revoke_authorization_id = winner.authorization_id if winner else None
        raise InvalidCode.with_reason("authorization code reused")
    origin = attempt.caller.origin
    tokens = issue_tokens(
        ctx,
        conn,
        app=app,
        user=user,
        scopes=scopes,
        flow=FLOW,
        authorization_id=authorization_id,
        issuer=origin,
        id_token=IdTokenRequest(nonce=code.nonce, auth_time_ms=code.auth_time_ms),
    )
    return token_response(tokens, origin, attempt.secret)


GRANT = Grant(
    flow=FLOW,
    grant_types=("authorization_code",),
    parameters=("client_id", "client_secret", "code", "redirect_uri", "code_verifier"),
    client=ClientAuthentication.SECRET_IF_CONFIDENTIAL,
    issue=_exchange,
)
exchange_code = GRANT
