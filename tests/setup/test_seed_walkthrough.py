"""The seed's "Getting your credentials", word for word, in Debian's headless Chromium (issue 12, "Done
when"): an administrator registers an app in App Manager and reads its consumer key and secret off the
page; then a real client, requests-oauthlib, completes the Web Server flow with exactly those
credentials through the browser and calls the data API. And the JWT bearer flow enabled by a
certificate uploaded in the browser, for the users of a profile pre-authorized on Manage Access.

The authorization code reaches the client through a tiny HTTP listener of the test on 127.0.0.1 (the
app's callback URL), as it reaches a command-line program's loopback listener.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from requests_oauthlib import OAuth2Session

from forcegate.storage import repositories as repo
from tests.support.data_api import DATA
from tests.support.jwt_bearer import Setup, key_pair
from tests.support.pages import audit_trail_rows, check_page, fresh_tab
from tests.support.server import PASSWORD, Server

ADMIN = "System Administrator"


class _Listener(BaseHTTPRequestHandler):
    """The app's callback: remembers the path it was sent to (with the code) and says so."""

    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        body = b"<!doctype html><title>Done</title><p>You may close this window."
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def callback() -> Iterator[tuple[str, list[str]]]:
    """(the callback URL of a loopback listener, the paths it was sent to)."""
    listener = ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    paths: list[str] = []
    listener.paths = paths  # type: ignore[attr-defined]
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.server_address[1]}/callback", paths
    finally:
        listener.shutdown()
        listener.server_close()


def _log_in(page: Page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log In").click()


def _open_app_manager(page: Page, server: Server, admin: str) -> None:
    """Log in at /setup as the administrator, find App Manager with Quick Find and select it."""
    page.goto(server.url + "/setup")
    _log_in(page, admin)
    page.wait_for_url(server.url + "/setup")
    page.get_by_label("Quick Find").fill("App Manager")
    page.get_by_label("Quick Find").press("Enter")
    page.wait_for_url("**/setup?q=App+Manager")
    page.locator("main").get_by_role("link", name="App Manager").click()
    page.wait_for_url(server.url + "/setup/apps")


def _new_connected_app(page: Page, name: str, callback_url: str) -> None:
    """New Connected App: the name, contact email, Enable OAuth Settings, the callback URL, and the
    scopes api and refresh_token (Save is the caller's)."""
    page.get_by_role("link", name="New Connected App").click()
    page.get_by_label("Connected App Name").fill(name)
    page.get_by_label("Contact Email").fill("admin@example.com")
    page.get_by_label("Enable OAuth Settings", exact=True).check()
    page.get_by_label("Callback URL").fill(callback_url)
    page.get_by_label("api", exact=True).check()
    page.get_by_label("refresh_token", exact=True).check()


def _audit_trail(page: Page, admin: str) -> list[str]:
    """The Action column of the administrator's Connected Apps entries, on View Setup Audit Trail."""
    return [row.locator("td").nth(5).inner_text() for row in audit_trail_rows(page, admin).all()]


def test_the_seeds_walk_through_then_requests_oauthlib_completes_the_web_server_flow(
    server: Server, browser: Browser, callback: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = server.create_user(profile=ADMIN)
    user = server.create_user(profile=ADMIN)  # reads Accounts through the data API
    callback_url, paths = callback
    with fresh_tab(browser) as tab:
        page = tab.page
        _open_app_manager(page, server, admin.username)
        name = f"Walk-through {secrets.token_hex(3)}"
        _new_connected_app(page, name, callback_url)
        page.get_by_role("button", name="Save").click()
        page.wait_for_url("**/setup/apps/new")  # the page answering the POST: the secret's one showing
        consumer_key = page.locator("#consumer-key").inner_text().strip()
        consumer_secret = page.locator("#consumer-secret").inner_text().strip()
        check_page(tab, "setup-apps-created")
        assert _audit_trail(page, admin.username) == [f'Created connected app "{name}"']
        assert consumer_secret not in page.content()
    assert consumer_key.startswith("3MVG9") and len(consumer_secret) == 64

    # oauthlib insists on https; the callback and this test server are loopback http.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    client = OAuth2Session(consumer_key, redirect_uri=callback_url, scope=["api", "refresh_token"])
    authorization_url, state = client.authorization_url(server.url + "/services/oauth2/authorize")
    with fresh_tab(browser) as tab:  # the user's own browser: no administrator session in it
        page = tab.page
        page.goto(authorization_url)
        _log_in(page, user.username)
        page.get_by_role("button", name="Allow").click()
        page.wait_for_url(callback_url + "?**")
        assert page.get_by_text("You may close this window.").is_visible()
    (path,) = [p for p in paths if p.startswith("/callback?")]  # not the browser's /favicon.ico
    token = client.fetch_token(
        server.url + "/services/oauth2/token",
        authorization_response="http://127.0.0.1" + path,
        client_secret=consumer_secret,
    )
    assert f"state={state}" in path
    assert set(token["scope"]) == {"api", "refresh_token"} and token["refresh_token"]
    answer = client.get(f"{token['instance_url']}{DATA}/query", params={"q": "SELECT Id FROM Account"})
    assert answer.status_code == 200, answer.text
    assert "records" in answer.json()


def test_a_certificate_uploaded_and_a_profile_pre_authorized_in_the_browser_enable_the_jwt_bearer_flow(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    admin = server.create_user(profile=ADMIN)
    allowed = server.create_user()  # Standard User: the profile pre-authorized below
    other = server.create_user(profile="Minimum Access")
    keys = key_pair()
    certificate = tmp_path / "jwt-signing.crt"
    certificate.write_text(keys.certificate_pem)
    name = f"JWT walk-through {secrets.token_hex(3)}"
    with fresh_tab(browser) as tab:
        page = tab.page
        _open_app_manager(page, server, admin.username)
        _new_connected_app(page, name, "https://jwt.example.com/callback")
        page.locator("#certificate-file").set_input_files(certificate)
        page.get_by_role("button", name="Save").click()
        page.wait_for_url("**/setup/apps/new")
        assert "CN=forcegate jwt test" in page.locator("main").inner_text()  # the certificate's subject
        consumer_key = page.locator("#consumer-key").inner_text().strip()

        page.get_by_role("link", name="Manage Access").click()
        page.get_by_role("combobox", name="Permitted Users").select_option("admin_approved")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url("**/access?notice=access-saved")
        app_page = page.url.split("/access")[0]
        with server.ctx.db.read() as conn:
            app = repo.app_by_consumer_key(conn, consumer_key)
        assert app is not None and app.jwt_bearer_enabled and app.permitted_users == "admin_approved"
        flow = Setup(server, app, allowed, keys)
        refused = flow.token(flow.assertion())  # admin approved, and no profile pre-authorized yet
        assert refused.status_code == 400, refused.text

        page.get_by_label("Profile", exact=True).select_option("Standard User")
        page.get_by_role("button", name="Add Profile").click()
        page.wait_for_url("**/access?notice=access-saved")
        assert (
            page.get_by_role("table", name="Pre-authorized profiles")
            .get_by_text("Standard User")
            .is_visible()
        )
        assert page.url.startswith(app_page)
        # Each change is in the trail, newest first: the certificate came with the app's creation.
        assert _audit_trail(page, admin.username) == [
            f'Pre-authorized profile "Standard User" for connected app "{name}"',
            f'Changed connected app "{name}": permitted users from all_self_authorize to admin_approved',
            f'Created connected app "{name}"',
        ]
        assert tab.console_errors == []

    granted = flow.token(flow.assertion())
    assert granted.status_code == 200, granted.text
    assert granted.json()["access_token"]
    outsider = Setup(server, app, other, keys)
    assert outsider.token(outsider.assertion()).status_code == 400  # not of a pre-authorized profile
