"""The Device flow as RFC 8628 clients run it and as the user answers it: the device's start and poll at
the RFC endpoints, and the user's login, code and decision on /setup/connect (httpx driving the forms
as a browser without JavaScript), for the Device flow tests and the OpenID Connect tests that use it."""

from __future__ import annotations

import httpx

from forcegate.domain import User
from tests.support.browser import submit
from tests.support.server import PASSWORD, Server

TOKEN = "/services/oauth2/token"
DEVICE_AUTHORIZE = "/services/oauth2/device/authorize"
CONNECT = "/setup/connect"
RFC_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def start_rfc(server: Server, client_id: str, **extra: str) -> httpx.Response:
    with server.client() as client:
        return client.post(DEVICE_AUTHORIZE, data={"client_id": client_id, **extra})


def poll_rfc(server: Server, client_id: str, device_code: str) -> httpx.Response:
    with server.client() as client:
        return client.post(
            TOKEN, data={"grant_type": RFC_GRANT, "client_id": client_id, "device_code": device_code}
        )


def log_in_to_connect(browser: httpx.Client, user: User, query: str = "") -> httpx.Response:
    page = browser.get(CONNECT + query)
    assert page.status_code == 200 and 'name="password"' in page.text, page.text
    page = submit(browser, page, username=user.username, password=PASSWORD)
    assert page.status_code == 200 and 'name="step" value="code"' in page.text, page.text
    return page


def enter_user_code(browser: httpx.Client, code_page: httpx.Response, user_code: str) -> httpx.Response:
    return submit(browser, code_page, user_code=user_code)


def approve_user_code(server: Server, user: User, user_code: str, decision: str = "allow") -> httpx.Response:
    """Log in on /setup/connect, type the code, answer; the last page."""
    with server.client() as browser:
        approve_page = enter_user_code(browser, log_in_to_connect(browser, user), user_code)
        assert approve_page.status_code == 200 and 'name="decision"' in approve_page.text, approve_page.text
        return submit(browser, approve_page, decision=decision)
