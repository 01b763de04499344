"""Setup's way in, in Debian's headless Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.support.pages import PHONE, fresh_tab
from tests.support.server import PASSWORD, Server


def test_an_administrator_logs_in_from_the_root_and_reaches_setup_home(
    server: Server, browser: Browser
) -> None:
    admin = server.create_user(profile="System Administrator")
    with fresh_tab(browser) as tab:
        page = tab.page
        page.set_viewport_size(PHONE)  # type: ignore[arg-type]
        errors = tab.console_errors
        page.goto(server.url + "/")
        assert page.url == server.url + "/setup/login"
        page.get_by_label("Username").fill(admin.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log In").click()
        page.wait_for_url(server.url + "/setup")
        assert page.get_by_role("heading", name="Setup Home").is_visible()
        assert page.locator("#setup-user").inner_text() == admin.username
        # The stylesheet applied (served by forcegate, allowed by the CSP): the header is styled.
        assert page.locator(".setup-header").evaluate("e => getComputedStyle(e).display") == "flex"
        # Nothing wider than the phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375

        page.get_by_role("button", name="Log Out").click()
        page.wait_for_url(server.url + "/setup/login")
        page.goto(server.url + "/setup")
        assert page.url == server.url + "/setup/login"
        assert errors == []
