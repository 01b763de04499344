"""The User-Agent flow (response_type=token): tokens in the fragment, never in a query string."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.actors import FIXTURE
from tests.support.browser import authorize
from tests.support.server import PASSWORD, Server

CALLBACK = "https://app.example.com/oauth/callback"


def _fragment(location: str) -> dict[str, str]:
    parts = urlsplit(location)
    assert parts.query == "", "nothing may travel in the query string"
    return {k: v[0] for k, v in parse_qs(parts.fragment).items()}


def _params(client_id: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": "token",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "state": "ua-1",
        **extra,
    }


def test_when_user_agent_flow_completes_then_tokens_arrive_in_the_fragment(server: Server) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    with server.client() as browser:
        outcome = authorize(browser, _params(app.consumer_key, scope="api id"), user.username, PASSWORD)
    assert outcome.response.status_code == 302
    assert outcome.location.startswith(CALLBACK + "#")
    fields = _fragment(outcome.location)
    assert set(fields) == {
        "access_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
        "state",
    }
    assert fields["scope"] == "api id" and fields["state"] == "ua-1" and fields["token_type"] == "Bearer"
    assert fields["instance_url"] == server.url
    assert fields["id"] == f"{server.url}/id/{server.org_id}/{user.id}"
    expected = hmac.new(
        secret.encode(), (fields["id"] + fields["issued_at"]).encode(), hashlib.sha256
    ).digest()
    assert fields["signature"] == base64.b64encode(expected).decode()
    with server.client() as client:
        info = client.get(
            "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {fields['access_token']}"}
        )
    assert info.status_code == 200 and info.json()["user_id"] == user.id
    flows = {(e["flow"], e["status"]) for e in server.login_history_of(user_id=user.id)}
    assert ("user_agent", "Success") in flows


@pytest.mark.parametrize(
    "callback",
    [
        pytest.param(lambda url: "com.example.app:/oauth/done", id="custom-scheme"),
        pytest.param(lambda url: url + "/services/oauth2/success", id="success-page"),
    ],
)
def test_when_scope_asks_and_callback_is_the_apps_own_then_refresh_token_in_fragment(
    server: Server, callback: Callable[[str], str]
) -> None:
    """Salesforce's rule: refresh_token asked for by name, and a custom-scheme callback or the login
    server's /services/oauth2/success page (a web page's fragment gets none: tests/attacks)."""
    redirect_uri = callback(server.url)
    app, secret = server.create_app(callback_urls=[redirect_uri, CALLBACK], scopes="api refresh_token")
    user = server.create_user()
    params = {**_params(app.consumer_key, scope="api refresh_token"), "redirect_uri": redirect_uri}
    with server.client() as browser:
        asked = _fragment(authorize(browser, params, user.username, PASSWORD).location)
        not_asked = _fragment(authorize(browser, {**params, "scope": "api"}, None, None).location)
    assert asked["scope"] == "api refresh_token"
    assert "refresh_token" not in not_asked
    if redirect_uri.startswith(server.url):
        with server.client() as client:
            page = client.get(redirect_uri)  # the success page itself (the fragment never reaches it)
        assert page.status_code == 200 and "Remote Access Application Authorization" in page.text
        assert page.headers["cache-control"] == "no-store"
    with server.client() as client:
        refreshed = client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": asked["refresh_token"],
                "client_id": app.consumer_key,
                "client_secret": secret,
            },
        )
    assert refreshed.status_code == 200, refreshed.text


def test_when_app_turns_the_flow_off_then_error_in_fragment(server: Server) -> None:
    app, _ = server.create_app(user_agent_flow_enabled=False)
    user = server.create_user()
    with server.client() as browser:
        outcome = authorize(browser, _params(app.consumer_key), user.username, PASSWORD)
    assert outcome.response.status_code == 302
    assert _fragment(outcome.location) == {
        "error": "unsupported_response_type",
        "error_description": "response type not supported",
        "state": "ua-1",
    }


def test_when_user_denies_then_access_denied_in_fragment(server: Server) -> None:
    app, _ = server.create_app()
    user = server.create_user()
    with server.client() as browser:
        outcome = authorize(browser, _params(app.consumer_key), user.username, PASSWORD, decision="deny")
    assert _fragment(outcome.location)["error"] == "access_denied"


def test_when_scope_not_allowed_then_invalid_scope_in_fragment(server: Server) -> None:
    app, _ = server.create_app(scopes="api")
    user = server.create_user()
    with server.client() as browser:
        outcome = authorize(browser, _params(app.consumer_key, scope="api full"), user.username, PASSWORD)
    assert _fragment(outcome.location)["error"] == "invalid_scope"


def test_when_app_is_admin_approved_then_only_assigned_users_get_tokens_without_consent(
    server: Server,
) -> None:
    from forcegate.org.access import grant_access

    app, _ = server.create_app(permitted_users="admin_approved")
    outsider = server.create_user()
    insider = server.create_user(profile="System Administrator")
    with server.ctx.db.write() as conn:
        grant_access(server.ctx, conn, app, profile="System Administrator", actor=FIXTURE)
    with server.client() as browser:
        refused = authorize(browser, _params(app.consumer_key), outsider.username, PASSWORD)
    assert _fragment(refused.location) == {
        "error": "OAUTH_APP_ACCESS_DENIED",
        "error_description": "user is not admin approved to access this app",
        "state": "ua-1",
    }
    with server.client() as browser:
        allowed = authorize(browser, _params(app.consumer_key), insider.username, PASSWORD)
    assert allowed.pages == ["login"]  # no consent page for pre-authorized users
    assert "access_token" in _fragment(allowed.location)
