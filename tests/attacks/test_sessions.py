"""Session lifecycle: a session or credential that should have ended is used again.

A logged-out or reset browser session cookie replayed at authorize, the security token an admin reset
replaced, the tokens of a user who was deactivated and reactivated, and logout's redirect used as an
open redirector. Each is refused and issues nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from forcegate.domain import User
from forcegate.org.access import org_view, update_org
from forcegate.storage import repositories as repo
from tests.attacks.unchanged import nothing_issued
from tests.support.actors import FIXTURE
from tests.support.admin_api import api_for
from tests.support.browser import authorize, authorize_url
from tests.support.server import PASSWORD, Server

CALLBACK = "http://localhost:1717/OauthRedirect"
OTHER_CALLBACK = "https://app.example.com/oauth/callback"
END_SESSION = "/services/auth/idp/oidc/logout"
INVALID_LOGIN = "Invalid username, password, security token; or user locked out."


def _log_in(
    server: Server, user: User, scope: str = "api refresh_token openid"
) -> tuple[Any, str, dict[str, Any]]:
    """A browser that logged in and approved a new app (which needs no secret to refresh); returns
    (app, session cookie, token response)."""
    app, secret = server.create_app(
        callback_urls=[CALLBACK], scopes="api refresh_token openid", require_secret_for_web_server=False
    )
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "scope": scope,
    }
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD)
        cookie = browser.cookies["fg_sid"]
        tokens = browser.post(
            "/services/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": outcome.query["code"],
                "client_id": app.consumer_key,
                "client_secret": secret,
                "redirect_uri": CALLBACK,
            },
        ).json()
    return app, cookie, tokens


def _replay_session(server: Server, app: Any, cookie: str) -> httpx.Response:
    """The stolen or kept cookie, presented at authorize: a live session would get a code at once."""
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}
    with server.client(cookies={"fg_sid": cookie}) as browser:
        return browser.get(authorize_url(params))


def _assert_login_page(response: httpx.Response) -> None:
    assert response.status_code == 200, response.headers.get("location")
    assert 'name="password"' in response.text


# --- L10: logout ends the browser session -------------------------------------------------------------


@pytest.mark.attack("OWASP ASVS 5.0 V7.4.1; Salesforce: /secur/logout.jsp")
def test_session_cookie_replayed_after_logout_is_refused(server: Server) -> None:
    user = server.create_user()
    app, cookie, _ = _log_in(server, user)
    with server.client(cookies={"fg_sid": cookie}) as browser:
        logged_out = browser.get("/secur/logout.jsp")
    assert logged_out.status_code == 200
    assert 'fg_sid=""' in logged_out.headers["set-cookie"] and "Max-Age=0" in logged_out.headers["set-cookie"]
    with nothing_issued(server):
        _assert_login_page(_replay_session(server, app, cookie))


@pytest.mark.attack("OpenID Connect RP-Initiated Logout 1.0 §2; OWASP ASVS 5.0 V7.4.1")
def test_session_cookie_replayed_after_rp_initiated_logout_is_refused(server: Server) -> None:
    user = server.create_user()
    app, cookie, tokens = _log_in(server, user)
    logout = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": CALLBACK, "state": "bye"}
    server.clock.advance(10 * 60)  # the id_token has expired: still a good hint (§2)
    with server.client(cookies={"fg_sid": cookie}) as browser:
        answer = browser.get(END_SESSION, params=logout)
    assert answer.status_code == 302
    assert answer.headers["location"] == CALLBACK + "?state=bye"
    with nothing_issued(server):
        _assert_login_page(_replay_session(server, app, cookie))
    # Logging out of the browser is not revoking the app's tokens (as in Salesforce).
    with server.client() as client:
        info = client.get(
            "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
    assert info.status_code == 200


def _foreign_id_token(server: Server, audience: str) -> str:
    """An id_token for our issuer and the app, signed by a key that is not ours."""
    claims = {"iss": server.url, "aud": audience, "sub": "x", "exp": 2_000_000_000, "iat": 1_700_000_000}
    key = RSAKey.generate_key(2048, {"kid": "1"})
    return jwt.encode({"alg": "RS256", "kid": "1"}, claims, key, algorithms=["RS256"])


@pytest.mark.attack("OpenID Connect RP-Initiated Logout 1.0 §3 (post_logout_redirect_uri); RFC 9700 §4.11")
@pytest.mark.parametrize(
    "case",
    [
        "unregistered",
        "another-apps-callback",
        "no-id_token_hint",
        "forged-hint",
        "client_id-mismatch",
        "twice",
    ],
)
def test_logout_redirect_goes_only_to_a_registered_callback_of_the_hints_app(
    server: Server, case: str
) -> None:
    user = server.create_user()
    app, _, tokens = _log_in(server, user)
    other, _ = server.create_app(callback_urls=[OTHER_CALLBACK])
    hint, target = tokens["id_token"], "https://evil.example.com/landing"
    params: list[tuple[str, str]] = []
    if case == "another-apps-callback":
        target = OTHER_CALLBACK
    elif case == "forged-hint":
        hint, target = _foreign_id_token(server, app.consumer_key), CALLBACK
    elif case == "client_id-mismatch":
        target = CALLBACK
        params.append(("client_id", other.consumer_key))
    elif case == "twice":
        params.append(("post_logout_redirect_uri", CALLBACK))
    if case != "no-id_token_hint":
        params.append(("id_token_hint", hint))
    else:
        target = CALLBACK
    params.append(("post_logout_redirect_uri", target))
    with nothing_issued(server), server.client() as browser:
        answer = browser.get(END_SESSION, params=params)
    assert answer.status_code == 200 and "location" not in answer.headers
    assert "logged out" in answer.text


# --- L10: a password reset ends the browser sessions -----------------------------------------------------


@pytest.mark.attack("OWASP ASVS 5.0 V7.4.3; Salesforce: Reset Passwords for Your Users")
def test_session_cookie_replayed_after_password_reset_is_refused(server: Server) -> None:
    user = server.create_user()
    app, cookie, _ = _log_in(server, user)
    server.update_user(user, password="N3w-password-123")
    with nothing_issued(server):
        _assert_login_page(_replay_session(server, app, cookie))


# --- L9: a password reset replaces the security token ---------------------------------------------------


@pytest.fixture
def api_logins(server: Server) -> Iterator[None]:
    """The password grant and SOAP login allowed, from an untrusted network (the token is required)."""
    with server.ctx.db.read() as conn:
        original = repo.org_by_id(conn, server.org_id)
    assert original is not None

    def change(**settings: Any) -> None:
        with server.ctx.db.write() as conn:
            org = repo.org_by_id(conn, server.org_id)
            assert org is not None
            update_org(server.ctx, conn, org, settings, actor=FIXTURE)

    change(allow_username_password_flows=True, allow_soap_login=True, trusted_ip_ranges=[])
    try:
        yield
    finally:
        saved = org_view(original)
        change(
            **{
                k: saved[k]
                for k in ("allow_username_password_flows", "allow_soap_login", "trusted_ip_ranges")
            }
        )


def _password_grant(server: Server, key: str, secret: str, username: str, password: str) -> httpx.Response:
    form = {"grant_type": "password", "client_id": key, "client_secret": secret}
    with server.client() as client:
        return client.post(
            "/services/oauth2/token", data={**form, "username": username, "password": password}
        )


def _soap_login(server: Server, username: str, password: str) -> httpx.Response:
    envelope = (
        '<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header/><se:Body>'
        f'<login xmlns="urn:partner.soap.sforce.com"><username>{username}</username>'
        f"<password>{password}</password></login></se:Body></se:Envelope>"
    )
    with server.client() as client:
        return client.post(
            "/services/Soap/u/59.0",
            content=envelope,
            headers={"Content-Type": "text/xml", "SOAPAction": '""'},
        )


@pytest.mark.attack("Salesforce: Reset Your Security Token (a password reset resets it)")
@pytest.mark.usefixtures("api_logins")
def test_old_security_token_after_password_reset_is_refused(server: Server) -> None:
    admin = api_for(server)
    created = admin.ok(
        "POST",
        "/users",
        201,
        json={"username": f"st-{server.clock.now_ms()}@example.com", "password": PASSWORD},
    )
    old_token, username = created["security_token"], created["username"]
    app, secret = server.create_app(scopes="api")
    assert (
        _password_grant(server, app.consumer_key, secret, username, PASSWORD + old_token).status_code == 200
    )
    assert _soap_login(server, username, PASSWORD + old_token).status_code == 200  # (creates SOAP's app)

    new_password = "N3w-password-123"
    reset = admin.ok("PATCH", f"/users/{created['id']}", json={"password": new_password})
    new_token = reset["security_token"]
    assert len(new_token) == 25 and new_token != old_token
    assert "security_token" not in admin.ok("GET", f"/users/{created['id']}")  # shown once

    with nothing_issued(server):
        for password in (PASSWORD + old_token, new_password + old_token):
            refused = _password_grant(server, app.consumer_key, secret, username, password)
            assert refused.status_code == 400
            assert refused.json() == {"error": "invalid_grant", "error_description": "authentication failure"}
        fault = _soap_login(server, username, new_password + old_token)
        assert fault.status_code == 500 and "INVALID_LOGIN" in fault.text and INVALID_LOGIN in fault.text
    assert (
        _password_grant(server, app.consumer_key, secret, username, new_password + new_token).status_code
        == 200
    )
    assert _soap_login(server, username, new_password + new_token).status_code == 200


# --- judgement call (d): deactivation revokes --------------------------------------------------------------


@pytest.mark.attack("RFC 6819 §5.2.2.3; OWASP ASVS 5.0 V7.4.2")
def test_tokens_of_a_deactivated_user_stay_dead_after_reactivation(server: Server) -> None:
    user = server.create_user()
    app, cookie, tokens = _log_in(server, user)
    server.update_user(user, is_active=False)
    server.update_user(user, is_active=True)
    with nothing_issued(server), server.client() as client:
        info = client.get(
            "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert info.status_code == 401
        refreshed = client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": app.consumer_key,
            },
        )
        assert refreshed.status_code == 400
        assert refreshed.json() == {
            "error": "invalid_grant",
            "error_description": "expired access/refresh token",
        }
        _assert_login_page(_replay_session(server, app, cookie))
