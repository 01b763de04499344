"""The refresh token flow over real HTTP, on every backend: the response, client authentication, the
per-app policies, scope narrowing, rotation with reuse detection, and every refusal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from typing import Any

import httpx

from forcegate.domain import ConnectedApp, User
from tests.support.actors import FIXTURE
from tests.support.browser import authorize
from tests.support.server import PASSWORD, Server

CALLBACK = "http://localhost:1717/OauthRedirect"
EXPIRED = ("invalid_grant", "expired access/refresh token")
HOUR = 3600


# --- helpers --------------------------------------------------------------------------------------


def _grant(server: Server, app: ConnectedApp, secret: str | None, user: User, scope: str) -> dict[str, Any]:
    """Run the Web Server flow and return its token response."""
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "scope": scope,
    }
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD)
    assert outcome.response.status_code == 302, outcome.response.text
    form = {
        "grant_type": "authorization_code",
        "code": outcome.query["code"],
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
    }
    if secret is not None:
        form["client_secret"] = secret
    with server.client() as client:
        response = client.post("/services/oauth2/token", data=form)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _setup(
    server: Server, scope: str = "api refresh_token", **app_options: object
) -> tuple[ConnectedApp, str, User, dict[str, Any]]:
    """An app, a user and the tokens the user granted it."""
    app, secret = server.create_app(**app_options)
    user = server.create_user()
    public = app_options.get("require_secret_for_web_server") is False
    return app, secret, user, _grant(server, app, None if public else secret, user, scope)


def _refresh(server: Server, **form: str) -> httpx.Response:
    with server.client() as client:
        return client.post("/services/oauth2/token", data={"grant_type": "refresh_token", **form})


def _refresh_ok(
    server: Server, app: ConnectedApp, secret: str, refresh_token: str, **form: str
) -> dict[str, Any]:
    response = _refresh(
        server, refresh_token=refresh_token, client_id=app.consumer_key, client_secret=secret, **form
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _assert_error(response: httpx.Response, error: tuple[str, str], status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"error": error[0], "error_description": error[1]}


def _userinfo_status(server: Server, access_token: str) -> int:
    with server.client() as client:
        response = client.get(
            "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"}
        )
    return response.status_code


def _signature(secret: str, body: dict[str, Any]) -> str:
    digest = hmac.new(secret.encode(), (body["id"] + body["issued_at"]).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _history(server: Server, app: ConnectedApp) -> list[dict[str, object]]:
    return server.login_history_of(app_id=app.id, flow="refresh_token")


# --- success --------------------------------------------------------------------------------------


def test_when_refreshed_then_salesforce_response_without_refresh_token(server: Server) -> None:
    app, secret, user, first = _setup(server)

    body = _refresh_ok(server, app, secret, first["refresh_token"])

    assert set(body) == {
        "access_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    }
    assert body["access_token"] != first["access_token"]
    assert body["access_token"].startswith(server.org_id[:15] + "!")
    assert body["scope"] == "api refresh_token"
    assert body["id"] == first["id"] == f"{server.url}/id/{server.org_id}/{user.id}"
    assert body["instance_url"] == server.url
    assert body["token_type"] == "Bearer"
    assert body["issued_at"].isdigit() and len(body["issued_at"]) == 13
    assert body["signature"] == _signature(secret, body)
    # The new access token works, the old one too (no rotation: nothing is retired), and the refresh
    # token can be used again.
    with server.client() as client:
        info = client.get(
            "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
    assert info.status_code == 200
    assert info.json()["user_id"] == user.id
    assert _userinfo_status(server, first["access_token"]) == 200
    assert _refresh_ok(server, app, secret, first["refresh_token"])["access_token"] != body["access_token"]


def test_when_public_app_refreshes_without_secret_then_tokens_issued(server: Server) -> None:
    app, secret, _, first = _setup(server, require_secret_for_web_server=False)

    response = _refresh(server, refresh_token=first["refresh_token"], client_id=app.consumer_key)

    assert response.status_code == 200, response.text
    assert "refresh_token" not in response.json()
    # Signed with the secret the public client does not hold, as Salesforce does.
    assert response.json()["signature"] == _signature(secret, response.json())


def test_when_client_authenticates_with_http_basic_then_tokens_issued(server: Server) -> None:
    app, secret, _, first = _setup(server)
    with server.client(auth=(app.consumer_key, secret)) as client:
        response = client.post(
            "/services/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        )
    assert response.status_code == 200, response.text
    assert _userinfo_status(server, response.json()["access_token"]) == 200


def test_when_code_verifier_and_format_sent_along_then_ignored(server: Server) -> None:
    app, secret, _, first = _setup(server)
    body = _refresh_ok(server, app, secret, first["refresh_token"], code_verifier="x" * 43, format="json")
    assert body["scope"] == "api refresh_token"


def test_when_parameters_in_query_string_then_accepted(server: Server) -> None:
    app, secret, _, first = _setup(server)
    params = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": app.consumer_key,
        "client_secret": secret,
    }
    with server.client() as client:
        response = client.post("/services/oauth2/token", params=params)
    assert response.status_code == 200, response.text


# --- client authentication ------------------------------------------------------------------------


def test_when_confidential_app_sends_no_secret_then_invalid_client(server: Server) -> None:
    app, _, _, first = _setup(server)
    _assert_error(
        _refresh(server, refresh_token=first["refresh_token"], client_id=app.consumer_key),
        ("invalid_client", "invalid client credentials"),
    )


def test_when_secret_is_wrong_then_invalid_client(server: Server) -> None:
    app, secret, _, first = _setup(server)
    wrong = secret[:-1] + ("1" if secret.endswith("0") else "0")
    _assert_error(
        _refresh(
            server, refresh_token=first["refresh_token"], client_id=app.consumer_key, client_secret=wrong
        ),
        ("invalid_client", "invalid client credentials"),
    )


def test_when_public_app_sends_a_wrong_secret_then_invalid_client(server: Server) -> None:
    app, _, _, first = _setup(server, require_secret_for_web_server=False)
    _assert_error(
        _refresh(
            server, refresh_token=first["refresh_token"], client_id=app.consumer_key, client_secret="nope"
        ),
        ("invalid_client", "invalid client credentials"),
    )


def test_when_client_id_unknown_then_invalid_client_id(server: Server) -> None:
    _, secret, _, first = _setup(server)
    _assert_error(
        _refresh(server, refresh_token=first["refresh_token"], client_id="3MVG9nope", client_secret=secret),
        ("invalid_client_id", "client identifier invalid"),
    )


def test_when_app_disabled_then_app_blocked(server: Server) -> None:
    app, secret, _, first = _setup(server)
    server.update_app(app, is_enabled=False)
    _assert_error(
        _refresh(
            server, refresh_token=first["refresh_token"], client_id=app.consumer_key, client_secret=secret
        ),
        ("app_blocked", "this app is blocked by admin"),
    )


# --- the refresh token itself ---------------------------------------------------------------------


def test_when_refresh_token_unknown_or_missing_then_invalid_grant(server: Server) -> None:
    app, secret, _, _ = _setup(server)
    _assert_error(
        _refresh(
            server, refresh_token="5Aep861nosuchtoken", client_id=app.consumer_key, client_secret=secret
        ),
        EXPIRED,
    )
    _assert_error(_refresh(server, client_id=app.consumer_key, client_secret=secret), EXPIRED)


def test_when_refresh_token_belongs_to_another_app_then_invalid_grant(server: Server) -> None:
    _, _, _, first = _setup(server)
    other, other_secret = server.create_app()
    _assert_error(
        _refresh(
            server,
            refresh_token=first["refresh_token"],
            client_id=other.consumer_key,
            client_secret=other_secret,
        ),
        EXPIRED,
    )


def test_when_family_revoked_by_code_reuse_then_invalid_grant(server: Server) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "scope": "api refresh_token",
    }
    with server.client() as browser:
        code = authorize(browser, params, user.username, PASSWORD).query["code"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app.consumer_key,
        "client_secret": secret,
        "redirect_uri": CALLBACK,
    }
    with server.client() as client:
        first = client.post("/services/oauth2/token", data=form)
        assert first.status_code == 200
        assert client.post("/services/oauth2/token", data=form).status_code == 400  # revokes the family

    _assert_error(
        _refresh(
            server,
            refresh_token=first.json()["refresh_token"],
            client_id=app.consumer_key,
            client_secret=secret,
        ),
        EXPIRED,
    )


def test_when_user_deactivated_then_refresh_token_revoked_for_good(server: Server) -> None:
    """Deactivation revokes the user's grants (docs/administering.md): reactivating them
    does not bring the refresh token back."""
    app, secret, user, first = _setup(server)
    server.update_user(user, is_active=False)
    form = {"refresh_token": first["refresh_token"], "client_id": app.consumer_key, "client_secret": secret}
    _assert_error(_refresh(server, **form), EXPIRED)
    server.update_user(user, is_active=True)
    _assert_error(_refresh(server, **form), EXPIRED)


# --- refresh token policies -----------------------------------------------------------------------


def test_when_valid_until_revoked_then_usable_years_later(server: Server) -> None:
    app, secret, _, first = _setup(server, refresh_token_policy="until_revoked")
    server.clock.advance(5 * 365 * 24 * HOUR)
    _refresh_ok(server, app, secret, first["refresh_token"])


def test_when_expire_after_lifetime_passed_then_invalid_grant_even_if_used(server: Server) -> None:
    app, secret, _, first = _setup(
        server, refresh_token_policy="expire_after", refresh_token_validity_seconds=HOUR
    )
    server.clock.advance(HOUR - 60)
    _refresh_ok(server, app, secret, first["refresh_token"])  # a use does not extend an absolute lifetime
    server.clock.advance(61)
    _assert_error(
        _refresh(
            server, refresh_token=first["refresh_token"], client_id=app.consumer_key, client_secret=secret
        ),
        EXPIRED,
    )


def test_when_expire_if_unused_then_each_use_keeps_it_alive_until_idle_too_long(server: Server) -> None:
    app, secret, _, first = _setup(
        server, refresh_token_policy="expire_if_unused", refresh_token_validity_seconds=HOUR
    )
    for _ in range(3):  # 3 hours after issue in all, never idle for an hour
        server.clock.advance(HOUR - 60)
        _refresh_ok(server, app, secret, first["refresh_token"])
    server.clock.advance(HOUR)
    _assert_error(
        _refresh(
            server, refresh_token=first["refresh_token"], client_id=app.consumer_key, client_secret=secret
        ),
        EXPIRED,
    )


def test_when_policy_changed_after_issue_then_the_current_policy_applies(server: Server) -> None:
    app, secret, _, first = _setup(server)  # valid until revoked when issued
    server.clock.advance(2 * HOUR)
    _refresh_ok(server, app, secret, first["refresh_token"])
    server.update_app(app, refresh_token_policy="expire_after", refresh_token_validity_seconds=HOUR)
    _assert_error(
        _refresh(
            server, refresh_token=first["refresh_token"], client_id=app.consumer_key, client_secret=secret
        ),
        EXPIRED,
    )


# --- scope ----------------------------------------------------------------------------------------


def test_when_scope_narrowed_then_access_token_has_the_subset(server: Server) -> None:
    app, secret, _, first = _setup(server, scope="api refresh_token id")
    body = _refresh_ok(server, app, secret, first["refresh_token"], scope="id")
    assert body["scope"] == "id"
    assert _userinfo_status(server, body["access_token"]) == 200
    # Narrowing one access token does not narrow the grant.
    assert _refresh_ok(server, app, secret, first["refresh_token"])["scope"] == "api refresh_token id"


def test_when_scope_widened_then_invalid_scope(server: Server) -> None:
    app, secret, _, first = _setup(server, scope="api refresh_token")
    response = _refresh(
        server,
        refresh_token=first["refresh_token"],
        client_id=app.consumer_key,
        client_secret=secret,
        scope="api web",  # web is one of the app's scopes, but was not granted
    )
    _assert_error(response, ("invalid_scope", "the requested scope is not allowed"))


# --- rotation -------------------------------------------------------------------------------------


def test_when_rotation_on_then_each_refresh_returns_a_new_refresh_token(server: Server) -> None:
    app, secret, _, first = _setup(server, refresh_token_rotation=True)
    second = _refresh_ok(server, app, secret, first["refresh_token"])
    third = _refresh_ok(server, app, secret, second["refresh_token"])
    tokens = {first["refresh_token"], second["refresh_token"], third["refresh_token"]}
    assert len(tokens) == 3
    assert third["scope"] == "api refresh_token"
    assert _userinfo_status(server, third["access_token"]) == 200


def test_when_rotation_on_and_scope_narrowed_then_successor_keeps_the_grant(server: Server) -> None:
    app, secret, _, first = _setup(server, refresh_token_rotation=True)
    narrowed = _refresh_ok(server, app, secret, first["refresh_token"], scope="api")
    assert narrowed["scope"] == "api"
    assert _refresh_ok(server, app, secret, narrowed["refresh_token"])["scope"] == "api refresh_token"


def test_when_rotated_refresh_token_reused_then_invalid_grant_and_family_revoked(server: Server) -> None:
    app, secret, _, first = _setup(server, refresh_token_rotation=True)
    second = _refresh_ok(server, app, secret, first["refresh_token"])
    third = _refresh_ok(server, app, secret, second["refresh_token"])

    reused = _refresh(
        server, refresh_token=first["refresh_token"], client_id=app.consumer_key, client_secret=secret
    )

    _assert_error(reused, EXPIRED)
    for body in (first, second, third):  # every access token of the family, the newest included
        assert _userinfo_status(server, body["access_token"]) == 401
    _assert_error(
        _refresh(
            server, refresh_token=third["refresh_token"], client_id=app.consumer_key, client_secret=secret
        ),
        EXPIRED,
    )


def test_when_parallel_refreshes_share_a_rotating_token_then_exactly_one_succeeds(server: Server) -> None:
    app, secret, _, first = _setup(server, refresh_token_rotation=True)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": app.consumer_key,
        "client_secret": secret,
    }
    barrier = threading.Barrier(8)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def fire() -> None:
        with server.client() as client:
            barrier.wait()
            response = client.post("/services/oauth2/token", data=form)
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=fire) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * 7, [r.text for r in responses]
    for response in responses:
        if response.status_code == 400:
            _assert_error(response, EXPIRED)
    # The losers presented a retired token: the family, the winner's tokens included, is revoked.
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert _userinfo_status(server, winner["access_token"]) == 401


# --- login history --------------------------------------------------------------------------------


def test_when_refresh_succeeds_or_fails_then_login_history_records_it(server: Server) -> None:
    app, secret, user, first = _setup(server)
    _refresh_ok(server, app, secret, first["refresh_token"])
    _refresh(server, refresh_token=first["refresh_token"], client_id=app.consumer_key, client_secret="wrong")
    _refresh(server, refresh_token="5Aep861unknown", client_id=app.consumer_key, client_secret=secret)

    rows = _history(server, app)

    statuses = sorted(str(row["status"]) for row in rows)
    assert statuses == [
        "Failed: Invalid Client Credentials",
        "Failed: expired access/refresh token",
        "Success",
    ]
    success = next(row for row in rows if row["status"] == "Success")
    assert success["user_id"] == user.id
    assert success["username"] == user.username
    assert success["login_type"] == "Remote Access 2.0"


# --- the app as it is now -------------------------------------------------------------------------


def test_when_admin_approved_access_removed_then_refresh_refused_invalid_app_access(server: Server) -> None:
    from forcegate.org.access import grant_access

    app, secret = server.create_app(permitted_users="admin_approved")
    with server.ctx.db.write() as conn:
        grant_access(server.ctx, conn, app, profile="Standard User", actor=FIXTURE)
    user = server.create_user()
    first = _grant(server, app, secret, user, "api refresh_token")
    _refresh_ok(server, app, secret, first["refresh_token"])

    with server.ctx.db.write() as conn:
        grant_access(server.ctx, conn, app, profile="Standard User", revoke=True, actor=FIXTURE)
    response = _refresh(
        server, refresh_token=first["refresh_token"], client_id=app.consumer_key, client_secret=secret
    )

    _assert_error(response, ("invalid_app_access", "user is not admin approved to access this app"))
    assert _history(server, app)[0]["status"] != "Success"


def test_when_app_scopes_narrowed_then_refresh_grants_only_the_current_ones(server: Server) -> None:
    app, secret, _user, first = _setup(server, scope="api web refresh_token")
    assert set(first["scope"].split()) == {"api", "web", "refresh_token"}

    server.update_app(app, scopes="api refresh_token openid")
    body = _refresh_ok(server, app, secret, first["refresh_token"])

    assert body["scope"] == "api refresh_token"
