"""Attacks on how the admin and data APIs read a request: bodies larger than the cap (declared or
chunked, before and after authentication), JSON nested beyond any parser's stack, and names holding
NUL or a lone surrogate, which no backend stores. Each answers 4xx in the data-API error shape and
writes nothing."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.attacks.raw_http import connect, read_answer, request_head
from tests.attacks.unchanged import nothing_issued
from tests.support.data_api import DATA, bearer, error_of, token_for
from tests.support.server import Server

USERS = "/admin/api/v1/users"
APPS = "/admin/api/v1/connected-apps"
HUGE = 400 * 1024 * 1024  # the review's 400 MB


@pytest.fixture(scope="module")
def admin_token(server: Server) -> str:
    return token_for(server, server.create_user(profile="System Administrator"))


def _oversized_start(server: Server, token: str | None, framing: str) -> Any:
    """Sends the head of a huge POST and its first 70 kB, never the rest, and reads the answer: a
    server that waited for the whole body before answering would never answer."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers.update(bearer(token))
    chunk = b"[" + b" " * (70 * 1024)
    with connect(server.url, timeout=10) as sock:
        if framing == "content-length":
            headers["Content-Length"] = str(HUGE)
            sock.sendall(request_head("POST", USERS, headers) + chunk)
        else:
            headers["Transfer-Encoding"] = "chunked"
            sock.sendall(request_head("POST", USERS, headers) + b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        started = time.monotonic()
        answer = read_answer(sock)
        return answer, time.monotonic() - started


@pytest.mark.attack("CWE-400: Uncontrolled Resource Consumption (issue 10 H1)")
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_when_unauthenticated_oversized_body_then_401_before_reading_it(server: Server, framing: str) -> None:
    with nothing_issued(server):
        answer, took = _oversized_start(server, None, framing)
    assert answer.status == 401
    assert answer.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    assert answer.headers.get("connection") == "close"  # the rest of the body is not received either
    assert took < 5


@pytest.mark.attack("CWE-770: Allocation of Resources Without Limits (issue 10 H1)")
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_when_admin_sends_oversized_body_then_413_at_the_cap(
    server: Server, admin_token: str, framing: str
) -> None:
    with nothing_issued(server):
        answer, took = _oversized_start(server, admin_token, framing)
    assert answer.status == 413
    assert answer.json()[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert answer.headers.get("connection") == "close"
    assert took < 5


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.attack("CWE-674: Uncontrolled Recursion (issue 10 L2)")
@pytest.mark.parametrize(
    ("path", "body"),
    [
        (USERS, _nested(20_000)),
        (USERS, b'{"username": ' + _nested(20_000) + b"}"),
        (f"{DATA}/sobjects/Account", _nested(20_000)),
        (f"{DATA}/sobjects/Account", b'{"Name": ' + b'{"a":' * 5_000 + b"1" + b"}" * 5_001),
    ],
    ids=["admin-array", "admin-in-object", "data-array", "data-in-object"],
)
def test_when_json_nested_deeper_than_the_parser_then_400_json_parser_error(
    server: Server, admin_token: str, path: str, body: bytes
) -> None:
    with nothing_issued(server), server.client(headers=bearer(admin_token)) as client:
        response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert error_of(response) == (400, "JSON_PARSER_ERROR"), response.text


UNSTORABLE = {
    "nul": "\\u0000",
    "lone-high-surrogate": "\\ud800",
    "lone-low-surrogate": "\\udfff",
}


@pytest.mark.attack("CWE-158: Improper Neutralization of Null Byte (issue 10 L6)")
@pytest.mark.parametrize("character", list(UNSTORABLE.values()), ids=list(UNSTORABLE))
@pytest.mark.parametrize(
    ("path", "template"),
    [
        (USERS, '{"username": "mallory%s@example.com", "password": "Passw0rd-1234!"}'),
        (USERS, '{"username%s": "x@example.com"}'),
        (APPS, '{"name": "app%s", "callback_urls": ["https://a.example/cb"], "scopes": "api"}'),
        (APPS, '{"name": "app", "callback_urls": ["https://a.example/cb%s"], "scopes": "api"}'),
        ("/admin/api/v1/permission-sets", '{"name": "ps%s"}'),
        (f"{DATA}/sobjects/Account", '{"Name": "Acme%s"}'),
    ],
    ids=["admin-username", "admin-key", "admin-app-name", "admin-callback", "admin-set-name", "data-name"],
)
def test_when_json_string_holds_nul_or_lone_surrogate_then_400_json_parser_error(
    server: Server, admin_token: str, path: str, template: str, character: str
) -> None:
    with nothing_issued(server), server.client(headers=bearer(admin_token)) as client:
        response = client.post(
            path, content=template % character, headers={"Content-Type": "application/json"}
        )
    assert error_of(response) == (400, "JSON_PARSER_ERROR"), response.text


@pytest.mark.attack("CWE-158: Improper Neutralization of Null Byte (issue 10 L6)")
@pytest.mark.parametrize(
    "path", [f"{USERS}/a%00b", f"{APPS}/a%00b", "/admin/api/v1/profiles/a%00b", f"{USERS}/%ED%A0%80"]
)
def test_when_admin_path_names_nul_then_404(server: Server, admin_token: str, path: str) -> None:
    with server.client(headers=bearer(admin_token)) as client:
        response = client.get(path)
    assert error_of(response) == (404, "NOT_FOUND"), response.text


@pytest.mark.attack("Salesforce: REST API Developer Guide, OAuth scopes (api gives access to the REST API)")
@pytest.mark.parametrize(("scopes", "status"), [("api", 200), ("full", 200), ("id openid", 401)])
def test_when_admin_token_has_scopes_then_admin_api_follows_the_rest_api_rule(
    server: Server, scopes: str, status: int
) -> None:
    """Decision (issue 10): the admin API is an API like the data API: ``api`` or ``full`` opens it,
    the profile's Manage Users / Manage Connected Apps decides what it may do."""
    token = token_for(server, server.create_user(profile="System Administrator"), scopes=scopes)
    with server.client(headers=bearer(token)) as client:
        response = client.get(USERS)
    assert response.status_code == status, response.text
    if status == 401:
        assert error_of(response) == (401, "INVALID_SESSION_ID")
