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

from typing import Any

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.flows.common import issue_tokens
from forcegate.flows.grants import Attempt, ClientAuthentication, Grant
from forcegate.flows.login import LOGIN_RATE_EXCEEDED, check_password
from forcegate.org.access import user_may_use_app
from forcegate.protocol.errors import InvalidGrant, NotAdminApproved, RateLimitExceeded
from forcegate.protocol.scopes import grants_refresh_token
from forcegate.protocol.tokens import token_response
from forcegate.storage import repositories as repo

__all__ = ["FLOW", "FLOW_DISABLED_HINT", "GRANT", "LOGIN_TYPE", "password_grant"]

FLOW = "username_password"
# Salesforce's LoginType for OAuth logins, marked as the legacy flow (the column holds 40 characters).
LOGIN_TYPE = "Remote Access 2.0 (legacy password)"
# Login history statuses of this flow's own refusals (Salesforce's exact wording is UNCONFIRMED).
FLOW_BLOCKED = "Failed: Username-Password Flow Disabled"
NOT_APPROVED = "Failed: Not approved for access"
FLOW_DISABLED_HINT = "username_password_flow_disabled"

AuthenticationFailure = InvalidGrant  # "authentication failure": bad credentials and a blocked flow alike


def _check_credentials(ctx: Context, attempt: Attempt) -> None:
    """Before the write transaction (argon2 must not hold the write lock), after the client: the
    org's switch, and only then the password, so a blocked flow never counts towards a lockout."""
    app, request = attempt.app, attempt.request
    assert app is not None  # authenticated by the runner
    with ctx.db.read() as conn:
        org = repo.org_by_id(conn, app.org_id)
    if org is None or not org.allow_username_password_flows:
        attempt.status = FLOW_BLOCKED
        raise AuthenticationFailure.with_reason("username-password flows are disabled for the org").with_hint(
            FLOW_DISABLED_HINT
        )
    check = check_password(
        ctx,
        attempt.caller,
        username=request.username or "",
        password=request.password or "",
        api=True,
        org_id=org.id,
    )
    attempt.user, attempt.status = check.user, check.status
    if check.status == LOGIN_RATE_EXCEEDED:
        raise RateLimitExceeded.with_reason(check.status)
    if check.user is None or not check.ok:
        raise AuthenticationFailure.with_reason(check.status)


def _issue(ctx: Context, conn: Connection, attempt: Attempt) -> dict[str, Any]:
    app, user = attempt.app, attempt.user
    assert app is not None and user is not None  # checked before the transaction
    if user_may_use_app(conn, app, user) is False:
        attempt.status = NOT_APPROVED
        raise NotAdminApproved.with_reason("user not pre-authorized for the admin-approved app")
    scopes = [s for s in app.scopes if not grants_refresh_token([s])]
    origin = attempt.caller.origin
    tokens = issue_tokens(ctx, conn, app=app, user=user, scopes=scopes, flow=FLOW, issuer=origin)
    return token_response(tokens, origin, attempt.secret)


GRANT = Grant(
    flow=FLOW,
    grant_types=("password",),
    parameters=("client_id", "client_secret", "username", "password"),
    client=ClientAuthentication.SECRET,
    # argon2: tens of milliseconds, outside the GIL: always off the event loop, whatever the database.
    cpu_heavy=True,
    prepare=_check_credentials,
    issue=_issue,
    login_type=LOGIN_TYPE,
)
password_grant = GRANT
