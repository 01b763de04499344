"""The checks every data-API call passes (web/data.py): token, scope, version, "API Enabled", the
request allowance, and the error shapes of bad requests. Over real HTTP, on every backend."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.support.data_api import (
    DATA,
    VERSION,
    admin_client,
    assign,
    bearer,
    error_of,
    permission_set,
    token_for,
)
from tests.support.server import Server, make_settings, start_server

INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
NOT_REST = [
    {"message": "This session is not valid for use with the REST API", "errorCode": "INVALID_SESSION_ID"}
]
API_DISABLED = [
    {"message": "The REST API is not enabled for this Organization.", "errorCode": "API_DISABLED_FOR_ORG"}
]
PATHS = [
    "/services/data",
    f"{DATA}",
    f"{DATA}/limits",
    f"{DATA}/query?q=SELECT+Id+FROM+Account",
    f"{DATA}/queryAll?q=SELECT+Id+FROM+Account",
    f"{DATA}/query/01gXXXXXXXXXXXXXXX-2000",
    f"{DATA}/sobjects",
    f"{DATA}/sobjects/Account/describe",
    f"{DATA}/sobjects/Account/001000000000000AAA",
]


@pytest.fixture
def token(server: Server) -> str:
    return token_for(server, server.create_user(profile="System Administrator"))


def test_when_versions_listed_then_array_of_two_digit_versions_without_limit_header(
    server: Server, token: str
) -> None:
    with server.client(headers=bearer(token)) as client:
        for path in ("/services/data", "/services/data/"):
            response = client.get(path)
            assert response.status_code == 200
            versions = response.json()
            assert versions[0] == {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}
            assert all(re.fullmatch(r"\d\d\.0", v["version"]) for v in versions)
            assert response.headers["content-type"].startswith("application/json")
            assert "sforce-limit-info" not in response.headers


def test_when_version_resources_asked_then_map_with_identity_and_limit_header(
    server: Server, token: str
) -> None:
    with server.client(headers=bearer(token)) as client:
        for path in (DATA, DATA + "/"):
            response = client.get(path)
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["query"] == f"{DATA}/query" and body["sobjects"] == f"{DATA}/sobjects"
            assert body["queryAll"] == f"{DATA}/queryAll" and body["limits"] == f"{DATA}/limits"
            assert body["identity"].startswith(f"{server.url}/id/{server.org_id}/005")
            assert re.fullmatch(r"api-usage=\d+/\d+", response.headers["sforce-limit-info"])


@pytest.mark.parametrize("version", ["v30.0", "v99.0", "62.0", "vABC", "v62.5"])
def test_when_version_unknown_then_404_not_found(server: Server, token: str, version: str) -> None:
    with server.client(headers=bearer(token)) as client:
        response = client.get(f"/services/data/{version}/limits")
    assert response.status_code == 404
    assert response.json() == [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer 00Dxxxxxxxxxxxx!nope"},
        {"Authorization": "Basic Zm9v"},
    ],
)
def test_when_token_missing_or_unknown_then_401_on_every_resource(
    server: Server, headers: dict[str, str]
) -> None:
    with server.client(headers=headers) as client:
        for path in PATHS:
            response = client.get(path)
            assert response.status_code == 401, path
            assert response.json() == INVALID_SESSION
            assert "sforce-limit-info" not in response.headers


def test_when_token_lacks_api_scope_then_401_not_valid_for_rest(server: Server) -> None:
    user = server.create_user(profile="System Administrator")
    token = token_for(server, user, scopes="id web")
    with server.client(headers=bearer(token)) as client:
        for path in PATHS:
            response = client.get(path)
            assert response.status_code == 401, path
            assert response.json() == NOT_REST
        assert client.get("/services/oauth2/userinfo").status_code == 200  # the token itself is fine


def test_when_token_has_full_scope_then_served(server: Server) -> None:
    token = token_for(server, server.create_user(profile="System Administrator"), scopes="full")
    with server.client(headers=bearer(token)) as client:
        assert client.get(f"{DATA}/limits").status_code == 200


def test_when_token_revoked_user_deactivated_then_401(server: Server) -> None:
    user = server.create_user(profile="System Administrator")
    token = token_for(server, user)
    with server.client(headers=bearer(token)) as client:
        assert client.get(f"{DATA}/limits").status_code == 200
        server.update_user(user, is_active=False)
        response = client.get(f"{DATA}/limits")
    assert response.status_code == 401 and response.json() == INVALID_SESSION


def test_when_profile_lacks_api_enabled_then_403_until_a_permission_set_grants_it(server: Server) -> None:
    user = server.create_user(profile="Minimum Access")
    token = token_for(server, user)
    with server.client(headers=bearer(token)) as client:
        for path in PATHS[1:]:
            response = client.get(path)
            assert response.status_code == 403, path
            assert response.json() == API_DISABLED
        with admin_client(server) as admin:
            assign(admin, permission_set(server, admin, api_enabled=True), user)
        assert client.get(f"{DATA}/limits").status_code == 200


def test_when_method_not_allowed_then_405_with_allowed_methods(server: Server, token: str) -> None:
    with server.client(headers=bearer(token)) as client:
        put = client.put(f"{DATA}/sobjects/Account/001000000000000AAA", json={})
        post = client.post(f"{DATA}/query", json={})
        delete = client.delete(f"{DATA}/limits/")
    assert put.status_code == 405 and error_of(put) == (405, "METHOD_NOT_ALLOWED")
    message = put.json()[0]["message"]
    assert message.startswith("HTTP Method 'PUT' not allowed. Allowed are ")
    assert set(message.rsplit(" ", 1)[1].split(",")) >= {"GET", "PATCH", "DELETE"}
    assert error_of(post) == (405, "METHOD_NOT_ALLOWED")
    assert error_of(delete) == (405, "METHOD_NOT_ALLOWED")


def test_when_path_unknown_then_404_not_found(server: Server, token: str) -> None:
    with server.client(headers=bearer(token)) as client:
        response = client.get(f"{DATA}/nothing/here/at/all")
    assert error_of(response) == (404, "NOT_FOUND")


def test_when_body_not_json_type_then_415(server: Server, token: str) -> None:
    with server.client(headers=bearer(token)) as client:
        response = client.post(
            f"{DATA}/sobjects/Account", content=b"Name=Acme", headers={"Content-Type": "text/plain"}
        )
        form = client.patch(f"{DATA}/sobjects/Account/001000000000000AAA", data={"Name": "Acme"})
    assert error_of(response) == (415, "UNSUPPORTED_MEDIA_TYPE")
    assert response.json()[0]["message"] == "MediaType of 'text/plain' is not supported by this resource"
    assert error_of(form) == (415, "UNSUPPORTED_MEDIA_TYPE")
    assert "sforce-limit-info" in response.headers


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", None),
        (b"", "No content to map due to end-of-input"),
        (b"[1, 2]", "Can not deserialize SObject out of START_ARRAY token at [line:1, column:1]"),
        (b'"Acme"', "Can not deserialize SObject out of VALUE token at [line:1, column:1]"),
        (b"\xff\xfe", None),
        (b'{"AnnualRevenue": NaN}', None),
    ],
)
def test_when_body_malformed_then_400_json_parser_error(
    server: Server, token: str, body: bytes, message: str | None
) -> None:
    with server.client(headers={**bearer(token), "Content-Type": "application/json"}) as client:
        for response in (
            client.post(f"{DATA}/sobjects/Account/", content=body),
            client.patch(f"{DATA}/sobjects/Account/001000000000000AAA", content=body),
        ):
            assert error_of(response) == (400, "JSON_PARSER_ERROR"), response.text
            if message:
                assert response.json()[0]["message"] == message


def test_when_body_too_large_then_413(server: Server, token: str) -> None:
    with server.client(headers={**bearer(token), "Content-Type": "application/json"}) as client:
        response = client.post(
            f"{DATA}/sobjects/Account", content=b'{"Name": "' + b"x" * (1024 * 1024) + b'"}'
        )
    assert error_of(response) == (413, "JSON_PARSER_ERROR")


def test_when_query_string_missing_then_400_malformed_query(server: Server, token: str) -> None:
    with server.client(headers=bearer(token)) as client:
        for path in (f"{DATA}/query", f"{DATA}/query/", f"{DATA}/queryAll?q=", f"{DATA}/query?q=%20"):
            response = client.get(path)
            assert error_of(response) == (400, "MALFORMED_QUERY"), path
            assert response.json()[0]["message"] == "A query string has to be specified"


def test_when_bearer_uses_oauth_scheme_then_served(server: Server, token: str) -> None:
    response = httpx.get(f"{server.url}{DATA}/limits", headers={"Authorization": f"OAuth {token}"})
    assert response.status_code == 200
    assert set(response.json()["DailyApiRequests"]) == {"Max", "Remaining"}
    assert VERSION in DATA


def test_when_max_api_version_configured_then_versions_list_and_paths_follow(
    server: Server, tmp_path: Path
) -> None:
    settings = make_settings(server.ctx.settings.database_url, tmp_path, max_api_version=64)
    for other in start_server(settings, server.backend):
        token = token_for(other, other.create_user(profile="System Administrator"))
        with other.client(headers=bearer(token)) as client:
            versions = [v["version"] for v in client.get("/services/data").json()]
            assert versions[0] == "31.0" and versions[-1] == "64.0" and len(versions) == 34
            assert client.get("/services/data/v64.0/limits").status_code == 200
            assert error_of(client.get("/services/data/v65.0/limits")) == (404, "NOT_FOUND")
