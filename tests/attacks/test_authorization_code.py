"""Attacks on the authorization code: replay, theft by another client, a swapped redirect URI, an
expired code, and PKCE verifiers that do not match the challenge.

RFC 6749 §4.1.2 and §4.1.3, RFC 6819 §4.4.1, RFC 9700 §4.5 (code injection), RFC 7636 §4.6.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.attacks.refusals import assert_oauth_error
from tests.attacks.unchanged import family_revoked, nothing_issued
from tests.support.browser import authorize
from tests.support.server import Server
from tests.support.tokens import (
    CALLBACK,
    assert_invalid_session,
    assert_refresh_refused,
    authorization_code,
    exchange_code,
)

VERIFIER = "correct-horse-battery-staple-" + "v" * 30
INVALID_CODE = ("invalid_grant", "invalid authorization code")


@pytest.mark.attack("RFC 6749 §4.1.2 / RFC 6819 §4.4.1.1 (code replay revokes what the code produced)")
def test_replayed_code_is_refused_and_revokes_the_family(server: Server) -> None:
    app, secret = server.create_app()
    code = authorization_code(server, app, server.create_user().username, scope="api refresh_token")
    first = exchange_code(server, app, secret, code)
    assert first.status_code == 200, first.text
    tokens = first.json()

    with nothing_issued(server):
        replay = exchange_code(server, app, secret, code)

    assert_oauth_error(replay, *INVALID_CODE)
    assert family_revoked(server, tokens["access_token"])
    assert_invalid_session(server, tokens["access_token"])
    assert_refresh_refused(server, app, secret, tokens["refresh_token"])


@pytest.mark.attack("RFC 6749 §4.1.3 (the code was issued to another client)")
def test_code_of_another_app_is_refused_and_stays_usable_by_its_own(server: Server) -> None:
    victim, victim_secret = server.create_app()
    attacker, attacker_secret = server.create_app()
    code = authorization_code(server, victim, server.create_user().username)
    with nothing_issued(server):
        stolen = exchange_code(server, attacker, attacker_secret, code)
    assert_oauth_error(stolen, *INVALID_CODE)
    assert exchange_code(server, victim, victim_secret, code).status_code == 200


@pytest.mark.attack("RFC 6749 §4.1.3 (client authenticates with another app's secret)")
def test_code_with_the_client_id_of_its_app_but_another_apps_secret_is_refused(server: Server) -> None:
    victim, _ = server.create_app()
    _, attacker_secret = server.create_app()
    code = authorization_code(server, victim, server.create_user().username)
    with nothing_issued(server):
        answer = exchange_code(server, victim, attacker_secret, code)
    assert_oauth_error(answer, "invalid_client", "invalid client credentials")


@pytest.mark.attack("RFC 6749 §4.1.3 (redirect_uri must be identical to the authorization request's)")
@pytest.mark.parametrize(
    "redirect_uri",
    [
        pytest.param("https://app.example.com/oauth/callback", id="other-registered-callback"),
        pytest.param("https://evil.example/cb", id="unregistered"),
        pytest.param(CALLBACK + "/", id="trailing-slash"),
    ],
)
def test_code_with_another_redirect_uri_is_refused(server: Server, redirect_uri: str) -> None:
    app, secret = server.create_app()
    code = authorization_code(server, app, server.create_user().username)
    with nothing_issued(server):
        answer = exchange_code(server, app, secret, code, redirect_uri=redirect_uri)
    assert_oauth_error(answer, "redirect_uri_mismatch", "redirect_uri must match configuration")


@pytest.mark.attack("RFC 6749 §4.1.3 (redirect_uri required when it was in the authorization request)")
def test_code_without_redirect_uri_is_refused(server: Server) -> None:
    app, secret = server.create_app()
    code = authorization_code(server, app, server.create_user().username)
    form = {"grant_type": "authorization_code", "code": code, "client_id": app.consumer_key}
    with server.client() as client, nothing_issued(server):
        answer = client.post("/services/oauth2/token", data={**form, "client_secret": secret})
    assert_oauth_error(answer, "redirect_uri_mismatch", "redirect_uri must match configuration")


@pytest.mark.attack("RFC 6749 §4.1.2 / RFC 6819 §5.1.5.3 (short-lived codes: Salesforce's 15 minutes)")
def test_expired_code_is_refused(server: Server) -> None:
    app, secret = server.create_app()
    code = authorization_code(server, app, server.create_user().username)
    server.clock.advance(15 * 60 + 1)
    with nothing_issued(server):
        answer = exchange_code(server, app, secret, code)
    assert_oauth_error(answer, "invalid_grant", "expired authorization code")


@pytest.mark.attack("RFC 6749 §10.10 (a guessed code)")
@pytest.mark.parametrize("guess", ["aPrxAAAAAAAAAAAAAAAAAAAAAAAAAA==", "' OR '1'='1", "*"])
def test_guessed_code_is_refused(server: Server, guess: str) -> None:
    app, secret = server.create_app()
    with nothing_issued(server):
        answer = exchange_code(server, app, secret, guess)
    assert_oauth_error(answer, *INVALID_CODE)


@pytest.mark.attack("RFC 7636 §4.6 / RFC 9700 §4.5.3.1 (injected code with the attacker's verifier)")
def test_pkce_wrong_verifier_is_refused(server: Server) -> None:
    app, secret = server.create_app()
    code = authorization_code(
        server, app, server.create_user().username, code_challenge=create_s256_code_challenge(VERIFIER)
    )
    with nothing_issued(server):
        answer = exchange_code(server, app, secret, code, code_verifier="attacker-" + VERIFIER)
    assert_oauth_error(answer, "invalid_request", "invalid code verifier")


@pytest.mark.attack("RFC 7636 §4.6 (S256 challenge answered with the challenge itself, as 'plain')")
def test_pkce_challenge_sent_back_as_verifier_is_refused(server: Server) -> None:
    """Whoever saw the authorize request knows the challenge; under S256 it is not a verifier."""
    app, secret = server.create_app()
    challenge = create_s256_code_challenge(VERIFIER)
    code = authorization_code(server, app, server.create_user().username, code_challenge=challenge)
    with nothing_issued(server):
        answer = exchange_code(server, app, secret, code, code_verifier=challenge)
    assert_oauth_error(answer, "invalid_request", "invalid code verifier")


@pytest.mark.attack("RFC 7636 §4.4.1 (plain method: Salesforce supports S256 only)")
def test_pkce_plain_method_is_refused_at_authorize(server: Server) -> None:
    app, _ = server.create_app()
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "state": "p",
        "code_challenge": VERIFIER,
        "code_challenge_method": "plain",
    }
    with server.client() as browser, nothing_issued(server):
        outcome = authorize(browser, params, None, None)
    assert outcome.response.status_code == 302
    assert outcome.query == {
        "error": "invalid_request",
        "error_description": "unsupported code_challenge_method",
        "state": "p",
    }


@pytest.mark.attack("RFC 7636 §4.4.1 / RFC 9700 §2.1.1 (verifier stripped from the token request)")
def test_pkce_verifier_missing_is_refused(server: Server) -> None:
    app, secret = server.create_app()
    code = authorization_code(
        server, app, server.create_user().username, code_challenge=create_s256_code_challenge(VERIFIER)
    )
    with nothing_issued(server):
        answer = exchange_code(server, app, secret, code)
    assert_oauth_error(answer, "invalid_grant", "invalid code verifier")


@pytest.mark.attack("RFC 6749 §4.1.3 / §3.1 (a second code parameter smuggled into the exchange)")
def test_two_codes_in_one_exchange_are_refused(server: Server) -> None:
    app, secret = server.create_app()
    username = server.create_user().username
    codes = [authorization_code(server, app, username) for _ in range(2)]
    body = urlencode(
        [
            ("grant_type", "authorization_code"),
            ("code", codes[0]),
            ("code", codes[1]),
            ("client_id", app.consumer_key),
            ("client_secret", secret),
            ("redirect_uri", CALLBACK),
        ]
    )
    with server.client() as client, nothing_issued(server):
        answer = client.post(
            "/services/oauth2/token",
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert_oauth_error(answer, "invalid_request", "duplicate parameter: code")
