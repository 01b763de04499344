"""Every page forcegate serves, in Chromium (issue 12, "Done when"): each of Setup's pages (every GET
route of forcegate.web.setup.ROUTES, its path filled from a fixture org) as an administrator, and the
login, consent, success, error, logged-out, device and Setup 403 pages as a user reaches them. Each
passes axe-core with no serious or critical violation, fits a phone, logs no console error, and is
screenshotted into build/screenshots/ (tests/support/pages.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser

from forcegate.domain import ConnectedApp
from forcegate.protocol.callbacks import SUCCESS_PAGE_PATH
from forcegate.web.logout import SALESFORCE_LOGOUT_PATH
from forcegate.web.setup import HOME_PATH, LOGIN_PATH
from tests.support.device import CONNECT, start_rfc
from tests.support.pages import SCREENSHOTS, Tab, check_page, fresh_tab
from tests.support.routes import SETUP_GET_ROUTES, FixtureOrg, fill, fixture_org, page_name
from tests.support.server import PASSWORD, Server

# Setup's pages for whoever is not logged in: the others are visited as an administrator.
LOGGED_OUT_PAGES = {LOGIN_PATH}


@pytest.fixture(scope="module")
def org(server: Server) -> FixtureOrg:
    return fixture_org(server)


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    with fresh_tab(browser) as tab:
        yield tab


def _click(tab: Tab, button: str) -> None:
    """Press a form's button and wait for the page it leads to."""
    with tab.page.expect_navigation():
        tab.page.get_by_role("button", name=button).click()


def _log_in(tab: Tab, username: str) -> None:
    tab.page.get_by_label("Username").fill(username)
    tab.page.get_by_label("Password").fill(PASSWORD)
    _click(tab, "Log In")


@pytest.fixture(scope="module")
def admin_tab(server: Server, browser: Browser) -> Iterator[Tab]:
    """One logged-in administrator's tab for all of Setup's pages."""
    with fresh_tab(browser) as tab:
        tab.page.goto(server.url + LOGIN_PATH)
        _log_in(tab, server.create_user(profile="System Administrator").username)
        assert tab.page.url == server.url + HOME_PATH
        yield tab


@pytest.fixture(scope="module")
def logged_out_tab(browser: Browser) -> Iterator[Tab]:
    """One tab with no session, for the Setup pages of those not logged in."""
    with fresh_tab(browser) as tab:
        yield tab


@pytest.fixture(scope="module")
def app(server: Server) -> ConnectedApp:
    """A self-authorize app, for the Web Server and Device flows, returning to the success page."""
    app, _ = server.create_app(
        callback_urls=[server.url + SUCCESS_PAGE_PATH], device_flow_enabled=True, scopes="api"
    )
    return app


@pytest.mark.parametrize("path", [r.path for r in SETUP_GET_ROUTES])
def test_every_setup_page(
    server: Server, org: FixtureOrg, admin_tab: Tab, logged_out_tab: Tab, path: str
) -> None:
    visitor = logged_out_tab if path in LOGGED_OUT_PAGES else admin_tab
    url = server.url + fill(path, org)
    # A download (a list's CSV) is no page: it must come as an attachment, which a browser saves.
    answer = visitor.page.request.get(url)
    assert answer.status == 200, (path, answer.status)
    if not answer.headers["content-type"].startswith("text/html"):
        assert answer.headers["content-disposition"].startswith("attachment;"), (path, answer.headers)
        return
    response = visitor.page.goto(url)
    assert response is not None and response.status == 200, (path, visitor.page.url)
    check_page(visitor, page_name(path))


def _authorize_url(server: Server, app: ConnectedApp, redirect_uri: str) -> str:
    query = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": redirect_uri}
    return f"{server.url}/services/oauth2/authorize?{urlencode(query)}"


def test_the_oauth_login_consent_success_and_logged_out_pages(
    server: Server, app: ConnectedApp, tab: Tab
) -> None:
    tab.page.goto(_authorize_url(server, app, server.url + SUCCESS_PAGE_PATH))
    check_page(tab, "login")
    _log_in(tab, server.create_user().username)
    assert tab.page.get_by_role("heading", name="Allow access?").is_visible()
    check_page(tab, "consent")
    _click(tab, "Allow")
    assert tab.page.url.startswith(server.url + SUCCESS_PAGE_PATH + "?code=")
    check_page(tab, "oauth-success")
    tab.page.goto(server.url + SALESFORCE_LOGOUT_PATH)
    check_page(tab, "logged-out")


def test_the_error_page(server: Server, app: ConnectedApp, tab: Tab) -> None:
    response = tab.page.goto(_authorize_url(server, app, "https://unregistered.example.com/callback"))
    assert response is not None and response.status == 400
    check_page(tab, "error")


def test_the_device_pages(server: Server, app: ConnectedApp, tab: Tab) -> None:
    started = start_rfc(server, app.consumer_key)
    assert started.status_code == 200, started.text
    tab.page.goto(server.url + CONNECT)
    check_page(tab, "device-login")
    _log_in(tab, server.create_user().username)
    check_page(tab, "device-code")
    tab.page.get_by_label("Code").fill(started.json()["user_code"])
    _click(tab, "Connect")
    assert tab.page.get_by_role("heading", name="Allow access?").is_visible()
    check_page(tab, "device-approve")
    _click(tab, "Allow")
    assert tab.page.get_by_role("heading", name="Device connected").is_visible()
    check_page(tab, "device-done")


def test_the_setup_403_page(server: Server, tab: Tab) -> None:
    tab.page.goto(server.url + LOGIN_PATH)
    _log_in(tab, server.create_user(profile="Standard User").username)
    assert tab.page.get_by_role("heading", name="Insufficient Privileges").is_visible()
    check_page(tab, "setup-forbidden")


def test_check_page_fails_on_a_serious_violation_naming_it(tab: Tab) -> None:
    """The check itself: an image without a text alternative (axe-core's "image-alt", critical)."""
    tab.page.set_content('<html lang="en"><title>t</title><main><h1>t</h1><img src="/x.png"></main></html>')
    with pytest.raises(AssertionError, match=r"image-alt \(critical\).*img"):
        check_page(tab, "check-page-self-test")
    for screenshot in SCREENSHOTS.glob("check-page-self-test-*.png"):  # not a page of forcegate's
        screenshot.unlink()
