"""Token introspection (RFC 7662, POST /services/oauth2/introspect) over real HTTP, on every backend:
Salesforce's fields for a live token of the calling app, exactly {"active": false} for anything
else (another app's token included), and client authentication first."""

from __future__ import annotations

import base64
import secrets

from forcegate.domain import ConnectedApp, User
from forcegate.org.access import org_view, update_org
from forcegate.storage import repositories as repo
from tests.support.actors import FIXTURE
from tests.support.introspection import INACTIVE, INTROSPECT, introspect, introspection_answer
from tests.support.server import PASSWORD, Server
from tests.support.tokens import client_credentials_app, client_credentials_token, refresh, web_server_tokens


def _family(server: Server, **app_options: object) -> tuple[ConnectedApp, str, User, dict[str, str]]:
    app, secret = server.create_app(**app_options)
    user = server.create_user()
    return app, secret, user, web_server_tokens(server, app, secret, user)


def test_when_access_token_active_then_salesforce_fields(server: Server) -> None:
    app, secret, user, tokens = _family(server)

    body = introspection_answer(server, app, secret, tokens["access_token"])

    issued = int(tokens["issued_at"]) // 1000
    assert body == {
        "active": True,
        "scope": "api refresh_token",
        "client_id": app.consumer_key,
        "username": user.username,
        "sub": tokens["id"],
        "token_type": "access_token",
        "exp": issued + app.access_token_lifetime_seconds,
        "iat": issued,
        "nbf": issued,
    }
    with server.client() as client:
        info = client.get(
            "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
    assert body["sub"] == info.json()["sub"]


def test_when_refresh_token_active_then_token_type_refresh_token_and_exp_from_policy(server: Server) -> None:
    app, secret, user, tokens = _family(server)
    forever = introspection_answer(
        server, app, secret, tokens["refresh_token"], token_type_hint="refresh_token"
    )
    assert forever["active"] is True and forever["token_type"] == "refresh_token"
    assert forever["username"] == user.username and "exp" not in forever  # valid until revoked

    limited, limited_secret, _user, limited_tokens = _family(
        server, refresh_token_policy="expire_after", refresh_token_validity_seconds=3600
    )
    body = introspection_answer(server, limited, limited_secret, limited_tokens["refresh_token"])
    assert body["exp"] == body["iat"] + 3600


def test_when_basic_auth_then_accepted(server: Server) -> None:
    app, secret, _user, tokens = _family(server)
    basic = base64.b64encode(f"{app.consumer_key}:{secret}".encode()).decode()

    with server.client() as client:
        response = client.post(
            INTROSPECT, data={"token": tokens["access_token"]}, headers={"Authorization": f"Basic {basic}"}
        )

    assert response.status_code == 200 and response.json()["active"] is True


def test_when_another_apps_token_then_exactly_inactive(server: Server) -> None:
    _app, _secret, _user, tokens = _family(server)
    other, other_secret = server.create_app()

    assert introspection_answer(server, other, other_secret, tokens["access_token"]) == INACTIVE
    assert introspection_answer(server, other, other_secret, tokens["refresh_token"]) == INACTIVE


def test_when_token_not_live_then_exactly_inactive_whatever_the_reason(server: Server) -> None:
    app, secret, user, tokens = _family(server, access_token_lifetime_seconds=60, refresh_token_rotation=True)
    rotated = tokens["refresh_token"]
    response = refresh(server, app, secret, rotated)
    assert response.status_code == 200, response.text
    successor = response.json()
    revoked = successor["access_token"]
    with server.client() as client:
        assert client.post("/services/oauth2/revoke", data={"token": revoked}).status_code == 200
    unknown = f"{server.org_id[:15]}!{secrets.token_urlsafe(32)}"

    answers = [
        introspection_answer(server, app, secret, unknown),
        introspection_answer(server, app, secret, revoked),
        introspection_answer(server, app, secret, rotated),  # retired by rotation
        introspection_answer(server, app, secret, "x" * 5000),
        introspection_answer(server, app, secret, ""),
    ]
    server.clock.advance(61)
    answers.append(introspection_answer(server, app, secret, tokens["access_token"]))  # expired
    server.update_user(user, is_active=False)
    answers.append(introspection_answer(server, app, secret, successor["refresh_token"]))  # user deactivated

    assert answers == [INACTIVE] * len(answers)


def test_when_refresh_token_expired_by_policy_then_inactive(server: Server) -> None:
    app, secret, _user, tokens = _family(
        server, refresh_token_policy="expire_if_unused", refresh_token_validity_seconds=600
    )
    assert introspection_answer(server, app, secret, tokens["refresh_token"])["active"] is True

    server.clock.advance(601)

    assert introspection_answer(server, app, secret, tokens["refresh_token"]) == INACTIVE


def test_when_client_secret_wrong_or_missing_then_refused_before_the_token_is_looked_at(
    server: Server,
) -> None:
    app, _secret, _user, tokens = _family(server)

    wrong = introspect(server, app, "wrong", tokens["access_token"])
    with server.client() as client:
        missing = client.post(
            INTROSPECT, data={"token": tokens["access_token"], "client_id": app.consumer_key}
        )
        anonymous = client.post(INTROSPECT, data={"token": tokens["access_token"]})

    for response in (wrong, missing):
        assert response.status_code == 400, response.text
        assert response.json() == {
            "error": "invalid_client",
            "error_description": "invalid client credentials",
        }
    assert anonymous.status_code == 400
    assert anonymous.json() == {
        "error": "invalid_client_id",
        "error_description": "client identifier invalid",
    }
    statuses = {(r["flow"], r["status"]) for r in server.login_history_of(app_id=app.id)}
    assert ("introspection", "Failed: Invalid Client Credentials") in statuses


def test_when_app_disabled_then_app_blocked(server: Server) -> None:
    app, secret, _user, tokens = _family(server)
    server.update_app(app, is_enabled=False)

    response = introspect(server, app, secret, tokens["access_token"])

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "app_blocked"


def test_when_get_then_405(server: Server) -> None:
    with server.client() as client:
        response = client.get(INTROSPECT, params={"token": "x"})
    assert response.status_code == 405


def test_when_client_credentials_token_then_active_for_its_app(server: Server) -> None:
    app, secret, user = client_credentials_app(server)
    token = client_credentials_token(server, app, secret)

    body = introspection_answer(server, app, secret, token)

    assert body["active"] is True and body["username"] == user.username and body["scope"] == "api"


def test_when_username_password_flow_token_then_inactive_as_salesforce_says(server: Server) -> None:
    """Salesforce: tokens of the username-password flow are not introspectable (salesforce-wire.md §8.1)."""
    with server.ctx.db.read() as conn:
        org = repo.org_by_id(conn, server.org_id)
    assert org is not None
    saved = org_view(org)
    app, secret = server.create_app(scopes="api")
    user = server.create_user()
    try:
        with server.ctx.db.write() as conn:
            update_org(
                server.ctx,
                conn,
                org,
                {"allow_username_password_flows": True, "trusted_ip_ranges": ["127.0.0.1/32"]},
                actor=FIXTURE,
            )
        with server.client() as client:
            response = client.post(
                "/services/oauth2/token",
                data={
                    "grant_type": "password",
                    "client_id": app.consumer_key,
                    "client_secret": secret,
                    "username": user.username,
                    "password": PASSWORD,
                },
            )
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]

        assert introspection_answer(server, app, secret, token) == INACTIVE
        with server.client() as client:
            assert (
                client.get(
                    "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"}
                ).status_code
                == 200
            )
    finally:
        with server.ctx.db.write() as conn:
            current = repo.org_by_id(conn, server.org_id)
            assert current is not None
            update_org(
                server.ctx,
                conn,
                current,
                {k: saved[k] for k in ("allow_username_password_flows", "trusted_ip_ranges")},
                actor=FIXTURE,
            )


def test_when_jwt_access_token_then_introspected_like_an_opaque_one(server: Server) -> None:
    app, secret, user, tokens = _family(server, jwt_access_tokens=True)

    body = introspection_answer(server, app, secret, tokens["access_token"])

    assert (
        body["active"] is True and body["token_type"] == "access_token" and body["username"] == user.username
    )
    with server.client() as client:
        assert (
            client.post("/services/oauth2/revoke", data={"token": tokens["access_token"]}).status_code == 200
        )
    assert introspection_answer(server, app, secret, tokens["access_token"]) == INACTIVE
