"""Token introspection (RFC 7662, POST /services/oauth2/introspect) as an app calls it: the request,
and its answer checked for what every answer carries (JSON, not cached), for the introspection flow
tests and the attacks that fish with it."""

from __future__ import annotations

from typing import Any

import httpx

from forcegate.domain import ConnectedApp
from tests.support.server import Server

INTROSPECT = "/services/oauth2/introspect"
INACTIVE = {"active": False}


def introspect(server: Server, app: ConnectedApp, secret: str, token: str, **extra: str) -> httpx.Response:
    with server.client() as client:
        return client.post(
            INTROSPECT,
            data={"token": token, "client_id": app.consumer_key, "client_secret": secret, **extra},
            headers={"Accept": "application/json"},
        )


def introspection_answer(
    server: Server, app: ConnectedApp, secret: str, token: str, **extra: str
) -> dict[str, Any]:
    response = introspect(server, app, secret, token, **extra)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    return dict(response.json())
