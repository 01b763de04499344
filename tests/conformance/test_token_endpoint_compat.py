"""What real clients send to the token endpoint (client-compatibility.md), and bearer validation."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.support.browser import authorize
from tests.support.server import PASSWORD, Server

CALLBACK = "http://localhost:1717/OauthRedirect"
INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def _code(server: Server, client_id: str, username: str, **extra: str) -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, **extra}
    with server.client() as browser:
        return authorize(browser, params, username, PASSWORD).query["code"]


@pytest.fixture
def grant(server: Server) -> tuple[str, str, str]:
    """(consumer key, secret, a fresh code)."""
    app, secret = server.create_app()
    return app.consumer_key, secret, _code(server, app.consumer_key, server.create_user().username)


def _form(key: str, secret: str, code: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": key,
        "client_secret": secret,
        "redirect_uri": CALLBACK,
    }


def test_when_body_is_multipart_then_accepted(server: Server, grant: tuple[str, str, str]) -> None:
    with server.client() as client:
        response = client.post(
            "/services/oauth2/token", files={k: (None, v) for k, v in _form(*grant).items()}
        )
    assert response.status_code == 200, response.text


def test_when_body_is_chunked_without_content_length_then_accepted(
    server: Server, grant: tuple[str, str, str]
) -> None:
    body = httpx.QueryParams(_form(*grant)).__str__().encode()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 7):
            yield body[i : i + 7]

    with server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded; charset=UTF-8"},
        )
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert response.status_code == 200, response.text


def test_when_parameters_in_query_string_of_post_then_accepted(
    server: Server, grant: tuple[str, str, str]
) -> None:
    with server.client() as client:
        response = client.post("/services/oauth2/token", params=_form(*grant))
    assert response.status_code == 200, response.text


def test_when_client_authenticates_by_basic_without_client_id_then_accepted(
    server: Server, grant: tuple[str, str, str]
) -> None:
    key, secret, code = grant
    basic = base64.b64encode(f"{key}:{secret}".encode()).decode()
    with server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
            headers={"Authorization": f"Basic {basic}"},
        )
    assert response.status_code == 200, response.text


def test_when_basic_header_is_garbage_then_refused(server: Server) -> None:
    with server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            data={"grant_type": "authorization_code"},
            headers={"Authorization": "Basic !!!notbase64"},
        )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_basic_auth_header"


def test_when_unknown_parameters_sent_then_ignored(server: Server, grant: tuple[str, str, str]) -> None:
    with server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            data={**_form(*grant), "format": "json", "device_id": "abc", "whatever": "1"},
        )
    assert response.status_code == 200, response.text


def test_when_body_is_json_then_invalid_request(server: Server, grant: tuple[str, str, str]) -> None:
    with server.client() as client:
        response = client.post("/services/oauth2/token", json=_form(*grant))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_when_body_is_huge_then_invalid_request_not_500(server: Server) -> None:
    with server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            content=b"a=" + b"x" * 200_000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_when_secret_sent_to_app_that_does_not_require_it_then_still_checked(server: Server) -> None:
    app, secret = server.create_app(require_secret_for_web_server=False)
    code = _code(server, app.consumer_key, server.create_user().username)
    with server.client() as client:
        wrong = client.post("/services/oauth2/token", data=_form(app.consumer_key, "WRONG", code))
        assert wrong.json()["error"] == "invalid_client"
        right = client.post("/services/oauth2/token", data=_form(app.consumer_key, secret, code))
        assert right.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer 00Dxxxxxxxxxxxx!nope"},
        {"Authorization": "Basic Zm9v"},
    ],
)
def test_when_bearer_missing_or_unknown_then_401_invalid_session(
    server: Server, headers: dict[str, str]
) -> None:
    with server.client() as client:
        for path in (
            "/services/oauth2/userinfo",
            "/services/data",
            "/services/data/",
            f"/id/{server.org_id}/005000000000000AAA",
        ):
            response = client.get(path, headers=headers)
            assert response.status_code == 401, path
            assert response.json() == INVALID_SESSION


def test_when_access_token_expires_then_401_and_lifetime_follows_app_policy(server: Server) -> None:
    app, secret = server.create_app(access_token_lifetime_seconds=600)
    code = _code(server, app.consumer_key, server.create_user().username)
    with server.client() as client:
        token = client.post("/services/oauth2/token", data=_form(app.consumer_key, secret, code)).json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        assert client.get("/services/oauth2/userinfo", headers=bearer).status_code == 200
        server.clock.advance(599)
        assert client.get("/services/oauth2/userinfo", headers=bearer).status_code == 200
        server.clock.advance(2)
        expired = client.get("/services/oauth2/userinfo", headers=bearer)
    assert expired.status_code == 401 and expired.json() == INVALID_SESSION


def test_when_identity_url_uses_15_char_ids_then_served(server: Server) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    code = _code(server, app.consumer_key, user.username)
    with server.client() as client:
        token = client.post("/services/oauth2/token", data=_form(app.consumer_key, secret, code)).json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        short = client.get(f"/id/{server.org_id[:15]}/{user.id[:15]}", headers=bearer)
        assert short.status_code == 200 and short.json()["user_id"] == user.id
        someone_else = server.create_user()
        assert client.get(f"/id/{server.org_id}/{someone_else.id}", headers=bearer).status_code == 403
        assert client.get(f"/id/{server.org_id}/not-an-id", headers=bearer).status_code == 404


def test_when_tokens_exchanged_then_login_history_records_success_with_ip_and_agent(server: Server) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    code = _code(server, app.consumer_key, user.username)
    with server.client(headers={"User-Agent": "compat-test/1.0"}) as client:
        client.post("/services/oauth2/token", data=_form(app.consumer_key, "wrong", code))
        client.post("/services/oauth2/token", data=_form(app.consumer_key, secret, code))
    mine = server.login_history_of(app_id=app.id, user_agent="compat-test/1.0")
    assert [e["status"] for e in mine] == ["Success", "Failed: Invalid Client Credentials"]
    assert all(e["source_ip"] == "127.0.0.1" and e["flow"] == "web_server" for e in mine)
    assert mine[0]["user_id"] == user.id and mine[0]["login_type"] == "Remote Access 2.0"


def test_when_flow_runs_at_debug_level_then_no_secret_or_token_is_logged(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app, secret = server.create_app()
    verifier = "k" * 64
    code = _code(
        server,
        app.consumer_key,
        server.create_user().username,
        code_challenge=create_s256_code_challenge(verifier),
    )
    with server.client() as client:
        client.post("/services/oauth2/token", params={**_form(app.consumer_key, "wrong", code)})
        token = client.post(
            "/services/oauth2/token",
            params={**_form(app.consumer_key, secret, code), "code_verifier": verifier},
        ).json()
        client.get(f"{token['id']}?oauth_token={token['access_token']}")
        client.post(
            "/services/oauth2/token",
            params={**_form(app.consumer_key, secret, code), "code_verifier": verifier},
        )
    # The server's records only: the test's own HTTP client (httpx, httpcore) logs the URLs it sends.
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore")))
    assert "forcegate.access" in {r.name for r in caplog.records}
    for secret_value in (secret, code, verifier, token["access_token"], token["refresh_token"], PASSWORD):
        assert secret_value not in logged
