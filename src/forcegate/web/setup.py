"""Setup in the browser (issue 12): its home, the way in and the way out.

Setup uses the OAuth flows' login page and browser session (``fg_sid``): logging in here is the same
check (lockout, throttle, login history, with Salesforce's login type "Application"), and a session
made by an OAuth login opens Setup too. Only users whose profile has an administrative permission
(``forcegate.org.permissions.may_administer``, the admin API's rule) get in; others get 403. A Setup
session also ends the org's ``admin_session_minutes`` (default 2 h) after its login, whatever the
browser session's lifetime.
Every form carries a CSRF token: the login form the login page's (double-submit cookie), the others an
HMAC of the session under the server key.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forcegate.context import Context
from forcegate.domain import APPLICATION_LOGIN, User
from forcegate.flows.login import BrowserLogin, LoginRateExceeded, log_in, session_login
from forcegate.org.permissions import may_administer
from forcegate.protocol.errors import OAuthError
from forcegate.storage import repositories as repo
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
    render,
    start_session,
)

__all__ = ["FLOW", "HOME_PATH", "LOGIN_PATH", "LOGOUT_PATH", "ROUTES"]

HOME_PATH = "/setup"
LOGIN_PATH = "/setup/login"
LOGOUT_PATH = "/setup/logout"
FLOW = "setup"  # login history's flow of a Setup login
LOGOUT_PURPOSE = "setup-logout"


@dataclass(frozen=True)
class Section:
    title: str
    description: str
    href: str | None = None  # None: not built yet


# Setup's sections; only those with a page are linked.
SECTIONS = (
    Section("Setup Home", "This page.", HOME_PATH),
    Section("App Manager", "Connected apps: consumer keys, callback URLs, scopes and OAuth policies."),
    Section("Users", "Create users, change profiles, reset passwords, unlock, assign permission sets."),
    Section("Profiles and Permission Sets", "Object and field permissions."),
    Section("Connected Apps OAuth Usage", "Who holds tokens for which app; revoke them."),
    Section("Login History", "Every login, by user, app, status and flow."),
    Section("Setup Audit Trail", "Every administrative change."),
    Section("Security", "Org security settings and signing keys."),
)


def _session_cookie(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def _current_login(request: Request) -> BrowserLogin | None:
    """The browser session's login, if it is valid and younger than a Setup session may be."""
    ctx: Context = request.app.state.ctx
    login = session_login(ctx, _session_cookie(request))
    if login is None or login.user.org_id != request.app.state.org_id:
        return None
    with ctx.db.read() as conn:
        org = repo.org_by_id(conn, login.user.org_id)
    if org is None or ctx.now_ms() >= login.auth_time_ms + org.admin_session_minutes * 60_000:
        return None
    return login


def _is_admin(request: Request, user: User) -> bool:
    ctx: Context = request.app.state.ctx
    with ctx.db.read() as conn:
        return may_administer(repo.profile_by_id(conn, user.profile_id))


def _logout_token(request: Request, login: BrowserLogin) -> str:
    ctx: Context = request.app.state.ctx
    return ctx.box.sign(f"{LOGOUT_PURPOSE}:{login.session_token}")


def _refused(request: Request, login: BrowserLogin) -> Response:
    return render(
        "setup_forbidden.html",
        status=403,
        username=login.user.username,
        csrf_token=_logout_token(request, login),
    )


def _home(request: Request) -> Response:
    login = _current_login(request)
    if login is None:
        return redirect_response(LOGIN_PATH)
    if not _is_admin(request, login.user):
        return _refused(request, login)
    return render(
        "setup_home.html",
        org_name=request.app.state.org_name,
        user=login.user,
        csrf_token=_logout_token(request, login),
        nav=[s for s in SECTIONS if s.href],
        current=HOME_PATH,
        sections=SECTIONS[1:],
    )


async def home(request: Request) -> Response:
    """GET /setup"""
    return await run_blocking(request, _home, request)


async def root(request: Request) -> Response:
    """GET /: Setup (which asks for a login first)."""
    return redirect_response(HOME_PATH)


def _login_page(
    request: Request, *, username: str = "", error: str | None = None, status: int = 200
) -> Response:
    return login_form(
        request,
        "login.html",
        "login",
        error=error,
        status=status,
        app_name=None,
        username=username,
        form_action=LOGIN_PATH,
    )


def _login_get(request: Request) -> Response:
    if _current_login(request) is not None:
        return redirect_response(HOME_PATH)
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
    return start_session(request, redirect_response(HOME_PATH), login)


async def _form(request: Request) -> dict[str, str] | None:
    try:
        return dict(await read_form_pairs(request))
    except OAuthError:
        return None


async def login_submit(request: Request) -> Response:
    """POST /setup/login: username, password, csrf_token."""
    form = await _form(request)
    if form is None:
        return forbidden()
    return await run_blocking(request, _login_submit, request, form, cpu_heavy=True)


def _logout(request: Request, form: dict[str, str]) -> Response:
    if not csrf_ok(request, LOGOUT_PURPOSE, _session_cookie(request), form.get("csrf_token")):
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
