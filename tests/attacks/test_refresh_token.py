"""Attacks on refresh tokens: a rotated token replayed, another app's token, a revoked one, a wrong
client secret, a wider scope than granted.

RFC 9700 §4.14 (refresh token protection), RFC 6749 §6 and §10.4, RFC 6819 §5.2.2.3.
"""

from __future__ import annotations

import httpx
import pytest

from tests.attacks.refusals import assert_oauth_error
from tests.attacks.unchanged import family_revoked, is_revoked, nothing_issued
from tests.support.server import Server
from tests.support.tokens import (
    assert_invalid_session,
    assert_refresh_refused,
    assert_works,
    refresh,
    refreshed_access_token,
    web_server_tokens,
)

EXPIRED = ("invalid_grant", "expired access/refresh token")


@pytest.mark.attack("RFC 9700 §4.14.2 (refresh token rotation: reuse of a retired token revokes the family)")
def test_retired_refresh_token_replayed_revokes_the_family(server: Server) -> None:
    app, secret = server.create_app(refresh_token_rotation=True)
    tokens = web_server_tokens(server, app, secret, server.create_user())
    rotated = refresh(server, app, secret, tokens["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    successor = rotated.json()

    with nothing_issued(server):
        replay = refresh(server, app, secret, tokens["refresh_token"])

    assert_oauth_error(replay, *EXPIRED)
    assert family_revoked(server, successor["refresh_token"])
    assert_invalid_session(server, successor["access_token"])
    assert_refresh_refused(server, app, secret, successor["refresh_token"])


@pytest.mark.attack("RFC 6749 §6 / RFC 9700 §4.14 (refresh token bound to the client it was issued to)")
def test_refresh_token_of_another_app_is_refused_and_not_revoked(server: Server) -> None:
    victim, victim_secret = server.create_app()
    attacker, attacker_secret = server.create_app()
    tokens = web_server_tokens(server, victim, victim_secret, server.create_user())
    with nothing_issued(server):
        answer = refresh(server, attacker, attacker_secret, tokens["refresh_token"])
    assert_oauth_error(answer, *EXPIRED)
    assert not is_revoked(server, tokens["refresh_token"])
    assert_works(server, refreshed_access_token(server, victim, victim_secret, tokens["refresh_token"]))


@pytest.mark.attack("RFC 7009 §2.1 (a revoked refresh token must not be usable)")
def test_revoked_refresh_token_is_refused(server: Server) -> None:
    app, secret = server.create_app()
    tokens = web_server_tokens(server, app, secret, server.create_user())
    with server.client() as client:
        assert (
            client.post("/services/oauth2/revoke", data={"token": tokens["refresh_token"]}).status_code == 200
        )
    with nothing_issued(server):
        answer = refresh(server, app, secret, tokens["refresh_token"])
    assert_oauth_error(answer, *EXPIRED)


@pytest.mark.attack("RFC 6749 §6 (confidential client must authenticate; RFC 6819 §5.2.3.1)")
@pytest.mark.parametrize("secret_sent", ["wrong-secret-0000", ""], ids=["wrong", "missing"])
def test_refresh_without_the_right_client_secret_is_refused(server: Server, secret_sent: str) -> None:
    app, secret = server.create_app()
    tokens = web_server_tokens(server, app, secret, server.create_user())
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": app.consumer_key,
    }
    if secret_sent:
        form["client_secret"] = secret_sent
    with server.client() as client, nothing_issued(server):
        answer = client.post("/services/oauth2/token", data=form)
    assert_oauth_error(answer, "invalid_client", "invalid client credentials")
    assert not is_revoked(server, tokens["refresh_token"])


@pytest.mark.attack("RFC 6749 §6 (requested scope must not include any scope not originally granted)")
def test_refresh_asking_for_a_wider_scope_is_refused(server: Server) -> None:
    app, secret = server.create_app()
    tokens = web_server_tokens(server, app, secret, server.create_user(), scope="api refresh_token")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": app.consumer_key,
        "client_secret": secret,
        "scope": "api refresh_token openid web",
    }
    with server.client() as client, nothing_issued(server):
        answer = client.post("/services/oauth2/token", data=form)
    assert_oauth_error(answer, "invalid_scope", "the requested scope is not allowed")


@pytest.mark.attack("RFC 6819 §5.2.2.3 (refresh tokens end with the user's access: deactivated user)")
def test_refresh_for_a_deactivated_user_is_refused(server: Server) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    tokens = web_server_tokens(server, app, secret, user)
    # Deactivation revokes the user's tokens (docs/administering.md: what a deactivation ends), so the
    # refresh token is as dead as a revoked one, and stays dead after a reactivation.
    server.update_user(user, is_active=False)
    with nothing_issued(server):
        answer = refresh(server, app, secret, tokens["refresh_token"])
    assert_oauth_error(answer, *EXPIRED)
    server.update_user(user, is_active=True)
    with nothing_issued(server):
        answer = refresh(server, app, secret, tokens["refresh_token"])
    assert_oauth_error(answer, *EXPIRED)


@pytest.mark.attack("Salesforce: OAuth 2.0 Refresh Token Flow (blocked app: app_blocked)")
def test_refresh_for_a_blocked_app_is_refused(server: Server) -> None:
    app, secret = server.create_app()
    tokens = web_server_tokens(server, app, secret, server.create_user())
    server.update_app(app, is_enabled=False)
    with nothing_issued(server):
        answer = refresh(server, app, secret, tokens["refresh_token"])
    assert_oauth_error(answer, "app_blocked", "this app is blocked by admin")


@pytest.mark.attack("RFC 6749 §10.10 (guessing a refresh token)")
def test_guessed_refresh_token_is_refused(server: Server) -> None:
    app, secret = server.create_app()
    with nothing_issued(server):
        answer: httpx.Response = refresh(server, app, secret, "5Aep861" + "A" * 80)
    assert_oauth_error(answer, *EXPIRED)
