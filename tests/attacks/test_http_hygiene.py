"""Attacks on the HTTP layer itself: slow clients holding connections (slowloris), NUL bytes in
OAuth parameters, responses a cache or a browser could misuse, HTTPS without HSTS, and an
unhandled error that cost the client its connection."""

from __future__ import annotations

import base64
import ipaddress
import logging
import secrets
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.attacks.raw_http import connect, read_answer, request_head, wait_closed
from tests.attacks.unchanged import nothing_issued
from tests.support.browser import authorize_url, submit
from tests.support.data_api import DATA, TlsServer, bearer, start_tls_server, token_for
from tests.support.server import PASSWORD, Server, make_settings, start_server

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 1.0
MAX_CONNECTIONS = 8
HSTS = "max-age=31536000; includeSubDomains"
CALLBACK = "http://localhost:1717/OauthRedirect"
OPEN = "/.well-known/openid-configuration"  # answers 200 without a token


@pytest.fixture(scope="module")
def impatient(backend: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with one-second header and body deadlines and a small connection cap."""
    name, url = backend
    settings = make_settings(
        url,
        tmp_path_factory.mktemp("impatient"),
        header_timeout_seconds=HEADER_TIMEOUT,
        body_timeout_seconds=BODY_TIMEOUT,
        max_connections=MAX_CONNECTIONS,
    )
    yield from start_server(settings, name)


@contextmanager
def _errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """The ERROR records logged meanwhile, forcegate's and uvicorn's (which does not propagate)."""
    uvicorn_errors = logging.getLogger("uvicorn.error")
    uvicorn_errors.addHandler(caplog.handler)
    found: list[logging.LogRecord] = []
    try:
        with caplog.at_level(logging.ERROR):
            yield found
            found += [r for r in caplog.records if r.levelno >= logging.ERROR]
    finally:
        uvicorn_errors.removeHandler(caplog.handler)


# --- slow clients (slowloris) -------------------------------------------------------------------

TOKEN_HEAD = b"POST /services/oauth2/token HTTP/1.1\r\nHost: forcegate.test\r\n"


@pytest.mark.attack("CWE-400: slowloris, half a request head held open (issue 10 M4)")
@pytest.mark.parametrize(
    "partial",
    [b"", b"POST /services/oauth2/tok", TOKEN_HEAD + b"Content-Type: application/x-www-form-urlen"],
    ids=["nothing", "half-request-line", "half-headers"],
)
def test_when_request_head_stalls_then_connection_closed_at_header_timeout(
    impatient: Server, partial: bytes
) -> None:
    with connect(impatient.url) as sock:
        sock.sendall(partial)
        took, _ = wait_closed(sock, within=HEADER_TIMEOUT + 4)
    assert took >= HEADER_TIMEOUT * 0.8


@pytest.mark.attack("CWE-400: slowloris, a header trickled a byte at a time (issue 10 M4)")
def test_when_head_trickles_then_the_deadline_is_not_renewed_per_byte(impatient: Server) -> None:
    with connect(impatient.url) as sock:
        started = time.monotonic()
        with pytest.raises(OSError):  # the server closes while we are still sending
            for byte in TOKEN_HEAD + b"X-Slow: " + b"a" * 100:
                sock.sendall(bytes([byte]))
                time.sleep(0.1)
                if time.monotonic() - started > HEADER_TIMEOUT + 4:
                    pytest.fail("the trickled header was never cut off")
            sock.recv(1)  # everything sent: a closed connection reads as b"" here, not an error
            raise OSError("closed")


@pytest.mark.attack("CWE-400: slow body (R-U-Dead-Yet), RFC 9110 §15.5.9 408 (issue 10 M4)")
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_when_body_stalls_then_408_and_closed_at_body_timeout(
    impatient: Server, framing: str, caplog: pytest.LogCaptureFixture
) -> None:
    head = TOKEN_HEAD + b"Content-Type: application/x-www-form-urlencoded\r\n"
    if framing == "content-length":
        request = head + b"Content-Length: 200\r\n\r\ngrant_type=pass"
    else:
        request = head + b"Transfer-Encoding: chunked\r\n\r\n4\r\ngran"
    with _errors_logged(caplog) as errors, nothing_issued(impatient), connect(impatient.url) as sock:
        sock.sendall(request)
        took, received = wait_closed(sock, within=BODY_TIMEOUT + 4)
        time.sleep(0.2)  # the route waiting on the body learns the client is gone
    assert took >= BODY_TIMEOUT * 0.8
    assert received.startswith(b"HTTP/1.1 408 "), received
    assert not errors  # a client cut off is no server error


@pytest.mark.attack("CWE-400: slowloris on a kept-alive connection after a first request (issue 10 M4)")
def test_when_second_request_on_a_connection_stalls_then_closed(impatient: Server) -> None:
    with connect(impatient.url) as sock:
        sock.sendall(request_head("GET", OPEN))
        assert read_answer(sock).status == 200
        sock.sendall(request_head("GET", OPEN)[:20])
        took, _ = wait_closed(sock, within=HEADER_TIMEOUT + 4)
    assert took >= HEADER_TIMEOUT * 0.8


@pytest.mark.attack("CWE-770: connections without limit (issue 10 M4; uvicorn limit_concurrency)")
def test_when_connections_pass_the_cap_then_503(impatient: Server) -> None:
    idle = [connect(impatient.url) for _ in range(MAX_CONNECTIONS)]
    try:
        with connect(impatient.url) as sock:
            sock.sendall(request_head("GET", OPEN))
            assert read_answer(sock).status == 503
    finally:
        for sock in idle:
            sock.close()
    deadline = time.monotonic() + 5
    while True:  # the server notices the closed connections as it reads them
        with httpx.Client(base_url=impatient.url, timeout=5) as client:
            if client.get(OPEN).status_code == 200:
                break
        assert time.monotonic() < deadline, "still refusing after the idle connections closed"
        time.sleep(0.1)


# --- NUL and lone surrogates in OAuth parameters (issue 10 L1) ---------------------------------


def _invalid_request(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request", response.text


@pytest.mark.attack("CWE-158: NUL byte in an OAuth parameter on PostgreSQL (issue 10 L1)")
@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/services/oauth2/token", {"grant_type": "password", "username": "a\x00@x.com", "password": "x"}),
        ("/services/oauth2/token", {"grant_type": "client_credentials", "client_id": "3MVG\x00"}),
        ("/services/oauth2/token", {"grant_type": "authorization_code", "code": "c\x00de"}),
        ("/services/oauth2/token", {"grant_type": "refresh_token", "refresh_token": "r\x00"}),
        ("/services/oauth2/token", {"grant_type": "pass\x00word"}),
        ("/services/oauth2/token?client_id=3MVG%00", {"grant_type": "client_credentials"}),
        ("/services/oauth2/device/authorize", {"client_id": "3MVG\x00"}),
        ("/services/oauth2/revoke", {"token": "t\x00"}),
        ("/services/oauth2/introspect", {"token": "t\x00", "client_id": "3MVG\x00"}),
    ],
    ids=[
        "password-username",
        "client-id",
        "code",
        "refresh-token",
        "grant-type",
        "query-client-id",
        "device-client-id",
        "revoke",
        "introspect",
    ],
)
def test_when_oauth_parameter_holds_nul_then_400_invalid_request(
    server: Server, path: str, form: dict[str, str]
) -> None:
    app, secret = server.create_app()
    if "client_id" not in form and "?" not in path:
        form = {**form, "client_id": app.consumer_key, "client_secret": secret}
    with nothing_issued(server), server.client() as client:
        _invalid_request(client.post(path, data=form))


@pytest.mark.attack("CWE-158: NUL byte in an OAuth parameter on PostgreSQL (issue 10 L1)")
def test_when_basic_client_id_holds_nul_then_400_invalid_basic_auth_header(server: Server) -> None:
    credentials = base64.b64encode(b"3MVG%00abc:secret").decode()
    with nothing_issued(server), server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {credentials}"},
        )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_basic_auth_header"


@pytest.mark.attack("CWE-158: NUL byte in an OAuth parameter on PostgreSQL (issue 10 L1)")
@pytest.mark.parametrize("parameter", ["client_id", "redirect_uri", "login_hint"])
def test_when_authorize_parameter_holds_nul_then_400_error_page(server: Server, parameter: str) -> None:
    app, _ = server.create_app()
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": "http://localhost:1717/OauthRedirect",
        parameter: "x\x00y",
    }
    with nothing_issued(server), server.client() as client:
        response = client.get("/services/oauth2/authorize", params=params)
    assert response.status_code == 400, response.text
    assert "invalid_request" in response.text


def _login_page(server: Server, client: httpx.Client, path: str) -> httpx.Response:
    if path == "/setup/connect":
        return client.get(path)
    app, _ = server.create_app()
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK}
    return client.get(authorize_url(params))


@pytest.mark.attack("CWE-158: NUL byte in a login form's username on PostgreSQL (issue 10 L1)")
@pytest.mark.parametrize("path", ["/login", "/setup/connect"])
def test_when_login_form_username_holds_nul_then_refused_as_tampered(server: Server, path: str) -> None:
    """The form we serve never holds a NUL: refused like any other tampered form (403 page). As
    every request refused while parsing (a duplicate parameter, an oversized body), it is no login
    attempt and writes no login history."""
    user = server.create_user()
    with server.client() as browser:
        page = _login_page(server, browser, path)
        assert 'name="password"' in page.text, page.text
        with nothing_issued(server):
            response = submit(browser, page, username=user.username + "\x00", password=PASSWORD)
    assert response.status_code == 403, response.text
    assert "tampered" in response.text
    assert not server.login_history_of(username=user.username)


@pytest.mark.attack("CWE-158: NUL byte in SOAP login() on PostgreSQL (issue 10 L1)")
@pytest.mark.parametrize("reference", ["&#0;", "&#x0;", "&#xD800;"])
def test_when_soap_username_holds_nul_then_client_fault(server: Server, reference: str) -> None:
    envelope = (
        '<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Body>'
        '<login xmlns="urn:partner.soap.sforce.com">'
        f"<username>a{reference}@example.com</username><password>x</password>"
        "</login></se:Body></se:Envelope>"
    )
    with nothing_issued(server), server.client() as client:
        response = client.post(
            "/services/Soap/u/59.0", content=envelope, headers={"Content-Type": "text/xml"}
        )
    assert response.status_code == 500, response.text  # SOAP 1.1 faults travel as 500
    assert "soapenv:Client" in response.text or "INVALID_LOGIN" in response.text, response.text


# --- headers --------------------------------------------------------------------------------------


@pytest.mark.attack("OWASP ASVS 4.0.3 V14.4.4 nosniff, CWE-525 cached sensitive data (issue 10)")
def test_when_token_bearing_answers_then_no_store_and_nosniff(server: Server) -> None:
    token = token_for(server, server.create_user(), scopes="api openid")
    with server.client(headers=bearer(token)) as client:
        answers = [
            client.get("/services/oauth2/userinfo"),
            client.get(f"{DATA}/"),
            client.get(f"{DATA}/query", params={"q": "SELECT Id FROM Account LIMIT 1"}),
            client.get(f"{DATA}/sobjects/Account/001000000000000AAA"),
            client.get("/services/data/v62.0/nothing-here"),
        ]
    for answer in answers:
        assert answer.headers.get("cache-control") == "no-store", (answer.url, answer.headers)
        assert answer.headers.get("x-content-type-options") == "nosniff", (answer.url, answer.headers)


@pytest.mark.attack("RFC 6797 §7.2: no HSTS over plain HTTP, from anyone untrusted")
def test_when_plain_http_then_no_hsts(server: Server) -> None:
    with server.client() as client:
        plain = client.get(OPEN)
        claimed = client.get("/services/data", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in plain.headers
    assert "strict-transport-security" not in claimed.headers  # 127.0.0.1 is no trusted proxy here


@pytest.fixture(scope="module")
def tls(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    yield from start_tls_server(server, tmp_path_factory.mktemp("tls"))


@pytest.mark.attack("OWASP ASVS 5.0 V3.4.1, RFC 6797 §7.1: HSTS on HTTPS (issue 10 L13)")
@pytest.mark.parametrize("path", ["/services/data", "/.well-known/openid-configuration", "/nowhere"])
def test_when_served_over_https_then_hsts_for_a_year_with_subdomains(tls: TlsServer, path: str) -> None:
    with httpx.Client(verify=ssl.create_default_context(cafile=tls.ca_cert), timeout=10) as client:
        response = client.get(tls.url + path)
    assert response.headers.get("strict-transport-security") == HSTS


@pytest.fixture(scope="module")
def proxied(backend: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server behind a TLS-terminating proxy on 127.0.0.1."""
    name, url = backend
    settings = make_settings(
        url, tmp_path_factory.mktemp("proxied"), trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),)
    )
    yield from start_server(settings, name)


@pytest.mark.attack("OWASP ASVS 5.0 V3.4.1, RFC 6797 §7.1: HSTS behind a TLS proxy (issue 10 L13)")
@pytest.mark.parametrize(("proto", "hsts"), [("https", True), ("http", False), (None, False)])
def test_when_trusted_proxy_forwards_https_then_hsts(proxied: Server, proto: str | None, hsts: bool) -> None:
    headers = {"X-Forwarded-Proto": proto} if proto else {}
    with proxied.client() as client:
        response = client.get("/services/data", headers=headers)
    assert response.headers.get("strict-transport-security") == (HSTS if hsts else None)


# --- an unhandled error ---------------------------------------------------------------------------


@pytest.mark.attack("CWE-755: an unhandled error logged twice and the connection dropped (issue 10)")
def test_when_a_route_fails_unexpectedly_then_500_logged_once_and_connection_kept(
    server: Server, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    marker = f"boom-{secrets.token_hex(4)}"

    def fail() -> None:
        raise RuntimeError(marker)

    monkeypatch.setattr(server.ctx.keys, "jwks", fail)
    with _errors_logged(caplog) as errors, connect(server.url) as sock:
        buffer = bytearray()
        sock.sendall(request_head("GET", "/id/keys") + request_head("GET", OPEN))
        failed = read_answer(sock, buffer)
        after = read_answer(sock, buffer)
    assert failed.status == 500
    assert failed.json() == [
        {"message": "An unexpected error occurred. Please try again.", "errorCode": "UNKNOWN_EXCEPTION"}
    ]
    assert failed.headers.get("connection") != "close"
    assert after.status == 200  # the same connection answers the next request
    logged = [r for r in errors if r.exc_info and marker in str(r.exc_info[1])]
    assert len(logged) == 1, [r.getMessage() for r in errors]
    assert marker not in failed.body.decode()
