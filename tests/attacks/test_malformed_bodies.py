"""Oversized and malformed bodies on every OAuth endpoint (token, revoke, introspect, device
authorization, login, consent, device verification, SOAP): wrong content types, invalid UTF-8,
repeated parameters, conflicting client authentication. Each is refused in its endpoint's shape,
before anything is looked up, and nothing is written.

RFC 6749 §3.1 and §3.2 (parameters must not be included more than once), §2.3 (one client
authentication method), RFC 6749 Appendix B (application/x-www-form-urlencoded, UTF-8); OWASP ASVS
5.0 V4.x (input size limits, content-type validation); Salesforce: SOAP API login() request limits.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest

from tests.attacks.refusals import assert_error_page, assert_oauth_error, post_form
from tests.attacks.unchanged import nothing_issued
from tests.support.server import Server
from tests.support.soap import soap_fault, soap_text

FORM = "application/x-www-form-urlencoded"
OVERSIZED = b"grant_type=password&padding=" + b"x" * (70 * 1024)
OAUTH_ENDPOINTS = {
    "token": "/services/oauth2/token",
    "revoke": "/services/oauth2/revoke",
    "introspect": "/services/oauth2/introspect",
    "device-authorize": "/services/oauth2/device/authorize",
}
PAGE_ENDPOINTS = {
    "login": "/login",
    "consent": "/services/oauth2/authorize/consent",
    "device-verification": "/setup/connect",
}
SOAP = "/services/Soap/u/59.0"


def _assert_soap_client_fault(response: httpx.Response, status: int, faultstring: str) -> None:
    fault = soap_fault(response, status)
    assert soap_text(fault, "faultcode") == "soapenv:Client"
    assert soap_text(fault, "faultstring") == faultstring


@pytest.mark.attack("OWASP ASVS 5.0 V4.x (request size limits: a body over 64 KiB on an OAuth endpoint)")
@pytest.mark.parametrize("endpoint", list(OAUTH_ENDPOINTS))
def test_oversized_body_on_an_oauth_endpoint_is_refused(server: Server, endpoint: str) -> None:
    with server.client() as client, nothing_issued(server):
        answer = post_form(client, OAUTH_ENDPOINTS[endpoint], OVERSIZED, FORM)
    assert_oauth_error(answer, "invalid_request", "request body too large")


@pytest.mark.attack("OWASP ASVS 5.0 V4.x (request size limits: a body over 64 KiB on a page's form)")
@pytest.mark.parametrize("endpoint", list(PAGE_ENDPOINTS))
def test_oversized_body_on_a_page_is_refused(server: Server, endpoint: str) -> None:
    with server.client() as client, nothing_issued(server):
        answer = post_form(client, PAGE_ENDPOINTS[endpoint], OVERSIZED, FORM)
    assert_error_page(answer, "invalid_request", status=403)


def _chunks(total: int) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"x" * 8192
        sent += 8192


@pytest.mark.attack("OWASP ASVS 5.0 V4.x (a chunked body with no Content-Length, past the cap)")
def test_oversized_chunked_body_on_the_token_endpoint_is_refused(server: Server) -> None:
    with server.client() as client, nothing_issued(server):
        answer = client.post(
            OAUTH_ENDPOINTS["token"], content=_chunks(1024 * 1024), headers={"content-type": FORM}
        )
    assert_oauth_error(answer, "invalid_request", "request body too large")


@pytest.mark.attack("Salesforce: SOAP API login() request size limit (10 KB), declared and chunked")
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_soap_envelope_is_refused(server: Server, chunked: bool) -> None:
    body: bytes | Iterator[bytes] = _chunks(64 * 1024) if chunked else b"<x/>" * 5000
    with server.client() as client, nothing_issued(server):
        answer = client.post(SOAP, content=body, headers={"content-type": "text/xml"})
    _assert_soap_client_fault(answer, 413, "Request body too large")


@pytest.mark.attack("RFC 6749 Appendix B / OWASP ASVS 5.0 V4.x (a JSON or XML body where a form is expected)")
@pytest.mark.parametrize("endpoint", list(OAUTH_ENDPOINTS))
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("application/json", b'{"grant_type": "client_credentials"}', id="json"),
        pytest.param("application/xml", b"<grant_type>client_credentials</grant_type>", id="xml"),
    ],
)
def test_wrong_content_type_is_refused(server: Server, endpoint: str, content_type: str, body: bytes) -> None:
    with server.client() as client, nothing_issued(server):
        answer = post_form(client, OAUTH_ENDPOINTS[endpoint], body, content_type)
    assert_oauth_error(answer, "invalid_request", "unsupported content type")


@pytest.mark.attack("SOAP 1.1 §6.1 / Salesforce SOAP API (an envelope not sent as text/xml)")
def test_soap_envelope_with_a_json_content_type_is_refused(server: Server) -> None:
    with server.client() as client, nothing_issued(server):
        answer = post_form(client, SOAP, b'{"login": {}}', "application/json")
    _assert_soap_client_fault(answer, 415, "Content-Type must be text/xml (SOAP 1.1)")


@pytest.mark.attack("RFC 6749 Appendix B (form bodies are UTF-8: raw invalid bytes)")
@pytest.mark.parametrize("endpoint", list(OAUTH_ENDPOINTS))
def test_invalid_utf8_body_is_refused(server: Server, endpoint: str) -> None:
    with server.client() as client, nothing_issued(server):
        answer = post_form(
            client, OAUTH_ENDPOINTS[endpoint], b"grant_type=password&username=\xff\xfe\xc0", FORM
        )
    assert_oauth_error(answer, "invalid_request", "malformed request body")


@pytest.mark.attack("RFC 6749 Appendix B (invalid UTF-8 posted to the login form)")
def test_invalid_utf8_login_form_is_refused(server: Server) -> None:
    with server.client() as client, nothing_issued(server):
        answer = post_form(client, PAGE_ENDPOINTS["login"], b"username=\xc3\x28&password=\xa0\xa1", FORM)
    assert_error_page(answer, "invalid_request", status=403)


@pytest.mark.attack("Salesforce SOAP API (an envelope that is not well-formed XML: invalid UTF-8)")
def test_invalid_utf8_soap_envelope_is_refused(server: Server) -> None:
    envelope = b"<?xml version='1.0' encoding='utf-8'?><se:Envelope \xff\xfe/>"
    with server.client() as client, nothing_issued(server):
        answer = post_form(client, SOAP, envelope, "text/xml")
    _assert_soap_client_fault(answer, 500, "Unable to parse the request: not well-formed XML")


@pytest.mark.attack("RFC 6749 §3.1 / §3.2 (parameters must not be included more than once)")
@pytest.mark.parametrize(
    ("endpoint", "body", "name"),
    [
        pytest.param(
            "token", b"grant_type=client_credentials&client_id=a&client_id=b", "client_id", id="token"
        ),
        pytest.param("revoke", b"token=first&token=second", "token", id="revoke"),
        pytest.param("introspect", b"token=first&token=second&client_id=a", "token", id="introspect"),
        pytest.param("device-authorize", b"client_id=a&client_id=b", "client_id", id="device-authorize"),
    ],
)
def test_repeated_parameter_is_refused(server: Server, endpoint: str, body: bytes, name: str) -> None:
    with server.client() as client, nothing_issued(server):
        answer = post_form(client, OAUTH_ENDPOINTS[endpoint], body, FORM)
    assert_oauth_error(answer, "invalid_request", f"duplicate parameter: {name}")


@pytest.mark.attack("RFC 6749 §3.2 (HTTP parameter pollution: the query string contradicts the body)")
def test_query_string_contradicting_the_body_is_refused(server: Server) -> None:
    with server.client() as client, nothing_issued(server):
        answer = client.post(
            OAUTH_ENDPOINTS["token"] + "?grant_type=password",
            content=b"grant_type=client_credentials&client_id=a&client_secret=b",
            headers={"content-type": FORM},
        )
    assert_oauth_error(answer, "invalid_request", "duplicate parameter: grant_type")


@pytest.mark.attack("RFC 6749 §2.3 (a client must not use more than one authentication method)")
def test_basic_and_body_secret_together_are_refused(server: Server) -> None:
    app, secret = server.create_app(
        client_credentials_enabled=True, client_credentials_user=server.create_user().username
    )
    with server.client() as client, nothing_issued(server):
        answer = client.post(
            OAUTH_ENDPOINTS["token"],
            data={"grant_type": "client_credentials", "client_secret": secret},
            auth=httpx.BasicAuth(app.consumer_key, secret),
        )
    assert_oauth_error(answer, "invalid_request", "multiple client authentication methods")


@pytest.mark.attack("RFC 6749 §2.3.1 (HTTP Basic names one client, the body another)")
def test_basic_and_body_naming_different_clients_are_refused(server: Server) -> None:
    app, secret = server.create_app(
        client_credentials_enabled=True, client_credentials_user=server.create_user().username
    )
    other, _ = server.create_app()
    with server.client() as client, nothing_issued(server):
        answer = client.post(
            OAUTH_ENDPOINTS["token"],
            data={"grant_type": "client_credentials", "client_id": other.consumer_key},
            auth=httpx.BasicAuth(app.consumer_key, secret),
        )
    assert_oauth_error(answer, "invalid_client", "invalid client credentials")


@pytest.mark.attack("RFC 7617 §2 / RFC 6749 §2.3.1 (a Basic header that is not base64 of id:secret)")
@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Basic %%%not-base64", id="not-base64"),
        pytest.param("Basic " + base64.b64encode(b"no-colon").decode(), id="no-colon"),
        pytest.param("Basic " + base64.b64encode(b"\xff\xfe:secret").decode(), id="not-utf8"),
    ],
)
def test_malformed_basic_header_is_refused(server: Server, header: str) -> None:
    with server.client() as client, nothing_issued(server):
        answer = client.post(
            OAUTH_ENDPOINTS["token"],
            data={"grant_type": "client_credentials"},
            headers={"Authorization": header},
        )
    assert_oauth_error(answer, "invalid_basic_auth_header", "invalid basic authorization header")


@pytest.mark.attack("RFC 7578 §4.1 (multipart body without its boundary)")
def test_multipart_without_a_boundary_is_refused(server: Server) -> None:
    with server.client() as client, nothing_issued(server):
        answer = post_form(
            client,
            OAUTH_ENDPOINTS["token"],
            b'--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\npassword\r\n--x--\r\n',
            "multipart/form-data",
        )
    assert_oauth_error(answer, "invalid_request", "malformed multipart body")
