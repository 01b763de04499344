"""Introspection fishing: an app asks about tokens that are not its own, or asks without proving who
it is. Another app's token answers exactly ``{"active": false}``, as an unknown one does.

RFC 7662 §2.2 and §4 (the answer must not leak a token's existence to a client not entitled to it),
RFC 7662 §2.1 (the caller authenticates), RFC 9700 §4.10.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.attacks.refusals import assert_oauth_error
from tests.attacks.unchanged import nothing_issued
from tests.support.introspection import INACTIVE, INTROSPECT, introspect, introspection_answer
from tests.support.server import Server
from tests.support.tokens import client_credentials_app, client_credentials_token, web_server_tokens


@pytest.fixture
def victim(server: Server) -> dict[str, Any]:
    app, secret = server.create_app()
    tokens = web_server_tokens(server, app, secret, server.create_user())
    return {"app": app, "secret": secret, **tokens}


@pytest.mark.attack("RFC 7662 §4 (another app's live token: inactive, nothing about it leaks)")
@pytest.mark.parametrize("kind", ["access_token", "refresh_token"])
@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token"])
def test_another_apps_token_is_inactive(
    server: Server, victim: dict[str, Any], kind: str, hint: str | None
) -> None:
    attacker, attacker_secret = server.create_app()
    extra = {"token_type_hint": hint} if hint else {}
    with nothing_issued(server):
        body = introspection_answer(server, attacker, attacker_secret, victim[kind], **extra)
    assert body == INACTIVE
    # The victim still sees it as live: the refusal was about who asked.
    assert introspection_answer(server, victim["app"], victim["secret"], victim[kind])["active"] is True


@pytest.mark.attack("RFC 7662 §4 (a client-credentials token of another app: inactive)")
def test_another_apps_client_credentials_token_is_inactive(server: Server) -> None:
    app, secret, _ = client_credentials_app(server)
    token = client_credentials_token(server, app, secret)
    attacker, attacker_secret = server.create_app()
    with nothing_issued(server):
        assert introspection_answer(server, attacker, attacker_secret, token) == INACTIVE


@pytest.mark.attack("RFC 7662 §2.1 (introspection without client authentication)")
def test_anonymous_introspection_is_refused(server: Server, victim: dict[str, Any]) -> None:
    with server.client() as client, nothing_issued(server):
        answer = client.post(INTROSPECT, data={"token": victim["access_token"]})
    assert_oauth_error(answer, "invalid_client_id", "client identifier invalid")


@pytest.mark.attack("RFC 7662 §2.1 (the victim's client_id with a guessed secret)")
@pytest.mark.parametrize("secret", ["guessed-secret", "x"], ids=["guess", "one-character"])
def test_victim_client_id_with_a_wrong_secret_is_refused(
    server: Server, victim: dict[str, Any], secret: str
) -> None:
    with nothing_issued(server):
        answer = introspect(server, victim["app"], secret, victim["access_token"])
    assert_oauth_error(answer, "invalid_client", "invalid client credentials")


@pytest.mark.attack("RFC 7662 §2.1 (the victim's client_id with the attacker's own secret, via HTTP Basic)")
def test_victim_client_id_with_the_attackers_secret_in_basic_is_refused(
    server: Server, victim: dict[str, Any]
) -> None:
    _, attacker_secret = server.create_app()
    auth = httpx.BasicAuth(victim["app"].consumer_key, attacker_secret)
    with server.client() as client, nothing_issued(server):
        answer = client.post(INTROSPECT, data={"token": victim["access_token"]}, auth=auth)
    assert_oauth_error(answer, "invalid_client", "invalid client credentials")


@pytest.mark.attack("RFC 7662 §4 (a guessed, over-long or empty token: the same inactive answer)")
@pytest.mark.parametrize("token", ["00D000000000000!guess", "x" * 5000, "' OR 1=1 --"])
def test_guessed_tokens_are_inactive(server: Server, token: str) -> None:
    app, secret = server.create_app()
    with nothing_issued(server):
        assert introspection_answer(server, app, secret, token) == INACTIVE
