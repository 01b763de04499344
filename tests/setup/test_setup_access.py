"""Setup's way in (issue 12, item 1) and the security headers of every page (item 7), over plain HTTP."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest

from forcegate.org.access import org_view, update_org
from forcegate.org.errors import ValidationFailed
from forcegate.storage import repositories as repo
from forcegate.web.setup import ROUTES as SETUP_ROUTES
from forcegate.web.setup.home import FLOW
from tests.support.actors import FIXTURE
from tests.support.browser import (
    authorize,
    authorize_url,
    forms,
    log_in_to_setup,
    setup_csrf_token,
    setup_session,
    submit,
)
from tests.support.server import PASSWORD, Server

ADMIN = "System Administrator"
STANDARD = "Standard User"
CALLBACK = "https://app.example.com/oauth/callback"


def _log_in(browser: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    return log_in_to_setup(browser, username, password)


def _assert_page_headers(page: httpx.Response) -> None:
    csp = page.headers["content-security-policy"]
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";")}
    assert directives["default-src"] == "default-src 'none'"
    assert directives["style-src"] == "style-src 'self'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe-inline" not in csp  # no inline script or style
    # Setup's pages load forcegate's own script (copy buttons); the login page none at all.
    assert directives.get("script-src", "script-src 'self'") == "script-src 'self'"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    # Nothing the CSP would block: no inline script, style or event handler.
    text = page.text.replace('<script src="/static/setup.js" defer></script>', "")
    assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=", text, re.IGNORECASE), page.text
    assert '<link rel="stylesheet" href="/static/forcegate.css">' in page.text


def _cookie_flags(response: httpx.Response, name: str) -> str:
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    return header.lower()


def test_the_root_leads_to_setup_which_asks_for_a_login(server: Server) -> None:
    with server.client() as browser:
        root = browser.get("/")
        assert root.status_code == 302 and root.headers["location"] == "/setup"
        setup = browser.get("/setup")
        assert setup.status_code == 302 and setup.headers["location"] == "/setup/login"
        login = browser.get("/setup/login")
    assert login.status_code == 200
    (form,) = forms(login.text)
    assert form["action"] == "/setup/login"
    assert {"username", "password", "csrf_token"} <= set(form["fields"])  # type: ignore[arg-type]
    assert "<h1>Log in to " in login.text


def test_an_administrator_logs_in_and_sees_setup_home_and_the_login_is_in_history(server: Server) -> None:
    admin = server.create_user(profile=ADMIN)
    with server.client() as browser:
        answer = _log_in(browser, admin.username)
        assert answer.status_code == 302 and answer.headers["location"] == "/setup"
        flags = _cookie_flags(answer, "fg_sid")
        assert "httponly" in flags and "samesite=lax" in flags
        assert "secure" not in flags  # plain HTTP: a Secure cookie would never come back
        home = browser.get("/setup")
        # Logged in, the login page sends the admin back to Setup.
        again = browser.get("/setup/login")
    assert home.status_code == 200, home.text
    assert "<h1>Setup Home</h1>" in home.text
    assert admin.username in home.text
    assert 'href="/setup"' in home.text
    assert again.status_code == 302 and again.headers["location"] == "/setup"
    (row, *_) = server.login_history_of(user_id=admin.id, flow=FLOW)
    assert row["status"] == "Success"
    assert row["login_type"] == "Application"
    assert row["app_id"] is None


def test_a_wrong_password_stays_on_the_login_page_and_is_recorded(server: Server) -> None:
    admin = server.create_user(profile=ADMIN)
    with server.client() as browser:
        answer = _log_in(browser, admin.username, "not-the-password")
        assert answer.status_code == 401
        assert "Please check your username and password" in answer.text
        assert browser.get("/setup").headers["location"] == "/setup/login"
    (row, *_) = server.login_history_of(user_id=admin.id, flow=FLOW)
    assert row["status"] == "Invalid Password"


@pytest.mark.parametrize("profile", [STANDARD, "Minimum Access"])
def test_a_user_without_the_admin_right_gets_403(server: Server, profile: str) -> None:
    user = server.create_user(profile=profile)
    with server.client() as browser:
        assert _log_in(browser, user.username).headers["location"] == "/setup"
        refused = browser.get("/setup")
    assert refused.status_code == 403
    assert "Insufficient Privileges" in refused.text and "Setup Home" not in refused.text
    _assert_page_headers(refused)


def test_an_oauth_login_session_opens_setup_for_an_admin_only(server: Server) -> None:
    """Setup and the OAuth pages share the browser session."""
    app, _ = server.create_app()
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}
    for profile, status in ((ADMIN, 200), (STANDARD, 403)):
        user = server.create_user(profile=profile)
        with server.client() as browser:
            authorize(browser, params, user.username, PASSWORD, decision="allow")
            assert browser.get("/setup").status_code == status


def _org_setting(server: Server, **changes: object) -> dict[str, object]:
    """Change org settings; the old values of those settings, to put back."""
    with server.ctx.db.write() as conn:
        org = repo.org_by_id(conn, server.org_id)
        assert org is not None
        before = {name: org_view(org)[name] for name in changes}
        update_org(server.ctx, conn, org, dict(changes), actor=FIXTURE)
    return before


def test_an_admin_session_times_out_after_the_org_setting_default_two_hours(server: Server) -> None:
    admin = server.create_user(profile=ADMIN)
    with server.ctx.db.read() as conn:
        org = repo.org_by_id(conn, server.org_id)
    assert org is not None and org.admin_session_minutes == 120  # the default
    with server.client() as browser:
        _log_in(browser, admin.username)
        server.clock.advance(2 * 3600 - 60)
        assert browser.get("/setup").status_code == 200
        server.clock.advance(61)
        expired = browser.get("/setup")
        assert expired.status_code == 302 and expired.headers["location"] == "/setup/login"
        assert browser.get("/setup/login").status_code == 200  # the login page again, not a loop
        assert _log_in(browser, admin.username).headers["location"] == "/setup"
        assert browser.get("/setup").status_code == 200


def test_the_admin_session_timeout_follows_the_org_setting(server: Server) -> None:
    admin = server.create_user(profile=ADMIN)
    before = _org_setting(server, admin_session_minutes=15)
    try:
        with server.client() as browser:
            _log_in(browser, admin.username)
            server.clock.advance(14 * 60)
            assert browser.get("/setup").status_code == 200
            server.clock.advance(61)
            assert browser.get("/setup").headers["location"] == "/setup/login"
    finally:
        _org_setting(server, **before)


@pytest.mark.parametrize("minutes", [0, -1, 24 * 60 + 1, "2h"])
def test_the_admin_session_timeout_is_validated(server: Server, minutes: object) -> None:
    with server.ctx.db.write() as conn:
        org = repo.org_by_id(conn, server.org_id)
        assert org is not None
        with pytest.raises(ValidationFailed, match="admin_session_minutes must be"):
            update_org(server.ctx, conn, org, {"admin_session_minutes": minutes}, actor=FIXTURE)


def test_logout_ends_the_session(server: Server) -> None:
    admin = server.create_user(profile=ADMIN)
    with server.client() as browser:
        _log_in(browser, admin.username)
        home = browser.get("/setup")
        cookie = browser.cookies["fg_sid"]
        out = browser.post("/setup/logout", data={"csrf_token": setup_csrf_token(home)})
        assert out.status_code == 302 and out.headers["location"] == "/setup/login"
        assert 'fg_sid=""' in out.headers["set-cookie"] or "max-age=0" in out.headers["set-cookie"].lower()
        assert browser.get("/setup").headers["location"] == "/setup/login"
    # The server side is gone too: the old cookie, replayed, opens nothing.
    with server.client(cookies={"fg_sid": cookie}) as replay:
        assert replay.get("/setup").headers["location"] == "/setup/login"


@pytest.mark.parametrize("token", [None, "", "wrong", "other-session"])
def test_logout_without_the_right_csrf_token_is_refused(server: Server, token: str | None) -> None:
    admin = server.create_user(profile=ADMIN)
    with server.client() as other:
        _log_in(other, admin.username)
        other_token = setup_csrf_token(other.get("/setup"))
    with server.client() as browser:
        _log_in(browser, admin.username)
        data = {} if token is None else {"csrf_token": other_token if token == "other-session" else token}
        refused = browser.post("/setup/logout", data=data)
        assert refused.status_code == 403
        _assert_page_headers(refused)
        assert browser.get("/setup").status_code == 200  # still logged in


@pytest.mark.parametrize("token", [None, "wrong"])
def test_setup_login_without_the_right_csrf_token_is_refused(server: Server, token: str | None) -> None:
    admin = server.create_user(profile=ADMIN)
    with server.client() as browser:
        page = browser.get("/setup/login")
        fields = dict(forms(page.text)[0]["fields"])  # type: ignore[arg-type]
        if token is None:
            fields.pop("csrf_token")
        else:
            fields["csrf_token"] = token
        refused = browser.post(
            "/setup/login", data={**fields, "username": admin.username, "password": PASSWORD}
        )
        assert refused.status_code == 403
        assert "fg_sid" not in browser.cookies
        assert browser.get("/setup").headers["location"] == "/setup/login"
    assert server.login_history_of(user_id=admin.id, flow=FLOW) == []


def test_every_setup_form_that_posts_carries_a_csrf_token(server: Server) -> None:
    admin = server.create_user(profile=ADMIN)
    with server.client() as browser:
        pages = [browser.get("/setup/login")]
        _log_in(browser, admin.username)
        pages.append(browser.get("/setup"))
    for page in pages:
        posting = [form for form in forms(page.text) if form["method"] == "post"]
        assert posting, page.url
        for form in posting:  # a GET form (Quick Find) changes nothing
            assert form["fields"].get("csrf_token"), (form, page.url)  # type: ignore[attr-defined]


def test_the_security_headers_are_on_setup_login_and_consent_pages(server: Server) -> None:
    app, _ = server.create_app()
    admin = server.create_user(profile=ADMIN)
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}
    with server.client() as browser:
        setup_login = browser.get("/setup/login")
        _log_in(browser, admin.username)
        home = browser.get("/setup")
        oauth_login = browser.get(authorize_url({**params, "prompt": "login"}))
    with server.client() as browser:
        consent = authorize(browser, params, server.create_user().username, PASSWORD, decision=None).response
        device = browser.get("/setup/connect")
    assert 'name="decision"' in consent.text and 'name="password"' in oauth_login.text
    for page in (setup_login, home, oauth_login, consent, device):
        assert page.status_code == 200, page.url
        _assert_page_headers(page)
    # Setup's forms post only to the server; the OAuth pages' may end at the client's callback.
    assert "form-action 'self';" in home.headers["content-security-policy"]
    assert "form-action 'self' https://app.example.com;" in consent.headers["content-security-policy"]
    # The login CSRF cookie is HttpOnly and SameSite.
    flags = _cookie_flags(setup_login, "fg_csrf")
    assert "httponly" in flags and "samesite=lax" in flags


def test_the_stylesheet_is_served_by_forcegate(server: Server) -> None:
    with server.client() as browser:
        css = browser.get("/static/forcegate.css")
        missing = [browser.get(path).status_code for path in ("/static/nope.css", "/static/..%2fserver.py")]
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.headers["x-content-type-options"] == "nosniff"
    assert ".setup-header" in css.text and "@media" in css.text
    assert missing == [404, 404]


def test_a_setup_page_asked_for_before_login_is_where_the_login_leads(server: Server) -> None:
    admin = server.create_user(profile=ADMIN)
    with server.client() as browser:
        asked = browser.get("/setup/security")
        assert asked.status_code == 302
        assert asked.headers["location"] == "/setup/login?next=%2Fsetup%2Fsecurity"
        page = browser.get(asked.headers["location"])
        assert forms(page.text)[0]["action"] == "/setup/login?next=%2Fsetup%2Fsecurity"
        landed = submit(browser, page, username=admin.username, password=PASSWORD)
        assert landed.status_code == 302 and landed.headers["location"] == "/setup/security"


@pytest.mark.parametrize(
    "wanted",
    ["https://evil.example/", "//evil.example/setup", "/setup/../evil", "/setup\\evil", "/services/data"],
)
def test_the_login_never_leads_off_setup(server: Server, wanted: str) -> None:
    admin = server.create_user(profile=ADMIN)
    with server.client() as browser:
        page = browser.get("/setup/login", params={"next": wanted})
        assert forms(page.text)[0]["action"] == "/setup/login"
        landed = browser.post(
            "/setup/login",
            params={"next": wanted},
            data={**forms(page.text)[0]["fields"], "username": admin.username, "password": PASSWORD},  # type: ignore[dict-item]
        )
        assert landed.status_code == 302 and landed.headers["location"] == "/setup"


def test_quick_find_narrows_setup_home_to_the_sections_that_match(server: Server) -> None:
    admin = server.create_user(profile=ADMIN)
    with server.client() as browser:
        _log_in(browser, admin.username)
        found = browser.get("/setup", params={"q": "App Manager"})
        assert found.status_code == 200
        assert '<a href="/setup/apps">App Manager</a>' in found.text
        assert '<a href="/setup/users">Users</a>' not in found.text.split('id="content"')[1]
        nothing = browser.get("/setup", params={"q": "<script>zzz"})
        assert "nothing matches" in nothing.text and "<script>zzz" not in nothing.text


_PATHS_WITH_RECORDS = sorted(
    {(route.path, method) for route in SETUP_ROUTES if "{" in route.path for method in route.methods or ()}
    - {(r.path, "HEAD") for r in SETUP_ROUTES}
)


@pytest.mark.parametrize(("path", "method"), _PATHS_WITH_RECORDS)
def test_a_path_naming_what_no_record_can_hold_is_the_404_page(
    server: Server, path: str, method: str
) -> None:
    """A NUL in a path's record name reaches no lookup (PostgreSQL refuses such text: it was a 500)."""
    with setup_session(server) as browser:
        token = setup_csrf_token(browser.get("/setup"))
        url = re.sub(r"\{[a-z_]+\}", "a%00b", path)
        answer = browser.get(url) if method == "GET" else browser.post(url, data={"csrf_token": token})
        assert answer.status_code == 404, (url, answer.status_code)
        assert "There is no such record" in answer.text or "No connected app has this ID" in answer.text


def test_a_form_holding_what_no_field_can_store_is_refused_and_nothing_is_created(server: Server) -> None:
    with setup_session(server) as browser:
        token = setup_csrf_token(browser.get("/setup"))
        name = f"Nul\x00Profile {secrets.token_hex(3)}"
        refused = browser.post("/setup/profiles/new", data={"csrf_token": token, "name": name})
        assert refused.status_code == 400 and "no field can store" in refused.text
    with server.ctx.db.read() as conn:
        assert all("Nul" not in p.name for p in repo.list_profiles(conn, server.org_id))
