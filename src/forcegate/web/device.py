"""The Device flow's web side: the RFC 8628 device authorization endpoint and the verification page.

- ``POST /services/oauth2/device/authorize``: RFC 8628 §3.1 (Salesforce has no such endpoint: its
  devices start at the token endpoint with ``response_type=device_code``, handled by
  ``forcegate.web.token``). Same parameters and client authentication as the token endpoint.
- ``GET /setup/connect[?user_code=]`` and ``POST /setup/connect``: where the user approves a device
  (Salesforce's ``verification_uri``, salesforce-wire.md §6). Plain HTML forms that work without
  JavaScript (client-compatibility.md, "Pages"): log in, type the user code, allow or deny. Every
  form posts back to ``/setup/connect`` and says which it is in a hidden ``step`` field.

Every POST carries a CSRF token, an HMAC under the server key as on the other pages
(``forcegate.web.pages``): the login form's is bound to the ``fg_csrf`` cookie, the later forms' to
the browser session, and the approval form's to the user code it shows too, so the approval step
cannot be used to try codes past the rate limit of the code step.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forcegate.context import Context
from forcegate.flows import device
from forcegate.flows.login import BrowserLogin, LoginRateExceeded, log_in, session_login
from forcegate.protocol.errors import OAuthError
from forcegate.protocol.requests import parse_token_request
from forcegate.protocol.scopes import SCOPE_DESCRIPTIONS
from forcegate.web.common import NO_STORE, caller_of, json_response, oauth_error_response, read_form_pairs
from forcegate.web.pages import (
    CSRF_COOKIE,
    LOGIN_FAILED,
    LOGIN_RATE_EXCEEDED,
    SESSION_COOKIE,
    csrf_ok,
    forbidden,
    login_form,
    render,
    start_session,
)

__all__ = ["DEVICE_AUTHORIZATION_PATH", "ROUTES"]

log = logging.getLogger("forcegate.token")

DEVICE_AUTHORIZATION_PATH = "/services/oauth2/device/authorize"

# What the pages say. Salesforce's own wording for its device page is not documented.
CODE_MESSAGES: dict[str, tuple[int, str]] = {
    device.CODE_MISSING: (400, "Enter the code shown on your device."),
    device.CODE_WRONG: (400, "That code is invalid or has expired. Check the code shown on your device."),
    device.CODE_RATE_LIMITED: (429, "Too many invalid codes. Wait a few minutes, then try again."),
}
NOT_PERMITTED = (
    "Access denied",
    "You don't have access to this app. Ask your administrator to give you access, then start again "
    "on your device.",
)
DECISION_PAGES: dict[str, tuple[int, str, str]] = {
    device.DECIDED_ALLOWED: (
        200,
        "Device connected",
        "You can return to your device; it will finish by itself.",
    ),
    device.DECIDED_DENIED: (
        200,
        "Access denied",
        "The device was not given access. You can close this window.",
    ),
    device.DECISION_NOT_PERMITTED: (403, *NOT_PERMITTED),
    device.DECISION_TOO_LATE: (
        400,
        "Code expired",
        "This code has expired or was already used. Start again on your device.",
    ),
}

# CSRF purposes, one per form.
_LOGIN = "device-login"
_CODE = "device-code"
_DECIDE = "device-decide"


# --- RFC 8628 device authorization endpoint --------------------------------------------------


async def device_authorization(request: Request) -> Response:
    """POST /services/oauth2/device/authorize: ``client_id`` (body or HTTP Basic), ``scope``."""
    try:
        token_request = parse_token_request(
            await read_form_pairs(request), request.headers.get("authorization")
        )
        body = await run_in_threadpool(
            device.start_rfc8628,
            request.app.state.ctx,
            token_request,
            caller_of(request),
            request.app.state.org_id,
        )
    except OAuthError as error:
        log.info("device authorization refused: %s %s", error.error, error.reason)
        return oauth_error_response(error)
    return json_response(body, headers=NO_STORE)


# --- the verification page -------------------------------------------------------------------


def _prefill(entered: str) -> str:
    """A user code to show in a form: XXXX-XXXX when it looks like one, else as typed (bounded)."""
    code = device.normalize_user_code(entered)
    return device.display_user_code(code) if len(code) == device.USER_CODE_LENGTH else entered[:64]


def _login_page(
    request: Request, user_code: str, *, username: str = "", error: str | None = None, status: int = 401
) -> Response:
    return login_form(
        request,
        "device_login.html",
        _LOGIN,
        error=error,
        status=status,
        username=username,
        user_code=_prefill(user_code),
    )


def _code_page(request: Request, login: BrowserLogin, user_code: str, refused: str | None = None) -> Response:
    ctx: Context = request.app.state.ctx
    status, error = CODE_MESSAGES[refused] if refused else (200, None)
    return render(
        "device_code.html",
        status=status,
        error=error,
        username=login.user.username,
        user_code=_prefill(user_code),
        csrf_token=ctx.box.sign(f"{_CODE}:{login.session_token}"),
    )


def _approve_page(request: Request, login: BrowserLogin, pending: device.PendingApproval) -> Response:
    ctx: Context = request.app.state.ctx
    return render(
        "device_approve.html",
        app_name=pending.app.name,
        username=login.user.username,
        display_code=device.display_user_code(pending.user_code),
        user_code=pending.user_code,
        scope_descriptions=list(dict.fromkeys(SCOPE_DESCRIPTIONS[s] for s in pending.scopes)),
        csrf_token=_decide_csrf(ctx, login.session_token, pending.user_code),
    )


def _decide_csrf(ctx: Context, session_token: str, user_code: str) -> str:
    return ctx.box.sign(f"{_DECIDE}:{session_token}:{user_code}")


def _done_page(status: int, heading: str, message: str) -> Response:
    return render(
        "device_done.html", status=status, heading=heading, message=message, error=status >= 400, again=True
    )


def _connect_page(request: Request) -> Response:
    ctx: Context = request.app.state.ctx
    user_code = request.query_params.get("user_code", "")
    login = session_login(ctx, request.cookies.get(SESSION_COOKIE))
    if login is None:
        return _login_page(request, user_code)
    return _code_page(request, login, user_code)


async def connect_page(request: Request) -> Response:
    """GET /setup/connect[?user_code=]: log in first if needed, then the code form (prefilled)."""
    return await run_in_threadpool(_connect_page, request)


def _login_submit(request: Request, form: dict[str, str]) -> Response:
    ctx: Context = request.app.state.ctx
    if not csrf_ok(request, _LOGIN, request.cookies.get(CSRF_COOKIE), form.get("csrf_token")):
        return forbidden()
    user_code = form.get("user_code", "")
    username = form.get("username", "")
    try:
        login = log_in(
            ctx,
            caller_of(request),
            org_id=request.app.state.org_id,
            username=username,
            password=form.get("password", ""),
            app=None,  # not known before the user code is entered
            flow=device.FLOW,
        )
    except LoginRateExceeded:
        return _login_page(request, user_code, username=username, error=LOGIN_RATE_EXCEEDED, status=429)
    if login is None:
        return _login_page(request, user_code, username=username, error=LOGIN_FAILED)
    return start_session(request, _code_page(request, login, user_code), login)


def _code_submit(request: Request, form: dict[str, str]) -> Response:
    ctx: Context = request.app.state.ctx
    session_token = request.cookies.get(SESSION_COOKIE)
    if not csrf_ok(request, _CODE, session_token, form.get("csrf_token")):
        return forbidden()
    user_code = form.get("user_code", "")
    login = session_login(ctx, session_token)
    if login is None:
        return _login_page(request, user_code)
    try:
        pending = device.check_user_code(
            ctx, caller_of(request), session_token=login.session_token, user=login.user, entered=user_code
        )
    except device.UserCodeRefused as refused:
        if refused.reason == device.CODE_NOT_PERMITTED:
            return _done_page(403, *NOT_PERMITTED)
        return _code_page(request, login, user_code, refused.reason)
    return _approve_page(request, login, pending)


def _decide_submit(request: Request, form: dict[str, str]) -> Response:
    ctx: Context = request.app.state.ctx
    session_token = request.cookies.get(SESSION_COOKIE)
    user_code = form.get("user_code", "")
    bound = f"{session_token}:{user_code}" if session_token else None
    if not csrf_ok(request, _DECIDE, bound, form.get("csrf_token")):
        return forbidden()
    login = session_login(ctx, session_token)
    if login is None:
        return _login_page(request, user_code)
    decision = form.get("decision")
    if decision not in ("allow", "deny"):
        return forbidden()
    outcome = device.decide(
        ctx, caller_of(request), user=login.user, user_code=user_code, allow=decision == "allow"
    )
    status, heading, message = DECISION_PAGES[outcome.outcome]
    return _done_page(status, heading, message)


_STEPS = {"login": _login_submit, "code": _code_submit, "decide": _decide_submit}


async def connect_submit(request: Request) -> Response:
    """POST /setup/connect: ``step`` = ``login`` (username, password), ``code`` (user_code) or
    ``decide`` (user_code, decision = allow|deny); always ``csrf_token``."""
    try:
        form = dict(await read_form_pairs(request))
    except OAuthError:
        return forbidden()
    step = _STEPS.get(form.get("step", ""))
    if step is None:
        return forbidden()
    return await run_in_threadpool(step, request, form)


ROUTES: list[Route] = [
    Route(DEVICE_AUTHORIZATION_PATH, device_authorization, methods=["POST"]),
    Route(device.VERIFICATION_PATH, connect_page, methods=["GET"]),
    Route(device.VERIFICATION_PATH, connect_submit, methods=["POST"]),
]
