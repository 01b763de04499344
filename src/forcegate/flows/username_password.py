"""The OAuth 2.0 Username-Password flow (``grant_type=password``), Salesforce's legacy dialect.

``POST /services/oauth2/token`` with ``grant_type=password&client_id&client_secret&username&password``
where the password carries the security token when the caller's IP is not trusted
(salesforce-wire.md §8.1; Salesforce Help "OAuth 2.0 Username-Password Flow for Special Scenarios").

- Off unless the org allows it ("Allow OAuth Username-Password Flows", off by default in orgs created
  since Summer '23). While off the answer is ``invalid_grant`` / ``authentication failure``, the same
  as for bad credentials (§2 table); login history tells them apart, and so does the hint
  ``username_password_flow_disabled`` (protocol/errors.py) sent to a caller who proved the app's
  secret, since that is checked first.
- Always a confidential flow: the consumer secret is required.
- No refresh token ever, and no scope parameter honoured: the token carries the app's scopes less
  ``refresh_token``/``offline_access``.
- Too many failed attempts from the caller's IP (``forcegate.flows.throttle``): ``rate_limit_exceeded``
  / ``Number of logins exceeded`` (Salesforce's OAuth error list), before any password is hashed.
- Admin-approved apps refuse users not assigned to them (``invalid_app_access``); self-authorize apps
  let the user through without a prior approval, as Salesforce does for this flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
from forcegate.flows.login import LOGIN_RATE_EXCEEDED, check_password
from forcegate.org.access import user_may_use_app
from forcegate.protocol.errors import InvalidGrant, NotAdminApproved, OAuthError, RateLimitExceeded
from forcegate.protocol.requests import TokenRequest
from forcegate.protocol.scopes import grants_refresh_token
from forcegate.protocol.tokens import token_response
from forcegate.storage import repositories as repo

__all__ = ["FLOW", "FLOW_DISABLED_HINT", "LOGIN_TYPE", "password_grant"]

FLOW = "username_password"
# Salesforce's LoginType for OAuth logins, marked as the legacy flow (the column holds 40 characters).
LOGIN_TYPE = "Remote Access 2.0 (legacy password)"
# Login history statuses of this flow's own refusals (Salesforce's exact wording is UNCONFIRMED).
FLOW_BLOCKED = "Failed: Username-Password Flow Disabled"
NOT_APPROVED = "Failed: Not approved for access"
FLOW_DISABLED_HINT = "username_password_flow_disabled"

AuthenticationFailure = InvalidGrant  # "authentication failure": bad credentials and a blocked flow alike


@dataclass
class _Attempt:
    """What the request revealed before it succeeded or failed: for login history."""

    app: ConnectedApp | None = None
    user: User | None = None
    status: str | None = None  # set when the refusal has a more precise status than the error's


def password_grant(ctx: Context, request: TokenRequest, caller: Caller, org_id: str) -> dict[str, Any]:
    attempt = _Attempt()
    try:
        body = _grant(ctx, request, caller, attempt)
    except OAuthError as error:
        _record(ctx, caller, org_id, request, attempt, attempt.status or failure_status(error))
        raise
    _record(ctx, caller, org_id, request, attempt, "Success")
    return body


def _record(
    ctx: Context, caller: Caller, org_id: str, request: TokenRequest, attempt: _Attempt, status: str
) -> None:
    record_login(
        ctx,
        caller,
        org_id=attempt.app.org_id if attempt.app else org_id,
        status=status,
        flow=FLOW,
        login_type=LOGIN_TYPE,
        username=(request.username or "").strip(),
        user=attempt.user,
        app=attempt.app,
    )


def _grant(ctx: Context, request: TokenRequest, caller: Caller, attempt: _Attempt) -> dict[str, Any]:
    # Client first (unknown key, disabled app, wrong or missing secret), then the org's switch, and
    # only then the password: a blocked flow never counts towards a user's lockout.
    with ctx.db.read() as conn:
        app = attempt.app = find_client(conn, request.client_id)
        org = repo.org_by_id(conn, app.org_id)
    secret = check_client_secret(ctx, app, request.client_secret, required=True)
    if org is None or not org.allow_username_password_flows:
        attempt.status = FLOW_BLOCKED
        raise AuthenticationFailure.with_reason("username-password flows are disabled for the org").with_hint(
            FLOW_DISABLED_HINT
        )
    check = check_password(
        ctx, caller, username=request.username or "", password=request.password or "", api=True, org_id=org.id
    )
    attempt.user, attempt.status = check.user, check.status
    if check.status == LOGIN_RATE_EXCEEDED:
        raise RateLimitExceeded.with_reason(check.status)
    if check.user is None or not check.ok:
        raise AuthenticationFailure.with_reason(check.status)
    user = check.user
    with ctx.db.write() as conn:
        if user_may_use_app(conn, app, user) is False:
            attempt.status = NOT_APPROVED
            raise NotAdminApproved.with_reason("user not pre-authorized for the admin-approved app")
        scopes = [s for s in app.scopes if not grants_refresh_token([s])]
        tokens = issue_tokens(ctx, conn, app=app, user=user, scopes=scopes, flow=FLOW, issuer=caller.origin)
    return token_response(tokens, caller.origin, secret)
