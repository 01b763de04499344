"""A server of its own with small throttle limits, and the four password paths an attacker can hammer.

127.0.0.1 is a trusted proxy here, so each request names its client IP in ``X-Forwarded-For``: one
test can be an attacker at one address and the victim at another. Every test draws fresh addresses
and users, so the throttles' counts of one test never reach another's.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import httpx

from forcegate.org.access import update_org
from forcegate.storage import repositories as repo
from tests.support.actors import FIXTURE
from tests.support.browser import authorize_url, submit
from tests.support.server import Server, _postgres_database, make_settings, start_server

__all__ = ["LIMITS", "PATHS", "PasswordPath", "new_ip", "throttled_server"]

LIMITS = {
    "login_throttle_window_seconds": 900,
    "login_failures_per_ip": 8,
    "login_failures_per_username_and_ip": 3,
    "login_failures_per_username": 5,
    "login_history_failures_per_ip": 4,
    "device_starts_per_ip": 2,
    "device_starts_per_app": 5,
}
CALLBACK = "http://localhost:1717/OauthRedirect"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PARTNER = "urn:partner.soap.sforce.com"


def new_ip() -> str:
    """A fresh client address (TEST-NET-2/3 and documentation IPv6 ranges)."""
    return str(ipaddress.ip_address("198.51.100.0") + secrets.randbelow(1 << 20))


def throttled_server(kind: str, tmp: Path) -> Iterator[Server]:
    """The body of a module-scoped fixture parametrized over the backends."""
    databases = iter([f"sqlite:///{tmp / 'throttled.db'}"]) if kind == "sqlite" else _postgres_database()
    for url in databases:
        settings = make_settings(url, tmp, trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),), **LIMITS)
        for server in start_server(settings, kind):
            with server.ctx.db.write() as conn:
                org = repo.org_by_id(conn, server.org_id)
                assert org is not None
                # Every address trusted (no security token), both API password paths on.
                update_org(
                    server.ctx,
                    conn,
                    org,
                    {
                        "allow_username_password_flows": True,
                        "allow_soap_login": True,
                        "trusted_ip_ranges": ["0.0.0.0/0", "::/0"],
                        "max_login_attempts": 0,  # the throttle, not the lockout, is under test
                    },
                    actor=FIXTURE,
                )
            yield server


# --- the password paths --------------------------------------------------------------------------


Attempt = Callable[[Server, str, str, str], httpx.Response]


@dataclass(frozen=True)
class PasswordPath:
    """One way to send a password: how to try it, and how each outcome looks on its wire."""

    name: str
    attempt: Attempt  # (server, client ip, username, password) -> the answer
    succeeded: Callable[[httpx.Response], bool]
    refused: Callable[[httpx.Response], bool]  # wrong credentials
    rate_limited: Callable[[httpx.Response], bool]


def _client(server: Server, ip: str) -> httpx.Client:
    return server.client(headers={"X-Forwarded-For": ip})


_APPS: dict[str, tuple[str, str]] = {}  # server URL -> (consumer key, secret)


def _app_key(server: Server) -> tuple[str, str]:
    """The consumer key and secret of one app per server (made on first use)."""
    if server.url not in _APPS:
        app, secret = server.create_app()
        _APPS[server.url] = (app.consumer_key, secret)
    return _APPS[server.url]


def _password_grant(server: Server, ip: str, username: str, password: str) -> httpx.Response:
    key, secret = _app_key(server)
    form = {
        "grant_type": "password",
        "client_id": key,
        "client_secret": secret,
        "username": username,
        "password": password,
    }
    with _client(server, ip) as client:
        return client.post("/services/oauth2/token", data=form)


def _soap_login(server: Server, ip: str, username: str, password: str) -> httpx.Response:
    envelope = (
        f'<se:Envelope xmlns:se="{ENV}"><se:Body><login xmlns="{PARTNER}">'
        f"<username>{escape(username)}</username><password>{escape(password)}</password>"
        "</login></se:Body></se:Envelope>"
    )
    with _client(server, ip) as client:
        return client.post("/services/Soap/u/59.0", content=envelope, headers={"Content-Type": "text/xml"})


def _login_page(server: Server, ip: str, username: str, password: str) -> httpx.Response:
    key, _ = _app_key(server)
    params = {
        "response_type": "code",
        "client_id": key,
        "redirect_uri": CALLBACK,
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",  # RFC 7636 Appendix B
        "code_challenge_method": "S256",
    }
    with _client(server, ip) as browser:
        page = browser.get(authorize_url(params))
        assert page.status_code == 200 and 'name="password"' in page.text, page.text
        return submit(browser, page, username=username, password=password)


def _device_login(server: Server, ip: str, username: str, password: str) -> httpx.Response:
    with _client(server, ip) as browser:
        page = browser.get("/setup/connect")
        assert page.status_code == 200 and 'name="password"' in page.text, page.text
        return submit(browser, page, username=username, password=password)


def _oauth_error(response: httpx.Response, error: str, description: str) -> bool:
    return response.status_code == 400 and response.json() == {
        "error": error,
        "error_description": description,
    }


def _soap_fault(response: httpx.Response, code: str) -> bool:
    return response.status_code == 500 and f"<faultcode>sf:{code}</faultcode>" in response.text


def _page_logged_in(response: httpx.Response) -> bool:
    return "fg_sid" in response.cookies


def _page_refused(response: httpx.Response, status: int, message: str) -> bool:
    return response.status_code == status and message in response.text and not _page_logged_in(response)


PAGE_FAILED = "Please check your username and password"
PAGE_RATE_LIMITED = "Too many failed logins. Wait a few minutes, then try again."

PATHS = [
    PasswordPath(
        "password grant",
        _password_grant,
        succeeded=lambda r: r.status_code == 200 and "access_token" in r.json(),
        refused=lambda r: _oauth_error(r, "invalid_grant", "authentication failure"),
        rate_limited=lambda r: _oauth_error(r, "rate_limit_exceeded", "Number of logins exceeded"),
    ),
    PasswordPath(
        "SOAP login()",
        _soap_login,
        succeeded=lambda r: r.status_code == 200 and "<sessionId>" in r.text,
        refused=lambda r: _soap_fault(r, "INVALID_LOGIN"),
        rate_limited=lambda r: (
            _soap_fault(r, "LOGIN_RATE_EXCEEDED") and "LOGIN_RATE_EXCEEDED: Login Rate Exceeded" in r.text
        ),
    ),
    PasswordPath(
        "login page",
        _login_page,
        succeeded=_page_logged_in,
        refused=lambda r: _page_refused(r, 401, PAGE_FAILED),
        rate_limited=lambda r: _page_refused(r, 429, PAGE_RATE_LIMITED),
    ),
    PasswordPath(
        "device verification login",
        _device_login,
        succeeded=_page_logged_in,
        refused=lambda r: _page_refused(r, 401, PAGE_FAILED),
        rate_limited=lambda r: _page_refused(r, 429, PAGE_RATE_LIMITED),
    ),
]
