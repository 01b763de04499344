"""The Client Credentials flow: the app's key and secret, tokens acting as its run-as user."""

from __future__ import annotations

import base64

import httpx
import pytest

from forcegate.org.errors import ValidationFailed
from tests.support.server import Server


def _grant(server: Server, key: str, secret: str, **extra: str) -> httpx.Response:
    with server.client() as client:
        return client.post(
            "/services/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": key, "client_secret": secret, **extra},
        )


def _error(response: httpx.Response, error: str, description: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"error": error, "error_description": description}


def test_when_app_has_run_as_user_then_token_acts_as_that_user(server: Server) -> None:
    user = server.create_user()
    app, secret = server.create_app(
        client_credentials_enabled=True, client_credentials_user=user.username, scopes="api refresh_token"
    )
    response = _grant(server, app.consumer_key, secret)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body and body["scope"] == "api"
    assert body["id"] == f"{server.url}/id/{server.org_id}/{user.id}" and "signature" in body
    with server.client() as client:
        info = client.get(
            "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
    assert info.json()["user_id"] == user.id
    assert ("client_credentials", "Success") in {
        (e["flow"], e["status"]) for e in server.login_history_of(app_id=app.id)
    }


def test_when_basic_auth_used_then_accepted(server: Server) -> None:
    user = server.create_user()
    app, secret = server.create_app(client_credentials_enabled=True, client_credentials_user=user.id)
    basic = base64.b64encode(f"{app.consumer_key}:{secret}".encode()).decode()
    with server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
    assert response.status_code == 200, response.text


def test_when_flow_disabled_then_unsupported_grant_type(server: Server) -> None:
    app, secret = server.create_app()
    _error(_grant(server, app.consumer_key, secret), "unsupported_grant_type", "grant type not supported")


def test_when_run_as_user_missing_or_inactive_then_refused(server: Server) -> None:
    app, secret = server.create_app(client_credentials_enabled=True)
    _error(_grant(server, app.consumer_key, secret), "invalid_grant", "no client credentials user enabled")
    user = server.create_user()
    app = server.update_app(app, client_credentials_user=user.username)
    assert _grant(server, app.consumer_key, secret).status_code == 200
    server.update_user(user, is_active=False)
    _error(_grant(server, app.consumer_key, secret), "invalid_grant", "no client credentials user enabled")


def test_when_secret_wrong_or_missing_then_invalid_client(server: Server) -> None:
    user = server.create_user()
    app, _ = server.create_app(client_credentials_enabled=True, client_credentials_user=user.id)
    _error(_grant(server, app.consumer_key, "WRONG"), "invalid_client", "invalid client credentials")
    with server.client() as client:
        missing = client.post(
            "/services/oauth2/token", data={"grant_type": "client_credentials", "client_id": app.consumer_key}
        )
    _error(missing, "invalid_client", "invalid client credentials")


def test_when_scope_widened_then_invalid_scope_and_narrowing_works(server: Server) -> None:
    user = server.create_user()
    app, secret = server.create_app(
        client_credentials_enabled=True, client_credentials_user=user.id, scopes="api web"
    )
    _error(
        _grant(server, app.consumer_key, secret, scope="api full"),
        "invalid_scope",
        "the requested scope is not allowed",
    )
    assert _grant(server, app.consumer_key, secret, scope="web").json()["scope"] == "web"


def test_when_app_disabled_or_unknown_then_refused(server: Server) -> None:
    user = server.create_user()
    app, secret = server.create_app(client_credentials_enabled=True, client_credentials_user=user.id)
    server.update_app(app, is_enabled=False)
    _error(_grant(server, app.consumer_key, secret), "app_blocked", "this app is blocked by admin")
    _error(_grant(server, "3MVG9unknown", secret), "invalid_client_id", "client identifier invalid")


def test_when_run_as_user_is_not_an_active_user_then_registration_refused(server: Server) -> None:
    with pytest.raises(ValidationFailed):
        server.create_app(client_credentials_enabled=True, client_credentials_user="nobody@example.com")
