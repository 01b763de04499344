"""Token substitution: an artefact of one kind or one app presented as another kind or by another app.
Every answer is the refusal the endpoint gives an unknown token, and the original stays untouched.

RFC 9700 §4.5 and §4.10 (misuse of tokens), RFC 8725 §2.8 / §3.11 (cross-JWT confusion),
RFC 6750 §3.1 (invalid_token), RFC 7009 §2.1 (a client revokes only its own tokens).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from forcegate.domain import ConnectedApp
from tests.attacks.refusals import assert_api_error, assert_oauth_error
from tests.attacks.unchanged import is_revoked, nothing_issued
from tests.support.client_helpers import approve_device
from tests.support.data_api import DATA, bearer
from tests.support.jwt_bearer import GRANT_TYPE, admin_approved_setup, key_pair
from tests.support.server import Server
from tests.support.tokens import assert_works, authorization_code, refresh, web_server_tokens


@pytest.fixture
def issued(server: Server) -> dict[str, Any]:
    """Everything one Web Server flow hands a client: access, refresh and id tokens."""
    app, secret = server.create_app()
    tokens = web_server_tokens(server, app, secret, server.create_user(), scope="api refresh_token openid")
    assert {"access_token", "refresh_token", "id_token"} <= set(tokens)
    return {"app": app, "secret": secret, **tokens}


@pytest.mark.attack("RFC 6750 §3.1 / RFC 9700 §4.10 (non-access token presented as a bearer token)")
@pytest.mark.parametrize("kind", ["id_token", "refresh_token"])
@pytest.mark.parametrize("where", ["userinfo", "data-api"])
def test_other_tokens_are_not_access_tokens(
    server: Server, issued: dict[str, Any], kind: str, where: str
) -> None:
    path = "/services/oauth2/userinfo" if where == "userinfo" else f"{DATA}/limits"
    with server.client() as client, nothing_issued(server):
        answer = client.get(path, headers=bearer(issued[kind]))
    assert_api_error(answer, 401, "INVALID_SESSION_ID")


@pytest.mark.attack("RFC 6749 §4.1.2 / RFC 6750 §3.1 (authorization code presented as a bearer token)")
def test_authorization_code_is_not_an_access_token(server: Server) -> None:
    app, _ = server.create_app()
    code = authorization_code(server, app, server.create_user().username)
    with server.client() as client, nothing_issued(server):
        answer = client.get("/services/oauth2/userinfo", headers=bearer(code))
    assert_api_error(answer, 401, "INVALID_SESSION_ID")


@pytest.mark.attack("RFC 6749 §6 (access token presented as a refresh token)")
def test_access_token_is_not_a_refresh_token(server: Server, issued: dict[str, Any]) -> None:
    with nothing_issued(server):
        answer = refresh(server, issued["app"], issued["secret"], issued["access_token"])
    assert_oauth_error(answer, "invalid_grant", "expired access/refresh token")


@pytest.mark.attack("RFC 6749 §4.1.3 (refresh token presented as an authorization code)")
def test_refresh_token_is_not_an_authorization_code(server: Server, issued: dict[str, Any]) -> None:
    form = {
        "grant_type": "authorization_code",
        "code": issued["refresh_token"],
        "client_id": issued["app"].consumer_key,
        "client_secret": issued["secret"],
        "redirect_uri": "http://localhost:1717/OauthRedirect",
    }
    with server.client() as client, nothing_issued(server):
        answer = client.post("/services/oauth2/token", data=form)
    assert_oauth_error(answer, "invalid_grant", "invalid authorization code")


@pytest.mark.attack("RFC 8725 §2.8 / §3.11 (our own id_token, RS256, replayed as a JWT bearer assertion)")
def test_id_token_is_not_a_jwt_bearer_assertion(server: Server, issued: dict[str, Any]) -> None:
    setup = admin_approved_setup(server, key_pair())
    with nothing_issued(server):
        answer = setup.token(issued["id_token"])
    # Its iss is our own URL, which names no client.
    assert_oauth_error(answer, "invalid_client_id", "client identifier invalid")


@pytest.mark.attack("RFC 8725 §3.11 (a signed JWT access token replayed as a JWT bearer assertion)")
def test_jwt_access_token_is_not_a_jwt_bearer_assertion(server: Server) -> None:
    app, secret = server.create_app(jwt_access_tokens=True)
    tokens = web_server_tokens(server, app, secret, server.create_user())
    assert tokens["access_token"].count(".") == 2  # a JWS, as the attack needs
    with server.client() as client, nothing_issued(server):
        answer = client.post(
            "/services/oauth2/token", data={"grant_type": GRANT_TYPE, "assertion": tokens["access_token"]}
        )
    assert_oauth_error(answer, "invalid_client_id", "client identifier invalid")


@pytest.mark.attack("RFC 7009 §2.1 (a client may revoke only tokens issued to it)")
@pytest.mark.parametrize("kind", ["access_token", "refresh_token"])
def test_another_app_cannot_revoke_a_token(server: Server, issued: dict[str, Any], kind: str) -> None:
    attacker, attacker_secret = server.create_app()
    form = {"token": issued[kind], "client_id": attacker.consumer_key, "client_secret": attacker_secret}
    with server.client() as client, nothing_issued(server):
        answer = client.post("/services/oauth2/revoke", data=form)
    assert_oauth_error(answer, "invalid_token", "invalid token")
    assert not is_revoked(server, issued[kind])
    assert_works(server, issued["access_token"])


@pytest.mark.attack("RFC 8628 §3.4 / §5.x (an approved device code polled by another client)")
def test_device_code_of_another_app_is_refused(server: Server) -> None:
    victim, _ = server.create_app(device_flow_enabled=True)
    attacker, _ = server.create_app(device_flow_enabled=True)
    with server.client() as client:
        started = client.post(
            "/services/oauth2/token", data={"response_type": "device_code", "client_id": victim.consumer_key}
        )
    assert started.status_code == 200, started.text
    device = started.json()
    approve_device(server, server.create_user(), device["user_code"])

    def poll(app: ConnectedApp) -> httpx.Response:
        with server.client() as client:
            return client.post(
                "/services/oauth2/token",
                data={"grant_type": "device", "client_id": app.consumer_key, "code": device["device_code"]},
            )

    with nothing_issued(server):
        stolen = poll(attacker)
    assert_oauth_error(stolen, "invalid_grant", "invalid device code")
    assert poll(victim).status_code == 200
