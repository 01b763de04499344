"""Revocation by scope of damage (incident response): every token of a user, of an app, or of a user
for one app, through the admin API and the CLI, on every backend. Tokens outside the scope keep
working; codes issued before the revocation can no longer be exchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from forcegate.domain import ConnectedApp, User
from forcegate.storage import token_lifecycle
from forcegate.storage.schema import authorizations
from tests.support.browser import authorize
from tests.support.server import PASSWORD, Server
from tests.support.tokens import (
    CALLBACK,
    assert_invalid_session,
    assert_refresh_refused,
    assert_works,
    refreshed_access_token,
    web_server_tokens,
)

PREFIX = "/admin/api/v1"
FORCEGATE = Path(sys.executable).parent / "forcegate"


@dataclass
class Grid:
    """Two users, two apps, and the tokens each user granted each app."""

    server: Server
    users: list[User]
    apps: list[tuple[ConnectedApp, str]]
    tokens: dict[tuple[int, int], dict[str, str]]

    def assert_alive(self, *cells: tuple[int, int]) -> None:
        for cell in cells:
            assert_works(self.server, self.tokens[cell]["access_token"])
            app, secret = self.apps[cell[1]]
            assert_works(
                self.server,
                refreshed_access_token(self.server, app, secret, self.tokens[cell]["refresh_token"]),
            )

    def assert_dead(self, *cells: tuple[int, int]) -> None:
        for cell in cells:
            assert_invalid_session(self.server, self.tokens[cell]["access_token"])
            app, secret = self.apps[cell[1]]
            assert_refresh_refused(self.server, app, secret, self.tokens[cell]["refresh_token"])


def _grid(server: Server) -> Grid:
    users = [server.create_user(), server.create_user()]
    apps = [server.create_app(), server.create_app()]
    tokens = {
        (u, a): web_server_tokens(server, apps[a][0], apps[a][1], users[u])
        for u in range(2)
        for a in range(2)
    }
    return Grid(server, users, apps, tokens)


def _admin_token(server: Server, profile: str = "System Administrator") -> str:
    app, secret = server.create_app(scopes="api")
    return web_server_tokens(server, app, secret, server.create_user(profile=profile), scope="api")[
        "access_token"
    ]


def _post(server: Server, token: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    with server.client() as client:
        return client.post(PREFIX + path, headers={"Authorization": f"Bearer {token}"}, json=body)


def _ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- admin API -----------------------------------------------------------------------------------------


def test_when_user_revoked_for_one_app_then_only_that_pair_fails(server: Server) -> None:
    grid = _grid(server)
    user, (app, _secret) = grid.users[0], grid.apps[0]

    result = _ok(
        _post(server, _admin_token(server), f"/users/{user.username}/revoke-tokens", {"app": app.name})
    )

    assert result["user_id"] == user.id and result["app_id"] == app.id
    assert result["revoked"]["authorizations"] == 1 and result["revoked"]["access_tokens"] == 1
    assert result["revoked"]["refresh_tokens"] == 1
    grid.assert_dead((0, 0))
    grid.assert_alive((0, 1), (1, 0), (1, 1))


def test_when_user_revoked_then_all_their_tokens_fail_with_every_app(server: Server) -> None:
    grid = _grid(server)

    result = _ok(_post(server, _admin_token(server), f"/users/{grid.users[1].id}/revoke-tokens"))

    assert result["app_id"] is None and result["revoked"]["authorizations"] == 2
    grid.assert_dead((1, 0), (1, 1))
    grid.assert_alive((0, 0), (0, 1))


def test_when_app_revoked_then_all_its_tokens_fail_for_every_user(server: Server) -> None:
    grid = _grid(server)
    app = grid.apps[1][0]

    result = _ok(_post(server, _admin_token(server), f"/connected-apps/{app.consumer_key}/revoke-tokens"))

    assert result["user_id"] is None and result["revoked"]["authorizations"] == 2
    grid.assert_dead((0, 1), (1, 1))
    grid.assert_alive((0, 0), (1, 0))


def test_when_app_revoked_for_one_user_then_only_that_pair_fails(server: Server) -> None:
    grid = _grid(server)

    _ok(
        _post(
            server,
            _admin_token(server),
            f"/connected-apps/{grid.apps[0][0].id}/revoke-tokens",
            {"user": grid.users[1].username},
        )
    )

    grid.assert_dead((1, 0))
    grid.assert_alive((0, 0), (0, 1), (1, 1))


def test_when_user_revoked_then_earlier_codes_and_login_sessions_are_dead(server: Server) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "scope": "api",
    }
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD)
        assert outcome.response.status_code == 302
        assert authorize(browser, params, None, None).response.status_code == 302  # logged in, consented

        result = _ok(_post(server, _admin_token(server), f"/users/{user.id}/revoke-tokens"))

        again = authorize(browser, params, None, None).response
    assert again.status_code == 200 and 'name="password"' in again.text  # must log in again
    assert result["revoked"]["authorization_codes"] == 2 and result["revoked"]["browser_sessions"] == 1
    with server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": outcome.query["code"],
                "client_id": app.consumer_key,
                "client_secret": secret,
                "redirect_uri": CALLBACK,
            },
        )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_when_refused_then_nothing_is_revoked(server: Server) -> None:
    grid = _grid(server)
    user, app = grid.users[0], grid.apps[0][0]
    admin = _admin_token(server)
    standard = _admin_token(server, profile="Standard User")

    refusals = [
        (_post(server, standard, f"/users/{user.id}/revoke-tokens"), 403, "INSUFFICIENT_ACCESS"),
        (_post(server, standard, f"/connected-apps/{app.id}/revoke-tokens"), 403, "INSUFFICIENT_ACCESS"),
        (_post(server, "not-a-token", f"/users/{user.id}/revoke-tokens"), 401, "INVALID_SESSION_ID"),
        (_post(server, admin, "/users/nobody@example.com/revoke-tokens"), 404, "NOT_FOUND"),
        (_post(server, admin, "/connected-apps/no-such-app/revoke-tokens"), 404, "NOT_FOUND"),
        (_post(server, admin, f"/users/{user.id}/revoke-tokens", {"app": "no-such-app"}), 404, "NOT_FOUND"),
        (
            _post(server, admin, f"/users/{user.id}/revoke-tokens", {"scope": "all"}),
            400,
            "FIELD_INTEGRITY_EXCEPTION",
        ),
        (
            _post(server, admin, f"/connected-apps/{app.id}/revoke-tokens", {"user": 5}),
            400,
            "FIELD_INTEGRITY_EXCEPTION",
        ),
    ]

    for response, status, code in refusals:
        assert response.status_code == status, response.text
        assert response.json()[0]["errorCode"] == code
    grid.assert_alive((0, 0), (0, 1), (1, 0), (1, 1))


def test_when_revoked_twice_then_the_second_time_counts_nothing_and_keeps_the_first_instant(
    server: Server,
) -> None:
    """Counts are of what was live: an already revoked grant is neither counted nor re-stamped."""
    grid = _grid(server)
    user = grid.users[0]
    admin = _admin_token(server)

    first = _ok(_post(server, admin, f"/users/{user.id}/revoke-tokens"))
    with server.ctx.db.read() as conn:
        stamped = (
            conn.execute(select(authorizations.c.revoked_ms).where(authorizations.c.user_id == user.id))
            .scalars()
            .all()
        )
    server.clock.advance(60)
    second = _ok(_post(server, admin, f"/users/{user.id}/revoke-tokens"))

    assert first["revoked"]["authorizations"] == 2 and first["revoked"]["refresh_tokens"] == 2
    assert second["revoked"] == dict.fromkeys(first["revoked"], 0)
    with server.ctx.db.read() as conn:
        again = (
            conn.execute(select(authorizations.c.revoked_ms).where(authorizations.c.user_id == user.id))
            .scalars()
            .all()
        )
    assert sorted(again) == sorted(stamped) and None not in again


def test_when_neither_user_nor_app_named_then_revoke_matching_refuses_to_revoke_the_org() -> None:
    with pytest.raises(ValueError, match=r"^revoke_matching needs a user, an app or both$"):
        token_lifecycle.revoke_matching(None, "org", 0)  # type: ignore[arg-type]


# --- CLI -------------------------------------------------------------------------------------------------


def _cli(server: Server, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEGATE_")}
    env.update(FORCEGATE_HOME=str(tmp_path), FORCEGATE_SERVER_KEYS=server.ctx.settings.server_keys or "")
    return subprocess.run(
        [str(FORCEGATE), *args, "--database", server.ctx.settings.database_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_when_revoked_with_the_cli_then_each_scope_fails_and_the_rest_works(
    server: Server, tmp_path: Path
) -> None:
    grid = _grid(server)
    (u0, u1), (a0, a1) = grid.users, [a for a, _ in grid.apps]

    pair = _cli(server, tmp_path, "apps", "revoke-tokens", a0.name, "--user", u0.username)
    assert pair.returncode == 0, pair.stderr
    assert json.loads(pair.stdout)["revoked"]["authorizations"] == 1
    grid.assert_dead((0, 0))
    grid.assert_alive((0, 1), (1, 0), (1, 1))

    user = _cli(server, tmp_path, "users", "revoke-tokens", u1.username)
    assert user.returncode == 0, user.stderr
    grid.assert_dead((1, 0), (1, 1))
    grid.assert_alive((0, 1))

    app = _cli(server, tmp_path, "apps", "revoke-tokens", a1.consumer_key)
    assert app.returncode == 0, app.stderr
    grid.assert_dead((0, 1))

    unknown = _cli(server, tmp_path, "users", "revoke-tokens", u0.username, "--app", "no-such-app")
    assert unknown.returncode != 0 and unknown.stdout == "" and "no-such-app" in unknown.stderr
