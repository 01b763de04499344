"""The admin JSON API (/admin/api/v1) as a caller sees it: a bearer token from the Web Server flow
(login, consent, code exchange) and calls made with it, for the admin API tests and the flow and
attack tests that change the org through it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.browser import authorize
from tests.support.server import PASSWORD, Server

PREFIX = "/admin/api/v1"
CALLBACK = "http://localhost:1717/OauthRedirect"
ADMIN = "System Administrator"


def access_token(server: Server, username: str, app_scopes: str = "api", scope: str = "api") -> str:
    """An access token for ``username``, through login, consent and the code exchange."""
    app, secret = server.create_app(scopes=app_scopes)
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "scope": scope,
    }
    with server.client() as browser:
        outcome = authorize(browser, params, username, PASSWORD)
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
    return str(response.json()["access_token"])


@dataclass
class Api:
    """Calls the admin API with one bearer token (or none)."""

    server: Server
    token: str | None

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        with self.server.client() as client:
            return client.request(method, PREFIX + path, headers=headers, **kwargs)

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, response.text
        return response.json()


def api_for(server: Server, profile: str | None = ADMIN) -> Api:
    user = server.create_user(profile=profile)
    return Api(server, access_token(server, user.username))
