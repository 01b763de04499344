"""Connected Apps OAuth Usage (issue 12, item 4) over HTTP: who holds live tokens for which app, and
revoking them from the page (the revoked tokens fail at once at the data API and the token endpoint)."""

from __future__ import annotations

import datetime as dt
import html
import re
import secrets

import httpx
import pytest
from playwright.sync_api import Browser

from forcegate.domain import ConnectedApp, User
from tests.support.browser import setup_csrf_token, setup_session
from tests.support.data_api import DATA, bearer
from tests.support.pages import check_page, setup_tab
from tests.support.server import Server
from tests.support.tables import pages, tables
from tests.support.tokens import (
    assert_refresh_refused,
    client_credentials_app,
    client_credentials_token,
    refresh,
    web_server_tokens,
)

PATH = "/setup/oauth-usage"
ADMIN = "System Administrator"
_SECTION = re.compile(r'<section class="panel" aria-labelledby="usage-(\w+)">(.*?)</section>', re.DOTALL)


def _usage(browser: httpx.Client, app: ConnectedApp, limit: int = 500) -> dict[str, dict[str, str]]:
    """The app's rows on the usage page, by username, following the pages to the end (the shared
    test server holds other tests' apps too)."""
    rows: dict[str, dict[str, str]] = {}
    for page in pages(browser, f"{PATH}?limit={limit}"):
        for app_id, section in _SECTION.findall(page.text):
            if app_id == app.id:
                assert html.escape(app.name) in section
                (table,) = tables(section)
                rows.update((record["User"].split()[-1], record) for record in table.records())
    return rows


def _revoke(browser: httpx.Client, path: str, **data: str) -> httpx.Response:
    token = setup_csrf_token(browser.get(PATH))
    return browser.post(path, data={"csrf_token": token, **data})


def _data_api(server: Server, access_token: str) -> int:
    with server.client() as client:
        return client.get(f"{DATA}/sobjects", headers=bearer(access_token)).status_code


def _shown(ms: int) -> str:
    """A time as the page shows it."""
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def test_a_users_tokens_are_listed_under_the_app_with_counts_and_times(server: Server) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    before = _shown(server.clock.now_ms() - 1000)
    web_server_tokens(server, app, secret, user)
    second = web_server_tokens(server, app, secret, user)
    with setup_session(server) as browser:
        row = _usage(browser, app)[user.username]
        page = browser.get(PATH)
    assert page.headers["cache-control"] == "no-store"
    assert "<h1>Connected Apps OAuth Usage</h1>" in page.text
    assert row["User"] == f"Test User {user.username}"
    assert row["Access Tokens"] == "2" and row["Refresh Tokens"] == "2"
    assert before <= row["First Issued"] <= row["Last Used"] <= _shown(server.clock.now_ms())
    assert row["Action"] == "Revoke"
    # A refresh is a use: Last Used moves; First Issued is the grant's.
    server.clock.advance(3600)
    assert refresh(server, app, secret, second["refresh_token"]).status_code == 200
    with setup_session(server) as browser:
        after = _usage(browser, app)[user.username]
    assert after["First Issued"] == row["First Issued"]
    assert after["Last Used"] > row["Last Used"]
    assert after["Last Used"] >= _shown(server.clock.now_ms() - 1000)
    assert after["Access Tokens"] == "3" and after["Refresh Tokens"] == "2"


def test_only_live_tokens_count(server: Server) -> None:
    """An expired access token is not held any more: a client credentials user without a refresh
    token leaves the page when it expires; a refresh token keeps its user there."""
    app, secret, run_as = client_credentials_app(server)
    client_credentials_token(server, app, secret)
    web_app, web_secret = server.create_app()
    user = server.create_user()
    web_server_tokens(server, web_app, web_secret, user)
    with setup_session(server) as browser:
        assert _usage(browser, app)[run_as.username]["Access Tokens"] == "1"
    server.clock.advance(2 * 3600 + 1)  # the default access token lifetime, and a second
    with setup_session(server) as browser:  # (a new login: Setup sessions last two hours too)
        assert _usage(browser, app) == {}
        row = _usage(browser, web_app)[user.username]
    assert row["Access Tokens"] == "0" and row["Refresh Tokens"] == "1"


@pytest.mark.parametrize("policy", ["expire_after", "expire_if_unused"])
def test_a_refresh_token_expired_by_its_apps_policy_is_not_held(server: Server, policy: str) -> None:
    """The page reads the app's refresh token policy as the refresh token flow does."""
    app, secret = server.create_app(refresh_token_policy=policy, refresh_token_validity_seconds=3 * 3600)
    user = server.create_user()
    tokens = web_server_tokens(server, app, secret, user)
    server.clock.advance(3 * 3600 - 60)  # the access token has expired, the refresh token not yet
    with setup_session(server) as browser:
        row = _usage(browser, app)[user.username]
    assert (row["Access Tokens"], row["Refresh Tokens"]) == ("0", "1")
    server.clock.advance(61)
    assert_refresh_refused(server, app, secret, tokens["refresh_token"])
    with setup_session(server) as browser:
        assert _usage(browser, app) == {}


def test_revoke_ends_that_users_tokens_for_that_app_at_once(server: Server) -> None:
    app, secret = server.create_app()
    other_app, other_secret = server.create_app()
    user, other_user = server.create_user(), server.create_user()
    tokens = web_server_tokens(server, app, secret, user)
    kept = [
        web_server_tokens(server, app, secret, other_user),
        web_server_tokens(server, other_app, other_secret, user),
    ]
    assert _data_api(server, tokens["access_token"]) == 200
    with setup_session(server) as browser:
        answer = _revoke(browser, f"{PATH}/{app.id}/users/{user.id}/revoke")
        assert answer.status_code == 302
        assert answer.headers["location"] == f"{PATH}?notice=tokens-revoked"
        shown = browser.get(answer.headers["location"])
        rows = _usage(browser, app)
    assert "The tokens were revoked." in shown.text
    assert user.username not in rows and other_user.username in rows
    assert _data_api(server, tokens["access_token"]) == 401
    assert_refresh_refused(server, app, secret, tokens["refresh_token"])
    # The scope of damage is that user for that app: the others keep working.
    for alive in kept:
        assert _data_api(server, alive["access_token"]) == 200


def test_revoke_all_ends_every_users_tokens_for_the_app(server: Server) -> None:
    app, secret = server.create_app()
    other_app, other_secret = server.create_app()
    users: list[User] = [server.create_user(), server.create_user()]
    tokens = [web_server_tokens(server, app, secret, u) for u in users]
    kept = web_server_tokens(server, other_app, other_secret, users[0])
    with setup_session(server) as browser:
        assert len(_usage(browser, app)) == 2
        answer = _revoke(browser, f"{PATH}/{app.id}/revoke")
        assert answer.headers["location"] == f"{PATH}?notice=tokens-revoked"
        assert _usage(browser, app) == {}
        assert users[0].username in _usage(browser, other_app)
    for revoked in tokens:
        assert _data_api(server, revoked["access_token"]) == 401
        assert_refresh_refused(server, app, secret, revoked["refresh_token"])
    assert _data_api(server, kept["access_token"]) == 200


@pytest.mark.parametrize(
    "path",
    [
        "/005000000000000AAA/revoke",  # a record ID of no app
        "/no-such-app/revoke",
        "/{app}/users/005000000000000AAA/revoke",  # an app, but no such user
        "/{app}/users/nobody@example.com/revoke",
        "/%00/revoke",  # nothing any database could store
        "/{app}/users/%00/revoke",
    ],
)
def test_an_unknown_app_or_user_is_a_404_page(server: Server, path: str) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    tokens = web_server_tokens(server, app, secret, user)
    with setup_session(server) as browser:
        answer = _revoke(browser, PATH + path.replace("{app}", app.id))
    assert answer.status_code == 404
    assert "Data Not Available" in answer.text and "%00" not in answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert _data_api(server, tokens["access_token"]) == 200


def test_a_user_of_another_org_is_not_found(server: Server) -> None:
    """A path naming a user by username finds only this org's users (find_user's rule)."""
    app, _ = server.create_app()
    with setup_session(server) as browser:
        answer = _revoke(browser, f"{PATH}/{app.id}/users/not-a-user-anywhere@example.org/revoke")
    assert answer.status_code == 404


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_revoking_without_the_forms_csrf_token_is_refused(server: Server, token: str | None) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    tokens = web_server_tokens(server, app, secret, user)
    with setup_session(server) as browser:
        for path in (f"{PATH}/{app.id}/revoke", f"{PATH}/{app.id}/users/{user.id}/revoke"):
            answer = browser.post(path, data={} if token is None else {"csrf_token": token})
            assert answer.status_code == 403
    assert _data_api(server, tokens["access_token"]) == 200


def test_a_non_administrator_gets_403_and_revokes_nothing(server: Server) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    tokens = web_server_tokens(server, app, secret, user)
    with setup_session(server, profile="Standard User") as browser:
        assert browser.get(PATH).status_code == 403
        # Even with the session's own CSRF token (the 403 page's Log Out form carries it).
        token = setup_csrf_token(browser.get(PATH))
        for path in (f"{PATH}/{app.id}/revoke", f"{PATH}/{app.id}/users/{user.id}/revoke"):
            assert browser.post(path, data={"csrf_token": token}).status_code == 403
    assert _data_api(server, tokens["access_token"]) == 200


def test_without_a_login_the_page_asks_for_one(server: Server) -> None:
    with server.client() as browser:
        page = browser.get(PATH)
        post = browser.post(f"{PATH}/005000000000000AAA/revoke", data={})
    assert page.status_code == 302 and page.headers["location"] == "/setup/login?next=%2Fsetup%2Foauth-usage"
    assert post.status_code == 302 and post.headers["location"] == "/setup/login"


def test_the_page_is_paginated(server: Server) -> None:
    app, secret = server.create_app()
    users = [server.create_user() for _ in range(3)]
    for user in users:
        web_server_tokens(server, app, secret, user)
    with setup_session(server) as browser:
        # One row a page: following Next from the first page reaches every user once.
        rows = _usage(browser, app, limit=1)
        first = browser.get(f"{PATH}?limit=1")
    assert {u.username for u in users} <= set(rows)
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    # Every row counts its app's users, not just the page's.
    assert all("3 users" in section for app_id, section in _SECTION.findall(first.text) if app_id == app.id)


def test_in_chromium_revoke_from_the_page_and_the_token_fails_at_once(
    server: Server, browser: Browser
) -> None:
    # A name sorting first, so the app is on the first page whatever other tests left on the server.
    app, secret = server.create_app(name=f"0 OAuth usage {secrets.token_hex(4)}")
    user = server.create_user()
    tokens = web_server_tokens(server, app, secret, user)
    with setup_tab(browser, server, PATH + "?limit=500") as tab:
        page = tab.page
        assert page.get_by_role("heading", name="Connected Apps OAuth Usage").is_visible()
        assert page.get_by_role("heading", name=app.name).is_visible()
        check_page(tab, "setup-oauth-usage-listed")  # axe-core, a phone's width, no console error
        revoke = page.get_by_role("button", name=f"Revoke tokens of {user.username} for {app.name}")
        with page.expect_navigation():
            revoke.click()
        assert page.get_by_role("status").inner_text() == "The tokens were revoked."
        assert page.get_by_role("heading", name=app.name).count() == 0
        assert _data_api(server, tokens["access_token"]) == 401
        check_page(tab, "setup-oauth-usage-revoked")
