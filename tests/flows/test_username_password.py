"""The OAuth Username-Password flow over real HTTP, and the login lockout every password path shares.

salesforce-wire.md §8.1 (the grant), §12.3 (trusted IP ranges, security token, lockout).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import httpx

from forcegate.domain import PERMITTED_ADMIN_APPROVED, User
from forcegate.flows.username_password import LOGIN_TYPE
from forcegate.org import users
from forcegate.org.access import grant_access
from forcegate.storage import repositories as repo
from tests.support.actors import FIXTURE
from tests.support.browser import authorize
from tests.support.org_settings import LOOPBACK, OrgSettings
from tests.support.server import PASSWORD, Server

AUTH_FAILURE = {"error": "invalid_grant", "error_description": "authentication failure"}


def _user(server: Server) -> tuple[User, str]:
    """A new user and their security token."""
    with server.ctx.db.write() as conn:
        return users.create_user(
            server.ctx,
            conn,
            server.org_id,
            username=f"pw-{secrets.token_hex(4)}@example.com",
            password=PASSWORD,
            first_name="Pat",
            last_name="Word",
            actor=FIXTURE,
        )


def _grant(server: Server, key: str, secret: str | None, username: str, password: str) -> httpx.Response:
    form = {"grant_type": "password", "client_id": key, "username": username, "password": password}
    if secret is not None:
        form["client_secret"] = secret
    with server.client() as client:
        return client.post("/services/oauth2/token", data=form)


def _refused(response: httpx.Response, body: dict[str, str] = AUTH_FAILURE) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == body


def _history(server: Server, user: User) -> list[tuple[str, str]]:
    """(flow, status) of the user's login history, oldest first."""
    rows = server.login_history_of(user_id=user.id)
    return [(str(r["flow"]), str(r["status"])) for r in reversed(rows)]


def test_when_ip_trusted_then_password_alone_gets_a_token_without_refresh(
    server: Server, org_settings: OrgSettings
) -> None:
    org_settings(allow_username_password_flows=True, trusted_ip_ranges=LOOPBACK)
    user, _ = _user(server)
    app, secret = server.create_app(scopes="api refresh_token openid web")
    response = _grant(server, app.consumer_key, secret, user.username, PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "access_token",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
        "signature",
        "scope",
    }
    assert body["scope"] == "api openid web"  # the app's scopes, never a refresh token
    assert body["access_token"].startswith(server.org_id[:15] + "!")
    assert body["id"] == f"{server.url}/id/{server.org_id}/{user.id}" and body["token_type"] == "Bearer"
    expected = hmac.new(secret.encode(), (body["id"] + body["issued_at"]).encode(), hashlib.sha256).digest()
    assert body["signature"] == base64.b64encode(expected).decode()
    with server.client() as client:
        info = client.get(
            "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
    assert info.status_code == 200 and info.json()["user_id"] == user.id
    row = server.login_history_of(user_id=user.id)[0]
    assert (row["flow"], row["status"], row["login_type"], row["app_id"]) == (
        "username_password",
        "Success",
        LOGIN_TYPE,
        app.id,
    )


def test_when_ip_untrusted_then_the_security_token_must_follow_the_password(
    server: Server, org_settings: OrgSettings
) -> None:
    org_settings(allow_username_password_flows=True, trusted_ip_ranges=[])
    user, token = _user(server)
    app, secret = server.create_app()
    _refused(_grant(server, app.consumer_key, secret, user.username, PASSWORD))
    _refused(_grant(server, app.consumer_key, secret, user.username, PASSWORD + token[::-1]))
    _refused(_grant(server, app.consumer_key, secret, user.username, "Wrong-pass1" + token))
    assert _grant(server, app.consumer_key, secret, user.username, PASSWORD + token).status_code == 200
    assert _history(server, user) == [
        ("username_password", "Failed: API security token required"),
        ("username_password", "Invalid Password"),
        ("username_password", "Invalid Password"),
        ("username_password", "Success"),
    ]


def test_when_ip_trusted_then_password_plus_token_works_too(
    server: Server, org_settings: OrgSettings
) -> None:
    org_settings(allow_username_password_flows=True, trusted_ip_ranges=LOOPBACK)
    user, token = _user(server)
    app, secret = server.create_app()
    assert _grant(server, app.consumer_key, secret, user.username, PASSWORD + token).status_code == 200


def test_when_org_blocks_the_flow_then_authentication_failure(
    server: Server, org_settings: OrgSettings
) -> None:
    org_settings(allow_username_password_flows=False, trusted_ip_ranges=LOOPBACK)
    user, _ = _user(server)
    app, secret = server.create_app()
    blocked = _grant(server, app.consumer_key, secret, user.username, PASSWORD)
    _refused(blocked)
    rows = server.login_history_of(app_id=app.id)
    assert [(r["flow"], r["status"]) for r in rows] == [
        ("username_password", "Failed: Username-Password Flow Disabled")
    ]
    # Salesforce's body, and beside it the cause for the app's holder (its secret was checked first).
    assert blocked.headers["forcegate-hint"] == "username_password_flow_disabled"
    wrong_secret = _grant(server, app.consumer_key, "0" * len(secret), user.username, PASSWORD)
    assert wrong_secret.status_code == 400 and "forcegate-hint" not in wrong_secret.headers


def test_when_password_wrong_then_no_hint_beside_the_refusal(
    server: Server, org_settings: OrgSettings
) -> None:
    org_settings(allow_username_password_flows=True, trusted_ip_ranges=LOOPBACK)
    user, _ = _user(server)
    app, secret = server.create_app()
    wrong = _grant(server, app.consumer_key, secret, user.username, "Not-the-password1")
    _refused(wrong)
    assert "forcegate-hint" not in wrong.headers


def test_when_password_wrong_or_user_unknown_then_the_same_answer(
    server: Server, org_settings: OrgSettings
) -> None:
    org_settings(allow_username_password_flows=True, trusted_ip_ranges=LOOPBACK)
    user, _ = _user(server)
    app, secret = server.create_app()
    wrong = _grant(server, app.consumer_key, secret, user.username, "Not-the-password1")
    unknown = _grant(server, app.consumer_key, secret, "nobody-" + user.username, PASSWORD)
    missing = _grant(server, app.consumer_key, secret, "", "")
    for response in (wrong, unknown, missing):
        _refused(response)
    assert wrong.content == unknown.content == missing.content
    assert wrong.headers["content-type"] == unknown.headers["content-type"]
    statuses = {
        (r["username"], r["status"])
        for name in (user.username, "nobody-" + user.username)
        for r in server.login_history_of(username=name, flow="username_password")
    }
    assert {(user.username, "Invalid Password"), ("nobody-" + user.username, "Invalid Password")} <= statuses


def test_when_client_unknown_blocked_or_secret_wrong_or_missing_then_refused(
    server: Server, org_settings: OrgSettings
) -> None:
    org_settings(allow_username_password_flows=True, trusted_ip_ranges=LOOPBACK)
    user, _ = _user(server)
    app, secret = server.create_app()
    invalid_client = {"error": "invalid_client", "error_description": "invalid client credentials"}
    _refused(_grant(server, app.consumer_key, "0" * len(secret), user.username, PASSWORD), invalid_client)
    _refused(_grant(server, app.consumer_key, None, user.username, PASSWORD), invalid_client)
    _refused(
        _grant(server, "3MVG9unknown", secret, user.username, PASSWORD),
        {"error": "invalid_client_id", "error_description": "client identifier invalid"},
    )
    server.update_app(app, is_enabled=False)
    _refused(
        _grant(server, app.consumer_key, secret, user.username, PASSWORD),
        {"error": "app_blocked", "error_description": "this app is blocked by admin"},
    )
    # A client error never reaches the password check: no failed attempt counted against the user.
    with server.ctx.db.read() as conn:
        assert repo.user_by_id(conn, user.id).failed_login_attempts == 0  # type: ignore[union-attr]


def test_when_user_inactive_then_authentication_failure(server: Server, org_settings: OrgSettings) -> None:
    org_settings(allow_username_password_flows=True, trusted_ip_ranges=LOOPBACK)
    user, _ = _user(server)
    app, secret = server.create_app()
    server.update_user(user, is_active=False)
    _refused(_grant(server, app.consumer_key, secret, user.username, PASSWORD))
    assert _history(server, user) == [("username_password", "User is Inactive")]


def test_when_too_many_failures_then_locked_out_until_the_interval_ends(
    server: Server, org_settings: OrgSettings
) -> None:
    org_settings(
        allow_username_password_flows=True,
        trusted_ip_ranges=LOOPBACK,
        max_login_attempts=3,
        lockout_minutes=15,
    )
    user, _ = _user(server)
    app, secret = server.create_app()
    for _ in range(3):
        _refused(_grant(server, app.consumer_key, secret, user.username, "Wrong-pass1"))
    locked = _grant(server, app.consumer_key, secret, user.username, PASSWORD)
    _refused(locked)  # the right password, the same answer as a wrong one
    assert _history(server, user)[-1] == ("username_password", "Password Lockout")
    server.clock.advance(14 * 60)
    _refused(_grant(server, app.consumer_key, secret, user.username, PASSWORD))
    server.clock.advance(60 + 1)
    assert _grant(server, app.consumer_key, secret, user.username, PASSWORD).status_code == 200


def test_when_a_login_succeeds_then_the_failure_count_restarts(
    server: Server, org_settings: OrgSettings
) -> None:
    org_settings(allow_username_password_flows=True, trusted_ip_ranges=LOOPBACK, max_login_attempts=3)
    user, _ = _user(server)
    app, secret = server.create_app()
    for _ in range(2):
        _refused(_grant(server, app.consumer_key, secret, user.username, "Wrong-pass1"))
    assert _grant(server, app.consumer_key, secret, user.username, PASSWORD).status_code == 200
    for _ in range(2):
        _refused(_grant(server, app.consumer_key, secret, user.username, "Wrong-pass1"))
    assert _grant(server, app.consumer_key, secret, user.username, PASSWORD).status_code == 200


def test_when_lockout_is_forever_then_only_an_admin_unlock_ends_it(
    server: Server, org_settings: OrgSettings
) -> None:
    org_settings(
        allow_username_password_flows=True,
        trusted_ip_ranges=LOOPBACK,
        max_login_attempts=1,
        lockout_minutes=0,
    )
    user, _ = _user(server)
    app, secret = server.create_app()
    _refused(_grant(server, app.consumer_key, secret, user.username, "Wrong-pass1"))
    server.clock.advance(365 * 24 * 3600)
    _refused(_grant(server, app.consumer_key, secret, user.username, PASSWORD))
    server.update_user(user, unlock=True)  # what `forcegate users update --unlock` and the admin API do
    assert _grant(server, app.consumer_key, secret, user.username, PASSWORD).status_code == 200


def test_when_locked_out_then_the_login_page_refuses_too(server: Server, org_settings: OrgSettings) -> None:
    org_settings(max_login_attempts=2, lockout_minutes=15)
    user, _ = _user(server)
    app, _ = server.create_app()
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": "http://localhost:1717/OauthRedirect",
    }
    for _ in range(2):
        with server.client() as browser:
            assert authorize(browser, params, user.username, "Wrong-pass1").response.status_code == 401
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD)
    # The login page again, with the answer a wrong password gets.
    assert outcome.response.status_code == 401 and outcome.pages == ["login"]
    assert _history(server, user)[-1] == ("web_server", "Password Lockout")
    server.clock.advance(15 * 60 + 1)
    with server.client() as browser:
        assert authorize(browser, params, user.username, PASSWORD).response.status_code == 302


def test_when_app_is_admin_approved_and_user_not_assigned_then_invalid_app_access(
    server: Server, org_settings: OrgSettings
) -> None:
    org_settings(allow_username_password_flows=True, trusted_ip_ranges=LOOPBACK)
    user, _ = _user(server)
    app, secret = server.create_app(permitted_users=PERMITTED_ADMIN_APPROVED)
    _refused(
        _grant(server, app.consumer_key, secret, user.username, PASSWORD),
        {"error": "invalid_app_access", "error_description": "user is not admin approved to access this app"},
    )
    assert _history(server, user)[-1] == ("username_password", "Failed: Not approved for access")
    with server.ctx.db.write() as conn:
        grant_access(server.ctx, conn, app, profile="Standard User", actor=FIXTURE)
    assert _grant(server, app.consumer_key, secret, user.username, PASSWORD).status_code == 200
