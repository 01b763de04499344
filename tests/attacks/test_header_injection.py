"""Header injection and spoofed forwarding headers: CR/LF smuggled into a parameter never becomes a
response header, and Host / X-Forwarded-* from a peer that is not a trusted proxy change neither the
issuer and URLs the server hands out nor the client IP it records and trusts.

OWASP ASVS 5.0 V1.2.x (HTTP response splitting, CWE-113), RFC 9700 §4.x (issuer and endpoints must
not depend on attacker-controlled headers), RFC 7239 §8.1 (forwarded headers are spoofable);
Salesforce: Login IP Ranges / trusted IP ranges (a security token is required outside them).
"""

from __future__ import annotations

import secrets

import httpx
import pytest

from tests.attacks.refusals import assert_error_page, assert_oauth_error
from tests.attacks.unchanged import nothing_issued
from tests.support.browser import authorize_url, submit
from tests.support.org_settings import OrgSettings
from tests.support.server import PASSWORD, Server
from tests.support.tokens import CALLBACK, client_credentials_app

INJECTED = "x\r\nSet-Cookie: pwned=1\r\nX-Injected: yes"
SPOOFED_HOST = "evil.example"
SPOOFED_IP = "203.0.113.9"


def _assert_no_injected_header(response: httpx.Response) -> None:
    assert "x-injected" not in response.headers
    assert "pwned" not in response.headers.get("set-cookie", "")
    for name, value in response.headers.items():
        assert "\r" not in value and "\n" not in value, (name, value)


@pytest.mark.attack("OWASP ASVS 5.0 V1.2 / CWE-113 (CR/LF in state, echoed into the error redirect)")
@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"scope": "api bogus"}, id="invalid-scope-redirect"),
        pytest.param({"response_type": "bogus"}, id="unsupported-response-type-redirect"),
        pytest.param({"response_type": "token", "scope": "api bogus"}, id="fragment-redirect"),
    ],
)
def test_crlf_in_state_stays_inside_the_location(server: Server, extra: dict[str, str]) -> None:
    app, _ = server.create_app()
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "state": INJECTED,
    }
    with server.client() as browser, nothing_issued(server):
        answer = browser.get(authorize_url({**params, **extra}))
    assert answer.status_code == 302, answer.text
    _assert_no_injected_header(answer)
    assert answer.headers["location"].startswith(CALLBACK)
    assert "%0D%0ASet-Cookie" in answer.headers["location"]


@pytest.mark.attack("OWASP ASVS 5.0 V1.2 / CWE-113 (CR/LF in redirect_uri and client_id)")
@pytest.mark.parametrize("field", ["redirect_uri", "client_id"])
def test_crlf_in_redirect_uri_or_client_id_is_an_error_page(server: Server, field: str) -> None:
    app, _ = server.create_app()
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}
    params[field] += INJECTED
    with server.client() as browser, nothing_issued(server):
        answer = browser.get(authorize_url(params))
    _assert_no_injected_header(answer)
    assert_error_page(answer, "redirect_uri_mismatch" if field == "redirect_uri" else "invalid_client_id")


@pytest.mark.attack("OWASP ASVS 5.0 V1.2 / CWE-113 (CR/LF in login_hint, reflected into the login page)")
def test_crlf_in_login_hint_stays_in_the_page_body(server: Server) -> None:
    app, _ = server.create_app()
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "login_hint": INJECTED,
    }
    with server.client() as browser, nothing_issued(server):
        answer = browser.get(authorize_url(params))
    assert answer.status_code == 200
    _assert_no_injected_header(answer)


@pytest.mark.attack("OWASP ASVS 5.0 V1.2 / CWE-113 (encoded CR/LF in the request path)")
def test_crlf_in_the_path_is_not_found(server: Server) -> None:
    with server.client() as client, nothing_issued(server):
        answer = client.get("/services/oauth2/authorize%0d%0aSet-Cookie:%20pwned=1")
    assert answer.status_code == 404
    _assert_no_injected_header(answer)


@pytest.mark.attack("RFC 8414 §3.3 / OpenID Connect Discovery §4.3 (issuer must not follow a spoofed Host)")
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Host": SPOOFED_HOST}, id="host"),
        pytest.param({"X-Forwarded-Host": SPOOFED_HOST, "X-Forwarded-Proto": "https"}, id="x-forwarded-host"),
        pytest.param({"Forwarded": f"host={SPOOFED_HOST};proto=https"}, id="forwarded"),
    ],
)
def test_spoofed_host_headers_do_not_change_the_issuer(server: Server, headers: dict[str, str]) -> None:
    with server.client() as client, nothing_issued(server):
        answer = client.get("/.well-known/openid-configuration", headers=headers)
    assert answer.status_code == 200
    document = answer.json()
    assert document["issuer"] == server.url
    assert SPOOFED_HOST not in answer.text


@pytest.mark.attack("RFC 9700 §4.x / Salesforce instance_url (token response URLs under a spoofed Host)")
def test_spoofed_host_does_not_change_instance_url_or_identity_url(server: Server) -> None:
    app, secret, _ = client_credentials_app(server)
    form = {"grant_type": "client_credentials", "client_id": app.consumer_key, "client_secret": secret}
    with server.client() as client:
        answer = client.post(
            "/services/oauth2/token",
            data=form,
            headers={"Host": SPOOFED_HOST, "X-Forwarded-Host": SPOOFED_HOST},
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["instance_url"] == server.url and body["id"].startswith(server.url + "/id/")


@pytest.mark.attack("RFC 7239 §8.1 (X-Forwarded-For from an untrusted peer is not the client IP)")
def test_spoofed_x_forwarded_for_is_not_recorded_as_the_client_ip(server: Server) -> None:
    app, _ = server.create_app()
    agent = f"xff-attack-{secrets.token_hex(4)}"
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}
    headers = {"X-Forwarded-For": SPOOFED_IP, "X-Real-IP": SPOOFED_IP, "User-Agent": agent}
    with server.client(headers=headers) as browser:
        page = browser.get(authorize_url(params))
        with nothing_issued(server):
            answer = submit(browser, page, username="nobody@example.com", password="Wrong-passw0rd")
    assert answer.status_code == 401
    [row] = server.login_history_of(user_agent=agent)
    assert row["source_ip"] == "127.0.0.1"


@pytest.mark.attack(
    "Salesforce: trusted IP ranges / RFC 7239 §8.1 (X-Forwarded-For to skip the security token)"
)
def test_spoofed_x_forwarded_for_does_not_put_the_caller_in_a_trusted_range(
    server: Server, org_settings: OrgSettings
) -> None:
    org_settings(allow_username_password_flows=True, trusted_ip_ranges=["203.0.113.0/24"])
    user = server.create_user()
    app, secret = server.create_app()
    form = {
        "grant_type": "password",
        "client_id": app.consumer_key,
        "client_secret": secret,
        "username": user.username,
        "password": PASSWORD,  # without the security token: accepted only from a trusted range
    }
    with server.client(headers={"X-Forwarded-For": SPOOFED_IP}) as client, nothing_issued(server):
        answer = client.post("/services/oauth2/token", data=form)
    assert_oauth_error(answer, "invalid_grant", "authentication failure")
