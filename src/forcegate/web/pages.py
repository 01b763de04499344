"""The browser side of the Web Server flow: authorize, login and consent pages.

Plain HTML forms that work without JavaScript. The authorize request travels through the login and
consent forms as its original query string and is validated again at every step, so no server
process keeps state between pages: the login session and remembered consent live in the database,
and CSRF tokens are HMACs under the server key (the same in every process).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from forcegate.context import Context
from forcegate.flows import authorize as authorization
from forcegate.flows import web_server
from forcegate.flows.login import BrowserLogin, LoginRateExceeded, log_in, session_login
from forcegate.flows.logout import end_browser_session
from forcegate.protocol.errors import FormExpired, OAuthError
from forcegate.protocol.requests import parse_authorize_request
from forcegate.protocol.scopes import SCOPE_DESCRIPTIONS
from forcegate.secrets_box import constant_time_equals, random_token
from forcegate.web.common import caller_of, query_pairs, read_form_pairs

__all__ = [
    "authorize",
    "consent_submit",
    "csrf_ok",
    "forbidden",
    "login_submit",
    "oauth_success",
    "redirect_response",
    "render",
    "secure_cookies",
    "static_file",
]

SESSION_COOKIE = "fg_sid"
CSRF_COOKIE = "fg_csrf"
LOGIN_FAILED = (
    "Please check your username and password. If you still can't log in, contact your administrator."
)
LOGIN_RATE_EXCEEDED = "Too many failed logins. Wait a few minutes, then try again."
# No script at all, and styles only from forcegate's own stylesheet (/static/): no inline style or script.
CSP = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action {}; frame-ancestors 'none'"
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": CSP.format("'self'"),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_CSP_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*\Z")
_CSP_HOST = re.compile(r"[a-z0-9.-]+\Z")

_PACKAGE = Path(__file__).resolve().parent.parent
_STATIC = _PACKAGE / "static"
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
_STATIC_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\.(css|js)\Z")

_templates = Environment(
    loader=FileSystemLoader(_PACKAGE / "templates"),
    autoescape=select_autoescape(["html"]),
)


def iso_time(ms: int) -> str:
    """A time in milliseconds since the epoch as ISO 8601, UTC, to the second."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _shown_time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# Times on pages: milliseconds since the epoch, shown in UTC (the server knows no browser's zone).
_templates.filters["iso"] = iso_time
_templates.filters["shown_time"] = _shown_time


def callback_source(redirect_uri: str) -> str | None:
    """The CSP source of a client's callback URL: scheme, host and port, or just the scheme."""
    parts = urlsplit(redirect_uri)
    scheme = parts.scheme.lower()
    if not _CSP_SCHEME.match(scheme):
        return None
    host = (parts.hostname or "").lower()
    if scheme in ("http", "https") and _CSP_HOST.match(host):
        try:
            port = parts.port
        except ValueError:
            return None
        return f"{scheme}://{host}" + (f":{port}" if port else "")
    return f"{scheme}:"


def render(
    name: str, status: int = 200, redirect_uri: str | None = None, script: bool = False, **values: Any
) -> HTMLResponse:
    """A page; one whose form may end in a redirect to the client names its callback in form-action,
    as browsers check form-action against every redirect that follows a form submission. ``script``:
    the page loads forcegate's own script (Setup's copy buttons), never an inline one."""
    csp = CSP.format("'self'")
    source = callback_source(redirect_uri) if redirect_uri else None
    if source:
        csp = CSP.format(f"'self' {source}")
    if script:
        csp = csp.replace("style-src 'self';", "style-src 'self'; script-src 'self';")
    headers = (
        PAGE_HEADERS
        if csp == PAGE_HEADERS["Content-Security-Policy"]
        else {
            **PAGE_HEADERS,
            "Content-Security-Policy": csp,
        }
    )
    html = _templates.get_template(name).render(script=script, **values)
    return HTMLResponse(html, status_code=status, headers=headers)


def _error_page(error: web_server.ErrorPage) -> HTMLResponse:
    return render(
        "error.html",
        status=400,
        error=error.error,
        description=error.description,
        received_redirect_uri=error.redirect_uri,
    )


def secure_cookies(request: Request) -> bool:
    return str(request.app.state.public_url).startswith("https://")


def login_form(
    request: Request, template: str, purpose: str, *, error: str | None, status: int, **values: Any
) -> Response:
    """A login form and its CSRF cookie, the token signed for ``purpose``: the OAuth, device and Setup
    logins are the same form (fields ``username``, ``password``), rendered by their own template."""
    ctx: Context = request.app.state.ctx
    csrf_cookie = request.cookies.get(CSRF_COOKIE) or random_token(24)
    response = render(
        template,
        status=200 if error is None else status,
        org_name=request.app.state.org_name,
        error=error,
        csrf_token=ctx.box.sign(f"{purpose}:{csrf_cookie}"),
        **values,
    )
    response.set_cookie(
        CSRF_COOKIE, csrf_cookie, httponly=True, samesite="lax", secure=secure_cookies(request)
    )
    return response


def start_session(request: Request, response: Response, login: BrowserLogin) -> Response:
    """The browser session cookie a successful login sets, whichever page it was."""
    ctx: Context = request.app.state.ctx
    response.set_cookie(
        SESSION_COOKIE,
        login.session_token,
        max_age=ctx.settings.browser_session_seconds,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    return response


def end_session(request: Request, response: Response) -> Response:
    """Log the browser out: its session ends on the server and its cookie goes (every logout)."""
    ctx: Context = request.app.state.ctx
    end_browser_session(ctx, request.cookies.get(SESSION_COOKIE))
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=secure_cookies(request))
    return response


def _login_page(
    request: Request,
    authorize_query: str,
    *,
    username: str = "",
    error: str | None = None,
    status: int = 401,  # with an error
    app_name: str | None = None,
    redirect_uri: str | None = None,
) -> Response:
    return login_form(
        request,
        "login.html",
        "login",
        error=error,
        status=status,
        redirect_uri=redirect_uri,
        app_name=app_name,
        username=username,
        authorize_query=authorize_query,
    )


def redirect_response(url: str) -> Response:
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})


def _continue(request: Request, auth: web_server.ValidatedAuthorization, login: BrowserLogin) -> Response:
    """After a login (fresh or remembered): the consent page, or straight back to the client."""
    ctx: Context = request.app.state.ctx
    try:
        with ctx.db.read() as conn:
            ask = web_server.consent_needed(conn, login.user, auth)
    except web_server.AuthorizeRedirect as redirect:
        return redirect_response(redirect.url)
    if not ask:
        return redirect_response(
            authorization.complete(ctx, caller_of(request), login.user, auth, login.auth_time_ms)
        )
    return render(
        "consent.html",
        redirect_uri=auth.request.redirect_uri,
        app_name=auth.app.name,
        username=login.user.username,
        scope_descriptions=list(dict.fromkeys(SCOPE_DESCRIPTIONS[s] for s in auth.scopes)),
        authorize_query=request.state.authorize_query,
        csrf_token=ctx.box.sign("consent:" + login.session_token),
    )


def _validated(request: Request, authorize_query: str) -> web_server.ValidatedAuthorization:
    ctx: Context = request.app.state.ctx
    request.state.authorize_query = authorize_query
    try:
        authorize_request = parse_authorize_request(query_pairs(authorize_query))
    except OAuthError as error:
        raise web_server.ErrorPage(error.error, error.description) from error
    with ctx.db.read() as conn:
        return web_server.validate_authorize_request(conn, authorize_request)


def _validated_or_answer(
    request: Request, authorize_query: str
) -> web_server.ValidatedAuthorization | Response:
    """The validated authorize request, or the answer to a bad one (error page or error redirect)."""
    try:
        return _validated(request, authorize_query)
    except web_server.ErrorPage as error:
        return _error_page(error)
    except web_server.AuthorizeRedirect as redirect:
        return redirect_response(redirect.url)


def _authorize(request: Request) -> Response:
    ctx: Context = request.app.state.ctx
    auth = _validated_or_answer(request, request.url.query)
    if isinstance(auth, Response):
        return auth
    login = session_login(ctx, request.cookies.get(SESSION_COOKIE))
    if login is None or "login" in auth.request.prompt:
        return _login_page(
            request,
            request.url.query,
            username=auth.request.login_hint or "",
            app_name=auth.app.name,
            redirect_uri=auth.request.redirect_uri,
        )
    return _continue(request, auth, login)


async def authorize(request: Request) -> Response:
    """GET /services/oauth2/authorize"""
    return await run_in_threadpool(_authorize, request)


def csrf_ok(request: Request, purpose: str, secret: str | None, submitted: str | None) -> bool:
    ctx: Context = request.app.state.ctx
    if not secret or not submitted:
        return False
    return constant_time_equals(ctx.box.sign(f"{purpose}:{secret}"), submitted)


def forbidden() -> Response:
    return render(
        "error.html", status=FormExpired.status, error=FormExpired.error, description=FormExpired.description
    )


def _login_submit(request: Request, form: dict[str, str]) -> Response:
    ctx: Context = request.app.state.ctx
    if not csrf_ok(request, "login", request.cookies.get(CSRF_COOKIE), form.get("csrf_token")):
        return forbidden()
    authorize_query = form.get("authorize_query", "")
    auth = _validated_or_answer(request, authorize_query)
    if isinstance(auth, Response):
        return auth
    username = form.get("username", "")
    error, status = LOGIN_FAILED, 401
    try:
        login = log_in(
            ctx,
            caller_of(request),
            org_id=auth.app.org_id,
            username=username,
            password=form.get("password", ""),
            app=auth.app,
            flow=authorization.flow_of(auth),
        )
    except LoginRateExceeded:
        login, error, status = None, LOGIN_RATE_EXCEEDED, 429
    if login is None:
        return _login_page(
            request,
            authorize_query,
            username=username,
            error=error,
            status=status,
            app_name=auth.app.name,
            redirect_uri=auth.request.redirect_uri,
        )
    return start_session(request, _continue(request, auth, login), login)


async def _form(request: Request) -> dict[str, str]:
    return dict(await read_form_pairs(request))


async def login_submit(request: Request) -> Response:
    """POST /login: username, password, csrf_token, authorize_query."""
    try:
        form = await _form(request)
    except OAuthError:
        return forbidden()
    return await run_in_threadpool(_login_submit, request, form)


def _consent_submit(request: Request, form: dict[str, str]) -> Response:
    ctx: Context = request.app.state.ctx
    session_token = request.cookies.get(SESSION_COOKIE)
    if not csrf_ok(request, "consent", session_token, form.get("csrf_token")):
        return forbidden()
    authorize_query = form.get("authorize_query", "")
    auth = _validated_or_answer(request, authorize_query)
    if isinstance(auth, Response):
        return auth
    login = session_login(ctx, session_token)
    if login is None:
        return _login_page(
            request, authorize_query, app_name=auth.app.name, redirect_uri=auth.request.redirect_uri
        )
    decision = form.get("decision")
    if decision == "deny":
        return redirect_response(web_server.deny(auth))
    if decision != "allow":
        return forbidden()
    return redirect_response(
        authorization.complete(ctx, caller_of(request), login.user, auth, login.auth_time_ms)
    )


async def consent_submit(request: Request) -> Response:
    """POST /services/oauth2/authorize/consent: decision=allow|deny, csrf_token, authorize_query."""
    try:
        form = await _form(request)
    except OAuthError:
        return forbidden()
    return await run_in_threadpool(_consent_submit, request, form)


async def oauth_success(request: Request) -> Response:
    """GET /services/oauth2/success: the landing page of a User-Agent flow whose app has no page of its
    own (the app reads the tokens from the URL fragment, which never reaches us)."""
    return render("oauth_success.html")


async def static_file(request: Request) -> Response:
    """GET /static/{name}: the pages' stylesheet (and any script), from the package itself: no CDN."""
    name = request.path_params["name"]
    path = _STATIC / name
    if not _STATIC_NAME.match(name) or not path.is_file():
        return Response("Not Found", status_code=404, media_type="text/plain")
    content = await run_in_threadpool(path.read_bytes)
    return Response(
        content,
        media_type=_STATIC_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
