"""Mix-up and code injection (RFC 9700 §4.4 and §4.5): a code this server issued reaches an attacker
(through a client that also talks to the attacker's authorization server) and is redeemed here, by
the attacker's own client, or injected back into the honest client's session. The code is bound to
its client, its redirect URI and its PKCE challenge, so every redemption but the honest one fails.
"""

from __future__ import annotations

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.attacks.refusals import assert_oauth_error
from tests.attacks.unchanged import nothing_issued
from tests.support.server import Server
from tests.support.tokens import CALLBACK, authorization_code, exchange_code

HONEST_AS_CALLBACK = "https://app.example.com/oauth/callback"
ATTACKER_AS_CALLBACK = "https://app.example.com/oauth/callback/attacker-as"
HONEST_VERIFIER = "honest-client-verifier-" + "h" * 40
ATTACKER_VERIFIER = "attacker-client-verifier-" + "a" * 40


@pytest.mark.attack("RFC 9700 §4.4.1 (mix-up: the attacker redeems the leaked code with its own client)")
def test_leaked_code_redeemed_by_an_attacker_client_with_the_same_callback_is_refused(server: Server) -> None:
    honest, honest_secret = server.create_app()
    # Callback URLs are not unique: the attacker registers the honest client's too.
    attacker, attacker_secret = server.create_app()
    code = authorization_code(server, honest, server.create_user().username)
    with nothing_issued(server):
        answer = exchange_code(server, attacker, attacker_secret, code, redirect_uri=CALLBACK)
    assert_oauth_error(answer, "invalid_grant", "invalid authorization code")
    assert exchange_code(server, honest, honest_secret, code).status_code == 200


@pytest.mark.attack("RFC 9700 §4.4.2 (per-AS redirect URIs: a code sent to another AS's callback)")
def test_code_redeemed_with_the_callback_used_for_another_authorization_server_is_refused(
    server: Server,
) -> None:
    app, secret = server.create_app(callback_urls=[CALLBACK, HONEST_AS_CALLBACK, ATTACKER_AS_CALLBACK])
    code = authorization_code(server, app, server.create_user().username)
    with nothing_issued(server):
        answer = exchange_code(server, app, secret, code, redirect_uri=ATTACKER_AS_CALLBACK)
    assert_oauth_error(answer, "redirect_uri_mismatch", "redirect_uri must match configuration")


@pytest.mark.attack("RFC 9700 §4.4.1 / RFC 7636 §1 (the leaked code redeemed without the honest verifier)")
def test_leaked_pkce_code_redeemed_with_the_attackers_verifier_is_refused(server: Server) -> None:
    app, secret = server.create_app()
    challenge = create_s256_code_challenge(HONEST_VERIFIER)
    code = authorization_code(server, app, server.create_user().username, code_challenge=challenge)
    with nothing_issued(server):
        answer = exchange_code(server, app, secret, code, code_verifier=ATTACKER_VERIFIER)
    assert_oauth_error(answer, "invalid_request", "invalid code verifier")
    assert exchange_code(server, app, secret, code, code_verifier=HONEST_VERIFIER).status_code == 200


@pytest.mark.attack("RFC 9700 §4.5 (code injection: the attacker's own code fed to the honest client)")
def test_attackers_code_injected_into_the_honest_session_is_refused(server: Server) -> None:
    """The attacker logs in as itself (with its own challenge) and plants the code in the victim's
    callback; the honest client redeems it with the verifier of the victim's session."""
    app, secret = server.create_app()
    attacker_user = server.create_user()
    planted = authorization_code(
        server, app, attacker_user.username, code_challenge=create_s256_code_challenge(ATTACKER_VERIFIER)
    )
    with nothing_issued(server):
        answer = exchange_code(server, app, secret, planted, code_verifier=HONEST_VERIFIER)
    assert_oauth_error(answer, "invalid_request", "invalid code verifier")
