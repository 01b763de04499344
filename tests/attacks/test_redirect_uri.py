"""Redirect-URI tricks: a callback that is not registered character for character is never redirected
to, before login, after it, or from a form whose hidden authorize request was tampered with.

RFC 9700 §4.1 (insufficient redirect URI validation) and §2.1 (exact string matching); RFC 6749
§3.1.2.4 and §4.1.2.1 (never redirect to an invalid redirection URI); RFC 6819 §4.2.4.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import pytest

from forcegate.domain import ConnectedApp, User
from tests.attacks.refusals import assert_error_page
from tests.attacks.unchanged import nothing_issued
from tests.support.browser import authorize, authorize_url, forms
from tests.support.server import PASSWORD, Server
from tests.support.tokens import CALLBACK

REGISTERED = "https://app.example.com/oauth/callback"


@dataclass
class SignedIn:
    """A browser with a live session that already approved the app: a bad request is the only thing
    standing between it and a redirect with a fresh code."""

    browser: httpx.Client
    app: ConnectedApp
    user: User

    def params(self, redirect_uri: str, **extra: str) -> dict[str, str]:
        return {
            "response_type": "code",
            "client_id": self.app.consumer_key,
            "redirect_uri": redirect_uri,
            "state": "st",
            **extra,
        }


@pytest.fixture
def signed_in(server: Server) -> Iterator[SignedIn]:
    app, _ = server.create_app()
    user = server.create_user()
    with server.client() as browser:
        first = authorize(browser, SignedIn(browser, app, user).params(REGISTERED), user.username, PASSWORD)
        assert first.response.status_code == 302 and first.location.startswith(REGISTERED + "?code=")
        yield SignedIn(browser, app, user)


@pytest.mark.attack("RFC 9700 §4.1.1 (redirect URI validation attacks on the authorization code grant)")
@pytest.mark.parametrize(
    "redirect_uri",
    [
        pytest.param("https://evil.example.com/oauth/callback", id="other-host"),
        pytest.param("https://app.example.com.evil.example/oauth/callback", id="registered-host-as-prefix"),
        pytest.param("https://evilapp.example.com/oauth/callback", id="registered-host-as-suffix"),
        pytest.param("https://app.example.com@evil.example/oauth/callback", id="userinfo-at"),
        pytest.param("https://evil.example\\@app.example.com/oauth/callback", id="backslash-userinfo"),
        pytest.param("https://evil.example#@app.example.com/oauth/callback", id="fragment-before-host"),
        pytest.param(REGISTERED + "#@evil.example", id="fragment-appended"),
        pytest.param(REGISTERED + "/../../evil", id="path-traversal"),
        pytest.param(REGISTERED + "%2F..%2F..%2Fevil", id="encoded-path-traversal"),
        pytest.param(REGISTERED + "evil", id="registered-as-prefix"),
        pytest.param(REGISTERED + "/more", id="sub-path"),
        pytest.param(REGISTERED + "?next=https://evil.example/", id="query-appended"),
        pytest.param("https://APP.EXAMPLE.COM/oauth/callback", id="host-case"),
        pytest.param("https://app.example.com/OAuth/Callback", id="path-case"),
        pytest.param("https://app.example.com:443/oauth/callback", id="explicit-default-port"),
        pytest.param("https://app.example.com:8443/oauth/callback", id="other-port"),
        pytest.param("http://app.example.com/oauth/callback", id="scheme-downgrade"),
        pytest.param("//app.example.com/oauth/callback", id="scheme-relative"),
        pytest.param("https://app.example.com./oauth/callback", id="trailing-dot-host"),
        pytest.param("https://\u0430pp.example.com/oauth/callback", id="idn-homograph"),
        pytest.param(" " + REGISTERED, id="leading-space"),
        pytest.param("javascript:alert(1)//" + REGISTERED, id="javascript-scheme"),
    ],
)
def test_unregistered_redirect_uri_is_never_redirected_to(
    server: Server, signed_in: SignedIn, redirect_uri: str
) -> None:
    with nothing_issued(server):
        page = signed_in.browser.get(authorize_url(signed_in.params(redirect_uri)))
    assert_error_page(page, "redirect_uri_mismatch")


@pytest.mark.attack("RFC 6749 §4.2.2.1 / RFC 9700 §4.1.2 (implicit grant: tokens to an attacker's URI)")
def test_user_agent_flow_never_sends_tokens_to_an_unregistered_uri(
    server: Server, signed_in: SignedIn
) -> None:
    with nothing_issued(server):
        page = signed_in.browser.get(
            authorize_url(signed_in.params(REGISTERED + "/../evil", response_type="token"))
        )
    assert_error_page(page, "redirect_uri_mismatch")


@pytest.mark.attack("RFC 6749 §3.1 (parameters must not be included more than once)")
def test_second_redirect_uri_parameter_is_not_followed(server: Server, signed_in: SignedIn) -> None:
    query = urlencode([*signed_in.params(REGISTERED).items(), ("redirect_uri", "https://evil.example/cb")])
    with nothing_issued(server):
        page = signed_in.browser.get("/services/oauth2/authorize?" + query)
    assert_error_page(page, "redirect_uri_missing")


@pytest.mark.attack("RFC 6749 §4.1.2.1 (unknown client: inform the user, do not redirect)")
def test_unknown_client_is_never_redirected(server: Server) -> None:
    params = {
        "response_type": "code",
        "client_id": "3MVG9attacker",
        "redirect_uri": "https://evil.example/cb",
    }
    with server.client() as browser, nothing_issued(server):
        page = browser.get(authorize_url(params))
    assert_error_page(page, "invalid_client_id")


@pytest.mark.attack("RFC 9700 §4.1 (redirect URI swapped in the login form's hidden authorize request)")
def test_login_form_with_a_tampered_redirect_uri_logs_no_one_in(server: Server) -> None:
    app, _ = server.create_app()
    user = server.create_user()
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}
    with server.client() as browser:
        page = browser.get(authorize_url(params))
        fields = dict(forms(page.text)[0]["fields"])  # type: ignore[arg-type]
        tampered = urlencode({**params, "redirect_uri": "https://evil.example/cb"})
        with nothing_issued(server):
            answer = browser.post(
                "/login",
                data={**fields, "authorize_query": tampered, "username": user.username, "password": PASSWORD},
            )
    assert_error_page(answer, "redirect_uri_mismatch")
    assert "set-cookie" not in answer.headers or "fg_sid" not in answer.headers["set-cookie"]


@pytest.mark.attack("RFC 9700 §4.1 (redirect URI swapped in the consent form's hidden authorize request)")
def test_consent_form_with_a_tampered_redirect_uri_issues_no_code(server: Server) -> None:
    app, _ = server.create_app()
    user = server.create_user()
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD, decision=None)
        assert outcome.pages == ["login"] and 'name="decision"' in outcome.response.text
        fields = dict(forms(outcome.response.text)[0]["fields"])  # type: ignore[arg-type]
        tampered = urlencode({**params, "redirect_uri": REGISTERED + "/../../evil"})
        with nothing_issued(server):
            answer = browser.post(
                "/services/oauth2/authorize/consent",
                data={**fields, "authorize_query": tampered, "decision": "allow"},
            )
    assert_error_page(answer, "redirect_uri_mismatch")
