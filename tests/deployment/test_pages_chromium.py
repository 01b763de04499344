"""The login and consent pages in a real headless Chromium (Debian's), driven by Playwright, on every backend.

Playwright never downloads a browser here: it drives /usr/bin/chromium (`make test` installs it), through
the ``browser`` fixture of tests/support/pages.py.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from tests.support.server import PASSWORD, Server

CALLBACK = "https://app.example.com/oauth/callback"


@dataclass
class Tab:
    """One page in a fresh browser context, with what it logged and what reached the client's callback."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    callbacks: list[str] = field(default_factory=list)

    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.page.url).query).items()}


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    tab = Tab(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.console_errors.append(f"{message.text} at {page.url}")

    # The client's callback is answered inside the browser: there is no app.example.com to reach.
    # page.route() cannot do it, since Playwright routes only the first request of a redirect chain
    # and the callback is reached by the server's 302; Chromium's own Fetch interception sees it.
    cdp = context.new_cdp_session(page)

    def client_callback(event: dict[str, Any]) -> None:
        if event["resourceType"] == "Document":
            tab.callbacks.append(event["request"]["url"])
        cdp.send(
            "Fetch.fulfillRequest",
            {
                "requestId": event["requestId"],
                "responseCode": 200,
                "responseHeaders": [{"name": "Content-Type", "value": "text/plain"}],
                "body": base64.b64encode(b"ok").decode(),
            },
        )

    page.on("console", on_console)
    cdp.on("Fetch.requestPaused", client_callback)
    cdp.send("Fetch.enable", {"patterns": [{"urlPattern": "https://app.example.com/*"}]})
    try:
        yield tab
    finally:
        context.close()


def _authorize_url(server: Server, client_id: str) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "state": "abc",
        "scope": "api refresh_token",
    }
    return f"{server.url}/services/oauth2/authorize?{urlencode(params, quote_via=quote)}"  # spaces as %20


def _log_in(tab: Tab, server: Server, client_id: str, username: str, password: str) -> None:
    tab.page.goto(_authorize_url(server, client_id))
    tab.page.fill("#username", username)
    tab.page.fill("#password", password)
    tab.page.get_by_role("button", name="Log In").click()
    tab.page.wait_for_load_state()


def test_when_user_logs_in_and_allows_then_callback_gets_a_code_that_exchanges_for_tokens(
    server: Server, tab: Tab
) -> None:
    app, secret = server.create_app()
    user = server.create_user()

    _log_in(tab, server, app.consumer_key, user.username, PASSWORD)

    consent = tab.page.locator("main")
    assert tab.page.title().startswith("Allow access?")
    assert app.name in consent.inner_text()
    assert consent.get_by_text("Manage user data via APIs").is_visible()
    assert consent.get_by_text("Perform requests at any time").is_visible()

    with tab.page.expect_navigation(url=f"{CALLBACK}?**"):
        tab.page.get_by_role("button", name="Allow").click()

    assert tab.page.url.startswith(CALLBACK + "?")
    assert "code=" in tab.page.url
    query = tab.query()
    assert query["state"] == "abc"
    assert tab.callbacks == [tab.page.url]
    with server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": query["code"],
                "client_id": app.consumer_key,
                "client_secret": secret,
                "redirect_uri": CALLBACK,
            },
        )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "api refresh_token"
    assert tab.console_errors == []


def test_when_password_is_wrong_then_login_page_shows_error_and_stays(server: Server, tab: Tab) -> None:
    app, _ = server.create_app()
    user = server.create_user()

    _log_in(tab, server, app.consumer_key, user.username, "not-the-password")

    assert tab.page.url.startswith(server.url)
    assert tab.page.get_by_role("alert").is_visible()
    assert "Please check your username and password" in tab.page.get_by_role("alert").inner_text()
    assert tab.page.locator("#username").is_visible()
    assert tab.page.locator("#password").input_value() == ""
    assert tab.callbacks == []
    # The failed login answers 401, which Chromium logs as a failed resource; nothing else may be logged.
    assert [e for e in tab.console_errors if "status of 401 (Unauthorized)" not in e] == []


def test_when_user_denies_then_callback_gets_access_denied(server: Server, tab: Tab) -> None:
    app, _ = server.create_app()
    user = server.create_user()
    _log_in(tab, server, app.consumer_key, user.username, PASSWORD)

    with tab.page.expect_navigation(url=f"{CALLBACK}?**"):
        tab.page.get_by_role("button", name="Deny").click()

    query = tab.query()
    assert query["error"] == "access_denied"
    assert query["state"] == "abc"
    assert "code" not in query
    assert tab.console_errors == []


def test_when_login_and_consent_pages_render_then_screenshot_is_taken_and_console_has_no_errors(
    server: Server, tab: Tab, tmp_path: Path
) -> None:
    app, _ = server.create_app()
    user = server.create_user()
    tab.page.goto(_authorize_url(server, app.consumer_key))
    assert tab.page.locator("#username").is_visible()

    shot = tmp_path / f"login-{server.backend}.png"
    tab.page.screenshot(path=str(shot), full_page=True)

    assert shot.is_file()
    assert shot.stat().st_size > 0
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    tab.page.fill("#username", user.username)
    tab.page.fill("#password", PASSWORD)
    tab.page.get_by_role("button", name="Log In").click()
    tab.page.wait_for_load_state()
    assert tab.page.get_by_role("button", name="Allow").is_visible()
    assert tab.console_errors == []
