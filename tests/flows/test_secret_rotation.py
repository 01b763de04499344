"""Staged consumer secret rotation, as Salesforce stages it, over the admin API and the CLI, on every
backend: a new secret works at once, the old one keeps working until it is revoked, then fails."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from forcegate.domain import ConnectedApp
from tests.support.server import Server
from tests.support.tokens import client_credentials_app, web_server_tokens

PREFIX = "/admin/api/v1"
FORCEGATE = Path(sys.executable).parent / "forcegate"
INVALID_CLIENT = {"error": "invalid_client", "error_description": "invalid client credentials"}


def _admin_token(server: Server, profile: str = "System Administrator") -> str:
    app, secret = server.create_app(scopes="api")
    return web_server_tokens(server, app, secret, server.create_user(profile=profile), scope="api")[
        "access_token"
    ]


@pytest.fixture(scope="module")
def admin(server: Server) -> str:
    return _admin_token(server)


def _call(server: Server, token: str, path: str, **kwargs: Any) -> httpx.Response:
    with server.client() as client:
        return client.post(PREFIX + path, headers={"Authorization": f"Bearer {token}"}, **kwargs)


def _grant(server: Server, app: ConnectedApp, secret: str) -> httpx.Response:
    with server.client() as client:
        return client.post(
            "/services/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": app.consumer_key, "client_secret": secret},
        )


def _signature(secret: str, body: dict[str, Any]) -> str:
    digest = hmac.new(secret.encode(), (body["id"] + body["issued_at"]).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _accepted(server: Server, app: ConnectedApp, secret: str) -> None:
    """The secret authenticates, and the response is signed with it (so the client can verify)."""
    response = _grant(server, app, secret)
    assert response.status_code == 200, response.text
    assert response.json()["signature"] == _signature(secret, response.json())


def _refused(server: Server, app: ConnectedApp, secret: str) -> None:
    response = _grant(server, app, secret)
    assert response.status_code == 400, response.text
    assert response.json() == INVALID_CLIENT


def _problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()[0]["errorCode"] == code


# --- admin API ----------------------------------------------------------------------------------------


def test_when_rotated_then_both_secrets_work_until_the_old_one_is_revoked(server: Server, admin: str) -> None:
    app, old, _user = client_credentials_app(server)

    response = _call(server, admin, f"/connected-apps/{app.id}/rotate-secret")

    assert response.status_code == 200, response.text
    rotated = response.json()
    new = rotated["consumer_secret"]
    assert new != old and rotated["consumer_key"] == app.consumer_key
    assert rotated["old_secret_active"] is True and rotated["secret_rotated_ms"]
    _accepted(server, app, old)
    _accepted(server, app, new)

    response = _call(server, admin, f"/connected-apps/{app.id}/revoke-old-secret")

    assert response.status_code == 200, response.text
    assert response.json()["old_secret_active"] is False
    assert "consumer_secret" not in response.json()
    _refused(server, app, old)
    _accepted(server, app, new)


def test_when_old_secret_used_during_staging_then_refresh_and_introspection_accept_it(
    server: Server, admin: str
) -> None:
    app, old = server.create_app()
    tokens = web_server_tokens(server, app, old, server.create_user())
    assert _call(server, admin, f"/connected-apps/{app.consumer_key}/rotate-secret").status_code == 200

    with server.client() as client:
        refreshed = client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": tokens["refresh_token"],
                "client_id": app.consumer_key,
                "client_secret": old,
            },
        )
        introspected = client.post(
            "/services/oauth2/introspect",
            data={"token": tokens["access_token"], "client_id": app.consumer_key, "client_secret": old},
        )
    assert refreshed.status_code == 200, refreshed.text
    assert introspected.json()["active"] is True

    assert _call(server, admin, f"/connected-apps/{app.consumer_key}/revoke-old-secret").status_code == 200
    with server.client() as client:
        refused = client.post(
            "/services/oauth2/introspect",
            data={"token": tokens["access_token"], "client_id": app.consumer_key, "client_secret": old},
        )
    assert refused.status_code == 400 and refused.json() == INVALID_CLIENT


def test_when_rotated_twice_before_revoking_then_409_invalid_operation(server: Server, admin: str) -> None:
    app, old, _user = client_credentials_app(server)
    first = _call(server, admin, f"/connected-apps/{app.id}/rotate-secret").json()["consumer_secret"]

    _problem(_call(server, admin, f"/connected-apps/{app.id}/rotate-secret"), 409, "INVALID_OPERATION")

    _accepted(server, app, old)  # nothing changed: both secrets of the first rotation still work
    _accepted(server, app, first)


def test_when_no_rotation_staged_then_revoke_old_secret_is_409(server: Server, admin: str) -> None:
    app, secret, _user = client_credentials_app(server)

    _problem(_call(server, admin, f"/connected-apps/{app.id}/revoke-old-secret"), 409, "INVALID_OPERATION")

    _accepted(server, app, secret)


def test_when_refused_by_the_admin_api_then_nothing_rotates(server: Server, admin: str) -> None:
    app, secret, _user = client_credentials_app(server)
    standard = _admin_token(server, profile="Standard User")

    _problem(_call(server, standard, f"/connected-apps/{app.id}/rotate-secret"), 403, "INSUFFICIENT_ACCESS")
    _problem(
        _call(server, "not-a-token", f"/connected-apps/{app.id}/rotate-secret"), 401, "INVALID_SESSION_ID"
    )
    _problem(_call(server, admin, "/connected-apps/no-such-app/rotate-secret"), 404, "NOT_FOUND")
    _problem(
        _call(server, admin, f"/connected-apps/{app.id}/rotate-secret", json={"secret": "mine"}),
        400,
        "FIELD_INTEGRITY_EXCEPTION",
    )

    with server.client() as client:
        shown = client.get(f"{PREFIX}/connected-apps/{app.id}", headers={"Authorization": f"Bearer {admin}"})
    assert shown.json()["old_secret_active"] is False
    _accepted(server, app, secret)


# --- CLI ------------------------------------------------------------------------------------------------


def _cli(server: Server, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEGATE_")}
    env.update(
        FORCEGATE_HOME=str(tmp_path),
        FORCEGATE_SERVER_KEYS=server.ctx.settings.server_keys or "",
        FORCEGATE_ARGON2_MEMORY_KIB="1024",
        FORCEGATE_ARGON2_TIME_COST="1",
    )
    return subprocess.run(
        [str(FORCEGATE), *args, "--database", server.ctx.settings.database_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_when_rotated_with_the_cli_then_old_secret_works_until_revoke_old_secret(
    server: Server, tmp_path: Path
) -> None:
    app, old, _user = client_credentials_app(server)

    rotated = _cli(server, tmp_path, "apps", "rotate-secret", app.name)

    assert rotated.returncode == 0, rotated.stderr
    new = json.loads(rotated.stdout)["consumer_secret"]
    _accepted(server, app, old)
    _accepted(server, app, new)

    again = _cli(server, tmp_path, "apps", "rotate-secret", app.consumer_key)
    assert again.returncode != 0 and again.stdout == ""
    assert "revoke-old-secret" in again.stderr

    revoked = _cli(server, tmp_path, "apps", "revoke-old-secret", app.id)

    assert revoked.returncode == 0, revoked.stderr
    assert json.loads(revoked.stdout)["old_secret_active"] is False
    _refused(server, app, old)
    _accepted(server, app, new)

    nothing = _cli(server, tmp_path, "apps", "revoke-old-secret", app.id)
    assert nothing.returncode != 0 and "rotate the secret first" in nothing.stderr
