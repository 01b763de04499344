"""The admin JSON API (/admin/api/v1) over real HTTP, with tokens from the Web Server flow, on every
backend."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from tests.support.admin_api import ADMIN, CALLBACK, Api, access_token, api_for
from tests.support.server import Server


def _error(response: httpx.Response, status: int, error_code: str) -> dict[str, Any]:
    """The one problem of a data-API error array, after checking its status and code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body, list) and len(body) == 1, body
    assert body[0]["errorCode"] == error_code
    assert isinstance(body[0]["message"], str) and body[0]["message"]
    return dict(body[0])


def _app_body(**changes: Any) -> dict[str, Any]:
    return {
        "name": f"admin-app-{secrets.token_hex(4)}",
        "callback_urls": ["https://acme.example.com/cb", CALLBACK],
        "scopes": "api refresh_token",
        **changes,
    }


@pytest.fixture
def admin(server: Server) -> Api:
    return api_for(server)


# --- the API description --------------------------------------------------------------------


def test_when_openapi_requested_without_token_then_public_json(server: Server) -> None:
    response = Api(server, None).call("GET", "/openapi.json")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "openapi" in response.json()


# --- connected apps -------------------------------------------------------------------------


def test_when_app_created_then_201_with_secret_once(admin: Api) -> None:
    body = _app_body()

    created = admin.ok("POST", "/connected-apps", 201, json=body)

    assert created["name"] == body["name"]
    assert created["consumer_key"].startswith("3MVG9")
    assert len(created["consumer_secret"]) == 64
    assert created["callback_urls"] == body["callback_urls"]
    shown = admin.ok("GET", f"/connected-apps/{created['id']}")
    assert "consumer_secret" not in shown
    assert shown == {k: v for k, v in created.items() if k != "consumer_secret"}


def test_when_apps_listed_then_each_app_without_secret(admin: Api) -> None:
    created = admin.ok("POST", "/connected-apps", 201, json=_app_body())

    listed = admin.ok("GET", "/connected-apps")

    assert created["id"] in {a["id"] for a in listed}
    assert "PlatformCLI" in {a["name"] for a in listed}
    assert all("consumer_secret" not in a for a in listed)


def test_when_app_patched_then_show_reflects_the_changes(admin: Api) -> None:
    created = admin.ok("POST", "/connected-apps", 201, json=_app_body())
    changes = {"is_enabled": False, "require_pkce": True, "scopes": "api web", "callback_urls": [CALLBACK]}

    patched = admin.ok("PATCH", f"/connected-apps/{created['consumer_key']}", json=changes)

    assert {k: patched[k] for k in changes} == changes
    assert admin.ok("GET", f"/connected-apps/{created['id'][:15]}") == patched


def test_when_app_deleted_then_204_and_then_not_found(admin: Api) -> None:
    created = admin.ok("POST", "/connected-apps", 201, json=_app_body())

    deleted = admin.call("DELETE", f"/connected-apps/{created['id']}")

    assert deleted.status_code == 204
    assert deleted.content == b""
    _error(admin.call("GET", f"/connected-apps/{created['id']}"), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"callback_urls": ["http://example.com/cb"]}, "callback_urls"),
        ({"scopes": "api bogus"}, "scopes"),
    ],
    ids=["non-loopback-http-callback", "unknown-scope"],
)
def test_when_app_settings_invalid_then_400_naming_the_field(
    admin: Api, changes: dict[str, Any], field: str
) -> None:
    problem = _error(
        admin.call("POST", "/connected-apps", json=_app_body(**changes)), 400, "FIELD_INTEGRITY_EXCEPTION"
    )

    assert problem["fields"] == [field]


def test_when_app_name_taken_then_409_duplicate_value(admin: Api) -> None:
    body = _app_body()
    admin.ok("POST", "/connected-apps", 201, json=body)
    response = admin.call("POST", "/connected-apps", json=_app_body(name=body["name"]))

    problem = _error(response, 409, "DUPLICATE_VALUE")

    assert problem["fields"] == ["name"]


def test_when_body_not_json_then_400_json_parser_error(admin: Api) -> None:
    response = admin.call(
        "POST", "/connected-apps", content=b"{not json", headers={"Content-Type": "application/json"}
    )

    _error(response, 400, "JSON_PARSER_ERROR")


# --- users and login history ----------------------------------------------------------------


def test_when_user_created_listed_shown_and_patched_then_each_answers(admin: Api) -> None:
    username = f"api-user-{secrets.token_hex(4)}@example.com"

    created = admin.ok("POST", "/users", 201, json={"username": username, "password": "Passw0rd1"})
    assert created["profile"] == "Standard User"
    assert len(created["security_token"]) == 25
    assert created["id"] in {u["id"] for u in admin.ok("GET", "/users")}
    shown = admin.ok("GET", f"/users/{username}")
    assert "security_token" not in shown
    assert shown["id"] == created["id"]

    patched = admin.ok("PATCH", f"/users/{created['id']}", json={"first_name": "Grace", "profile": ADMIN})

    assert patched["first_name"] == "Grace"
    assert patched["profile"] == ADMIN
    assert admin.ok("GET", f"/users/{created['id'].upper()}") == patched


def test_when_username_taken_then_409_duplicate_value(admin: Api) -> None:
    username = f"api-user-{secrets.token_hex(4)}@example.com"
    admin.ok("POST", "/users", 201, json={"username": username, "password": "Passw0rd1"})

    response = admin.call("POST", "/users", json={"username": username, "password": "Passw0rd1"})

    _error(response, 409, "DUPLICATE_VALUE")


def test_when_login_history_read_then_it_has_the_admins_successful_login(server: Server) -> None:
    user = server.create_user(profile=ADMIN)
    api = Api(server, access_token(server, user.username))

    history = api.ok("GET", "/login-history")

    assert any(e["user_id"] == user.id and e["status"] == "Success" for e in history), history


# --- who may call ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/connected-apps", "/users", "/login-history"])
def test_when_standard_user_calls_then_403_insufficient_access(server: Server, path: str) -> None:
    api = api_for(server, profile=None)

    _error(api.call("GET", path), 403, "INSUFFICIENT_ACCESS")


@pytest.mark.parametrize("token", [None, "garbage", "00D000000000000!AQ.notatoken"])
def test_when_token_missing_or_unknown_then_401_invalid_session(server: Server, token: str | None) -> None:
    response = Api(server, token).call("GET", "/connected-apps")

    assert _error(response, 401, "INVALID_SESSION_ID")["message"] == "Session expired or invalid"


def test_when_token_lacks_api_scope_then_401_not_valid_for_rest_api(server: Server) -> None:
    user = server.create_user(profile=ADMIN)
    api = Api(server, access_token(server, user.username, app_scopes="refresh_token web", scope="web"))

    problem = _error(api.call("GET", "/connected-apps"), 401, "INVALID_SESSION_ID")

    assert problem["message"] == "This session is not valid for use with the REST API"


def test_when_user_made_inactive_then_their_tokens_get_401(server: Server) -> None:
    user = server.create_user(profile=ADMIN)
    api = Api(server, access_token(server, user.username))
    api.ok("GET", "/connected-apps")

    server.update_user(user, is_active=False)

    _error(api.call("GET", "/connected-apps"), 401, "INVALID_SESSION_ID")
