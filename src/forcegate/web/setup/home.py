"""Setup in the browser (issue 12): its home, the way in and the way out.

Setup uses the OAuth flows' login page and browser session (``fg_sid``): logging in here is the same
check (lockout, throttle, login history, with Salesforce's login type "Application"), and a session
made by an OAuth login opens Setup too. Only users whose profile or a permission set has an
administrative permission (``forcegate.org.permissions.user_may``, the admin API's rule) get in; others
get 403. A Setup
session also ends the org's ``admin_session_minutes`` (default 2 h) after its login, whatever the
browser session's lifetime.
Every form carries a CSRF token: the login form the login page's (double-submit cookie), the others an
HMAC of the session under the server key.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forcegate.context import Context
from forcegate.domain import APPLICATION_LOGIN
from forcegate.flows.login import LoginRateExceeded, log_in
from forcegate.protocol.errors import OAuthError
from forcegate.web.common import caller_of, read_form_pairs, run_blocking
from forcegate.web.pages import (
    CSRF_COOKIE,
    LOGIN_FAILED,
    LOGIN_RATE_EXCEEDED,
    SESSION_COOKIE,
    csrf_ok,
    end_session,
    forbidden,
    login_form,
    redirect_response,
    start_session,
)
from forcegate.web.setup.console import (
    CSRF_PURPOSE,
    HOME_PATH,
    LOGIN_PATH,
    LOGOUT_PATH,
    SECTIONS,
    Admin,
    Section,
    after_login,
    current_login,
    page,
)

__all__ = ["FLOW", "ROUTES"]

FLOW = "setup"  # login history's flow of a Setup login


def quick_find(text: str) -> tuple[Section, ...]:
    """Setup's Quick Find: the sections whose title or keywords hold every word typed."""
    words = text.lower().split()
    return tuple(s for s in SECTIONS[1:] if all(w in f"{s.title} {s.keywords}".lower() for w in words))


@page
def home(admin: Admin) -> Response:
    """GET /setup: Setup Home, its sections narrowed by Quick Find (``?q=``, no script needed)."""
    query = admin.request.query_params.get("q", "")[:100]
    return admin.render(
        "setup/home.html",
        section=HOME_PATH,
        query=query,
        sections=quick_find(query) if query.strip() else SECTIONS[1:],
    )


async def root(request: Request) -> Response:
    """GET /: Setup (which asks for a login first)."""
    return redirect_response(HOME_PATH)


def _login_page(
    request: Request, *, username: str = "", error: str | None = None, status: int = 200
) -> Response:
    after = after_login(request)
    return login_form(
        request,
        "login.html",
        "login",
        error=error,
        status=status,
        app_name=None,
        username=username,
        form_action=LOGIN_PATH if after == HOME_PATH else f"{LOGIN_PATH}?{urlencode({'next': after})}",
    )


def _login_get(request: Request) -> Response:
    if current_login(request) is not None:
        return redirect_response(after_login(request))
    return _login_page(request)


async def login_page(request: Request) -> Response:
    """GET /setup/login: the login page, its form posting back here."""
    return await run_blocking(request, _login_get, request)


def _login_submit(request: Request, form: dict[str, str]) -> Response:
    ctx: Context = request.app.state.ctx
    if not csrf_ok(request, "login", request.cookies.get(CSRF_COOKIE), form.get("csrf_token")):
        return forbidden()
    username = form.get("username", "")
    error, status = LOGIN_FAILED, 401
    try:
        login = log_in(
            ctx,
            caller_of(request),
            org_id=request.app.state.org_id,
            username=username,
            password=form.get("password", ""),
            app=None,
            flow=FLOW,
            login_type=APPLICATION_LOGIN,
        )
    except LoginRateExceeded:
        login, error, status = None, LOGIN_RATE_EXCEEDED, 429
    if login is None:
        return _login_page(request, username=username, error=error, status=status)
    return start_session(request, redirect_response(after_login(request)), login)


async def _form(request: Request) -> dict[str, str] | None:
    try:
        return dict(await read_form_pairs(request))
    except OAuthError:
        return None


async def login_submit(request: Request) -> Response:
    """POST /setup/login: username, password, csrf_token (``?next=``: the Setup page asked for)."""
    form = await _form(request)
    if form is None:
        return forbidden()
    return await run_blocking(request, _login_submit, request, form, cpu_heavy=True)


def _logout(request: Request, form: dict[str, str]) -> Response:
    if not csrf_ok(request, CSRF_PURPOSE, request.cookies.get(SESSION_COOKIE), form.get("csrf_token")):
        return forbidden()
    return end_session(request, redirect_response(LOGIN_PATH))


async def logout(request: Request) -> Response:
    """POST /setup/logout: csrf_token. Ends the browser session (Setup's and the OAuth pages')."""
    form = await _form(request)
    if form is None:
        return forbidden()
    return await run_blocking(request, _logout, request, form)


ROUTES: list[Route] = [
    Route("/", root, methods=["GET"]),
    Route(HOME_PATH, home, methods=["GET"]),
    Route(LOGIN_PATH, login_page, methods=["GET"]),
    Route(LOGIN_PATH, login_submit, methods=["POST"]),
    Route(LOGOUT_PATH, logout, methods=["POST"]),
]
