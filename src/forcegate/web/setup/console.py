"""What every Setup page shares: who may see it, its layout, its forms' CSRF token and its answers.

A page is a function of an :class:`Admin` (the logged-in administrator and the request) registered
with :func:`page` (GET) or :func:`action` (POST). Both check the browser session first: no session,
or one older than the org's ``admin_session_minutes``, goes to the login page; a user without an
administrative permission gets the 403 page. An action also checks the form's CSRF token (an HMAC of
the browser session under the server key, so any server process can check it) before it reads
anything else, and is refused with the 403 "form expired" page otherwise.

After a change, an action redirects (post/redirect/get) with a ``notice`` code the next page shows
in fixed words: nothing a user typed is ever echoed from a URL.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response

from forcegate.context import Context
from forcegate.csv_export import to_csv
from forcegate.domain import User
from forcegate.flows.login import BrowserLogin, session_login
from forcegate.org.audit import Actor
from forcegate.org.permissions import user_may
from forcegate.protocol.requests import unstorable
from forcegate.storage import repositories as repo
from forcegate.web.common import caller_of, run_blocking
from forcegate.web.pages import PAGE_HEADERS, SESSION_COOKIE, csrf_ok, forbidden, redirect_response, render

__all__ = [
    "HOME_PATH",
    "LOGIN_PATH",
    "LOGOUT_PATH",
    "NOTICES",
    "SECTIONS",
    "Admin",
    "Paging",
    "Section",
    "action",
    "after_login",
    "csrf_token_for",
    "csv_response",
    "current_login",
    "page",
]

HOME_PATH = "/setup"
LOGIN_PATH = "/setup/login"
LOGOUT_PATH = "/setup/logout"
CSRF_PURPOSE = "setup"
# Setup's own paths: segments of unreserved characters, never "." or ".." (a browser would resolve them).
_LOCAL_PATH = re.compile(r"/setup(/(?!\.\.?(?:/|$))[A-Za-z0-9._~-]+)*")
MAX_FORM_BYTES = 512 * 1024  # a permission matrix has a field per object and permission
MAX_UPLOAD_BYTES = 64 * 1024  # a PEM certificate is a few kilobytes


@dataclass(frozen=True)
class Section:
    title: str
    description: str
    href: str
    keywords: str = ""  # more words Quick Find matches


# Setup's sections, in the navigation's order. Quick Find searches their titles and keywords.
SECTIONS: tuple[Section, ...] = (
    Section("Setup Home", "Where Setup starts.", HOME_PATH),
    Section(
        "App Manager",
        "Connected apps: consumer keys, callback URLs, scopes and OAuth policies.",
        "/setup/apps",
        "connected apps new connected app consumer key secret oauth manage access",
    ),
    Section(
        "Users",
        "Create users, change profiles, reset passwords, unlock, assign permission sets.",
        "/setup/users",
        "manage users password unlock deactivate security token",
    ),
    Section(
        "Profiles",
        "What each profile may do: system, object and field permissions.",
        "/setup/profiles",
        "object permissions field permissions",
    ),
    Section(
        "Permission Sets",
        "Permissions granted on top of a profile.",
        "/setup/permission-sets",
        "object permissions field permissions assignments",
    ),
    Section(
        "Connected Apps OAuth Usage",
        "Who holds tokens for which app; revoke them.",
        "/setup/oauth-usage",
        "tokens revoke oauth usage",
    ),
    Section(
        "Login History",
        "Every login, by user, app, status and flow.",
        "/setup/login-history",
        "logins audit failed",
    ),
    Section(
        "View Setup Audit Trail",
        "Every administrative change, whoever made it and however.",
        "/setup/audit-trail",
        "audit trail changes history",
    ),
    Section(
        "Security Settings",
        "Password flows, SOAP login, trusted IP ranges, lockout and the daily API allowance.",
        "/setup/security",
        "session settings network access trusted ip ranges lockout api",
    ),
    Section(
        "Certificate and Key Management",
        "The keys that sign ID tokens and JWT access tokens: rotate and retire them.",
        "/setup/signing-keys",
        "signing keys jwks certificates rotate",
    ),
)

# The words of a ``notice`` code, shown once at the top of the page an action redirects to.
NOTICES: Mapping[str, str] = {
    "app-created": "The connected app was created.",
    "app-saved": "The connected app was saved.",
    "app-deleted": "The connected app was deleted.",
    "secret-revoked": "The old consumer secret was revoked: only the new one works now.",
    "access-saved": "Access to the app was saved.",
    "tokens-revoked": "The tokens were revoked.",
    "user-created": "The user was created.",
    "user-saved": "The user was saved.",
    "user-unlocked": "The user was unlocked.",
    "permissions-saved": "The permissions were saved.",
    "profile-created": "The profile was created.",
    "permission-set-created": "The permission set was created.",
    "assignment-saved": "The permission set assignments were saved.",
    "settings-saved": "The security settings were saved.",
    "key-rotated": "A new signing key was created; the old one is still published until retired.",
    "key-retired": "The signing key was retired.",
}


def csrf_token_for(ctx: Context, login: BrowserLogin) -> str:
    """The CSRF token of every Setup form of this browser session."""
    return ctx.box.sign(f"{CSRF_PURPOSE}:{login.session_token}")


def current_login(request: Request) -> BrowserLogin | None:
    """The browser session's login, if it is valid, of this org, and younger than a Setup session may be."""
    ctx: Context = request.app.state.ctx
    login = session_login(ctx, request.cookies.get(SESSION_COOKIE))
    if login is None or login.user.org_id != request.app.state.org_id:
        return None
    with ctx.db.read() as conn:
        org = repo.org_by_id(conn, login.user.org_id)
    if org is None or ctx.now_ms() >= login.auth_time_ms + org.admin_session_minutes * 60_000:
        return None
    return login


@dataclass(frozen=True)
class Admin:
    """An administrator on a Setup page: the request, their login, and what every page needs."""

    request: Request
    login: BrowserLogin

    @property
    def ctx(self) -> Context:
        ctx: Context = self.request.app.state.ctx
        return ctx

    @property
    def user(self) -> User:
        return self.login.user

    @property
    def org_id(self) -> str:
        return self.login.user.org_id

    @property
    def csrf_token(self) -> str:
        return csrf_token_for(self.ctx, self.login)

    @property
    def actor(self) -> Actor:
        """Who the Setup Audit Trail says made a change from this page."""
        return Actor.console(self.user, caller_of(self.request).ip)

    def render(self, template: str, *, section: str, status: int = 200, **values: Any) -> Response:
        """A Setup page in the layout: header, navigation (``section`` is the current one) and notice."""
        notice = NOTICES.get(self.request.query_params.get("notice", ""))
        return render(
            template,
            status=status,
            script=True,
            org_name=self.request.app.state.org_name,
            user=self.user,
            csrf_token=self.csrf_token,
            nav=SECTIONS,
            current=section,
            notice=notice,
            **values,
        )

    def not_found(self, message: str, *, section: str) -> Response:
        """The 404 page, in the layout: a path named a record this org does not have."""
        return self.render("setup/not_found.html", section=section, status=404, message=message)

    def redirect(self, path: str, notice: str | None = None, **query: str) -> Response:
        """Post/redirect/get: back to a page, with a notice code (one of ``NOTICES``)."""
        if notice is not None:
            assert notice in NOTICES, notice
            query = {**query, "notice": notice}
        return redirect_response(path + ("?" + urlencode(query) if query else ""))


def after_login(request: Request) -> str:
    """Where the login page goes once logged in: the Setup page that asked for it (``?next=``), only
    ever a path of Setup's own (never another site: no open redirect), else Setup Home."""
    wanted = request.query_params.get("next", "")
    path = wanted.split("?", 1)[0]
    if wanted.startswith(HOME_PATH + "/") and len(wanted) < 2000 and _LOCAL_PATH.fullmatch(path):
        return wanted
    return HOME_PATH


def _to_login(request: Request) -> Response:
    if request.method != "GET" or request.url.path == HOME_PATH:
        return redirect_response(LOGIN_PATH)
    wanted = request.url.path + ("?" + request.url.query if request.url.query else "")
    return redirect_response(f"{LOGIN_PATH}?{urlencode({'next': wanted})}")


def _refused(request: Request, login: BrowserLogin) -> Response:
    ctx: Context = request.app.state.ctx
    return render(
        "setup/forbidden.html",
        status=403,
        username=login.user.username,
        csrf_token=csrf_token_for(ctx, login),
    )


def _admin(request: Request) -> Admin | Response:
    """The administrator on this request, or the answer for anyone else (login page, 403)."""
    login = current_login(request)
    if login is None:
        return _to_login(request)
    ctx: Context = request.app.state.ctx
    with ctx.db.read() as conn:
        allowed = user_may(conn, login.user.id)
    if not allowed:
        return _refused(request, login)
    return Admin(request, login)


PageHandler = Callable[[Admin], Response]
ActionHandler = Callable[[Admin, FormData], Response]


def _unknown_record(admin: Admin) -> Response | None:
    """The 404 page for a path naming what no stored name can hold (a NUL, a lone surrogate): no
    page's lookup ever sees it (PostgreSQL refuses such text outright)."""
    if not any(unstorable(str(v)) for v in admin.request.path_params.values()):
        return None
    path = admin.request.url.path
    section = max((s.href for s in SECTIONS if path.startswith(s.href)), key=len, default=HOME_PATH)
    return admin.not_found(
        _NOT_FOUND.get(section, "There is no such record: the link is wrong."), section=section
    )


# A section's own words for a record it does not have.
_NOT_FOUND = {"/setup/apps": "No connected app has this ID: it may have been deleted."}


def page(handler: PageHandler) -> Callable[[Request], Awaitable[Response]]:
    """A GET route: ``handler(admin)`` for an administrator."""

    def run(request: Request) -> Response:
        admin = _admin(request)
        if isinstance(admin, Response):
            return admin
        return _unknown_record(admin) or handler(admin)

    async def endpoint(request: Request) -> Response:
        return await run_blocking(request, run, request)

    endpoint.__doc__ = handler.__doc__
    return endpoint


class _FormRefused(Exception):
    """A form no page will read: too large, or not a form."""


class _UnstorableForm(Exception):
    """A form with a value no stored field can hold (a NUL, a lone surrogate)."""


async def _read_form(request: Request) -> FormData:
    """The posted form, urlencoded or multipart; an uploaded file (a certificate) becomes its text."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise _FormRefused
    try:
        form = await request.form(max_files=1, max_fields=5000, max_part_size=MAX_UPLOAD_BYTES)
    except (MultiPartException, ValueError, UnicodeDecodeError) as exc:
        raise _FormRefused from exc
    items: list[tuple[str, str | UploadFile]] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            content = await value.read(MAX_UPLOAD_BYTES + 1)
            await value.close()
            if len(content) > MAX_UPLOAD_BYTES:
                raise _FormRefused
            try:
                items.append((name, content.decode("utf-8")))
            except UnicodeDecodeError as exc:
                raise _FormRefused from exc
        else:
            items.append((name, value))
    await form.close()
    if any(unstorable(name) or (isinstance(value, str) and unstorable(value)) for name, value in items):
        raise _UnstorableForm
    return FormData(items)


def action(handler: ActionHandler, *, cpu_heavy: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """A POST route: ``handler(admin, form)`` for an administrator whose form carries the session's
    CSRF token. ``cpu_heavy``: the handler hashes a password (run it off the event loop)."""

    def run(request: Request, form: FormData) -> Response:
        admin = _admin(request)
        if isinstance(admin, Response):
            return admin
        submitted = form.get("csrf_token")
        if not csrf_ok(request, CSRF_PURPOSE, admin.login.session_token, str(submitted or "")):
            return forbidden()
        return _unknown_record(admin) or handler(admin, form)

    async def endpoint(request: Request) -> Response:
        try:
            form = await _read_form(request)
        except _FormRefused:
            return forbidden()
        except _UnstorableForm:
            return render(
                "error.html",
                status=400,
                error="invalid_request",
                description="The form holds a character no field can store.",
            )
        return await run_blocking(request, run, request, form, cpu_heavy=cpu_heavy)

    endpoint.__doc__ = handler.__doc__
    return endpoint


@dataclass(frozen=True)
class Paging:
    """A list page's window: ``offset`` and ``limit`` from the query string, bounded."""

    offset: int
    limit: int

    DEFAULT_LIMIT = 50
    MAX_LIMIT = 500

    @classmethod
    def of(cls, request: Request) -> Paging:
        def number(name: str, default: int) -> int:
            text = request.query_params.get(name, "")
            return int(text) if text.isdigit() and len(text) < 10 else default

        limit = min(max(number("limit", cls.DEFAULT_LIMIT), 1), cls.MAX_LIMIT)
        return cls(offset=number("offset", 0), limit=limit)

    def links(self, request: Request, shown: int, has_more: bool) -> dict[str, str | None]:
        """The previous and next pages' URLs (None at either end), keeping the page's filters."""
        query = {k: v for k, v in request.query_params.items() if k not in ("offset", "notice")}

        def at(offset: int) -> str:
            return request.url.path + "?" + urlencode({**query, "offset": str(offset)})

        return {
            "previous": at(max(self.offset - self.limit, 0)) if self.offset > 0 else None,
            "next": at(self.offset + shown) if has_more else None,
        }


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A CSV download of a list page."""
    return Response(
        to_csv(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )
