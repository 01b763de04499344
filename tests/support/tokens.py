"""Getting tokens over real HTTP for the token lifecycle tests (revocation, introspection, secret
rotation, housekeeping): the Web Server flow for refresh tokens (or its two halves, the authorization
code and its exchange, for the attacks on them), Client Credentials for plain access tokens, and the
checks of a protected call."""

from __future__ import annotations

from typing import Any

import httpx

from forcegate.domain import ConnectedApp, User
from tests.support.browser import authorize
from tests.support.server import PASSWORD, Server

CALLBACK = "http://localhost:1717/OauthRedirect"


def web_server_tokens(
    server: Server, app: ConnectedApp, secret: str, user: User, scope: str = "api refresh_token"
) -> dict[str, Any]:
    """Log ``user`` in, consent, exchange the code: the token response."""
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "scope": scope,
    }
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD)
        assert outcome.response.status_code == 302, outcome.response.text
        response = browser.post(
            "/services/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": outcome.query["code"],
                "client_id": app.consumer_key,
                "client_secret": secret,
                "redirect_uri": CALLBACK,
            },
        )
    assert response.status_code == 200, response.text
    return dict(response.json())


def authorization_code(server: Server, app: ConnectedApp, username: str, **extra: str) -> str:
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK, **extra}
    with server.client() as browser:
        outcome = authorize(browser, params, username, PASSWORD)
    assert outcome.response.status_code == 302, outcome.response.text
    return outcome.query["code"]


def exchange_code(server: Server, app: ConnectedApp, secret: str, code: str, **extra: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app.consumer_key,
        "client_secret": secret,
        "redirect_uri": CALLBACK,
        **extra,
    }
    with server.client() as client:
        return client.post("/services/oauth2/token", data=form)


def refresh(server: Server, app: ConnectedApp, secret: str, refresh_token: str) -> httpx.Response:
    with server.client() as client:
        return client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": app.consumer_key,
                "client_secret": secret,
            },
        )


def refreshed_access_token(server: Server, app: ConnectedApp, secret: str, refresh_token: str) -> str:
    response = refresh(server, app, secret, refresh_token)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def client_credentials_app(server: Server, **options: object) -> tuple[ConnectedApp, str, User]:
    user = server.create_user()
    app, secret = server.create_app(
        client_credentials_enabled=True, client_credentials_user=user.username, scopes="api", **options
    )
    return app, secret, user


def client_credentials_token(server: Server, app: ConnectedApp, secret: str) -> str:
    with server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": app.consumer_key, "client_secret": secret},
        )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def userinfo(server: Server, access_token: str) -> httpx.Response:
    with server.client() as client:
        return client.get("/services/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def assert_works(server: Server, access_token: str) -> None:
    response = userinfo(server, access_token)
    assert response.status_code == 200, response.text


def assert_invalid_session(server: Server, access_token: str) -> None:
    """The protected call answers 401 with Salesforce's INVALID_SESSION_ID array."""
    response = userinfo(server, access_token)
    assert response.status_code == 401, response.text
    assert response.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def assert_refresh_refused(server: Server, app: ConnectedApp, secret: str, refresh_token: str) -> None:
    response = refresh(server, app, secret, refresh_token)
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "invalid_grant", "error_description": "expired access/refresh token"}
