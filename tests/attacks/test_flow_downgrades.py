"""Flow downgrades: a flow made to hand out more than its rules allow, or to skip a check it promises.

Each case refuses (or, for the user-agent flow, withholds the refresh token) and issues nothing it should
not: the user-agent flow's legitimate access token is the only row it may write.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import RSAKey

from forcegate.domain import ConnectedApp, User
from forcegate.org.access import grant_access
from forcegate.storage import repositories as repo
from tests.attacks.unchanged import nothing_issued, snapshot
from tests.support.actors import FIXTURE
from tests.support.browser import authorize
from tests.support.server import PASSWORD, Server

LOOPBACK = "http://localhost:1717/OauthRedirect"
WEB_PAGE = "https://app.example.com/oauth/callback"
NATIVE = "com.example.app:/oauth/done"
VERIFIER = "v" * 43 + "-._~" + "x" * 60
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _fragment(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


# --- M2: refresh tokens in the user-agent flow's fragment ---------------------------------------------


def _user_agent(server: Server, app: ConnectedApp, redirect_uri: str, scope: str | None) -> dict[str, str]:
    params = {"response_type": "token", "client_id": app.consumer_key, "redirect_uri": redirect_uri}
    if scope is not None:
        params["scope"] = scope
    user = server.create_user()
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD)
    assert outcome.response.status_code == 302, outcome.response.text
    return _fragment(outcome.location)


def _platform_cli(server: Server) -> ConnectedApp:
    with server.ctx.db.read() as conn:
        app = repo.app_by_consumer_key(conn, "PlatformCLI")
    assert app is not None
    return app


@pytest.mark.attack("RFC 6749 §4.2.2; Salesforce: OAuth 2.0 User-Agent Flow (refresh_token)")
@pytest.mark.parametrize(
    ("app_kind", "redirect_uri", "scope"),
    [
        pytest.param("custom", WEB_PAGE, "api refresh_token", id="https-web-page-asks-refresh_token"),
        pytest.param("custom", WEB_PAGE, "api offline_access", id="https-web-page-asks-offline_access"),
        pytest.param("custom", LOOPBACK, "api refresh_token", id="loopback-http-asks-refresh_token"),
        pytest.param("custom", NATIVE, None, id="custom-scheme-no-scope-asked"),
        pytest.param("custom", WEB_PAGE, None, id="https-web-page-no-scope-asked"),
        pytest.param("PlatformCLI", LOOPBACK, None, id="PlatformCLI-no-scope"),
        pytest.param("PlatformCLI", LOOPBACK, "api refresh_token", id="PlatformCLI-asks-refresh_token"),
    ],
)
def test_user_agent_flow_puts_no_refresh_token_in_a_web_pages_fragment(
    server: Server, app_kind: str, redirect_uri: str, scope: str | None
) -> None:
    if app_kind == "PlatformCLI":
        app = _platform_cli(server)
    else:
        app, _ = server.create_app(
            callback_urls=[LOOPBACK, WEB_PAGE, NATIVE], scopes="api refresh_token offline_access id"
        )
    before = snapshot(server)["refresh_tokens"]
    fields = _user_agent(server, app, redirect_uri, scope)
    assert "access_token" in fields
    assert "refresh_token" not in fields
    assert not {"refresh_token", "offline_access"} & set(fields["scope"].split())
    assert snapshot(server)["refresh_tokens"] == before


# --- L7: PKCE downgrade -----------------------------------------------------------------------------


@pytest.mark.attack("RFC 9700 §2.1.1, §4.8.2 (PKCE downgrade)")
def test_code_verifier_for_a_code_issued_without_challenge_is_refused(server: Server) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": LOOPBACK}
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD)  # the challenge was stripped
    code = outcome.query["code"]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app.consumer_key,
        "client_secret": secret,
        "redirect_uri": LOOPBACK,
        "code_verifier": VERIFIER,
    }
    with nothing_issued(server), server.client() as client:
        response = client.post("/services/oauth2/token", data=form)
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "invalid_grant", "error_description": "invalid code verifier"}


# --- L8: JWT bearer nbf -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signing() -> tuple[RSAKey, str]:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "forcegate nbf attack")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(private_key, hashes.SHA256())
    )
    return RSAKey.import_key(private_key), certificate.public_bytes(serialization.Encoding.PEM).decode()


def _jwt_setup(server: Server, certificate_pem: str) -> tuple[ConnectedApp, User]:
    app, _ = server.create_app(permitted_users="admin_approved")
    app = server.update_app(app, certificate_pem=certificate_pem)
    with server.ctx.db.write() as conn:
        grant_access(server.ctx, conn, app, profile="Standard User", actor=FIXTURE)
    return app, server.create_user()


@pytest.mark.attack("RFC 7519 §4.1.5; RFC 7523 §3")
@pytest.mark.parametrize(
    "nbf",
    [
        pytest.param(lambda now: now + 60, id="a-minute-ahead"),
        pytest.param(lambda now: (now + 120) * 1000, id="milliseconds-two-minutes-ahead"),
        pytest.param(lambda now: str(now + 31 + 5), id="numeric-string-past-the-leeway"),
        pytest.param(lambda now: "tomorrow", id="not-a-number"),
    ],
)
def test_jwt_assertion_before_its_nbf_is_refused(
    server: Server, signing: tuple[RSAKey, str], nbf: Any
) -> None:
    key, certificate_pem = signing
    app, user = _jwt_setup(server, certificate_pem)
    now = server.clock.now_ms() // 1000
    claims = {"iss": app.consumer_key, "sub": user.username, "aud": server.url, "exp": now + 180}
    assertion = jwt.encode({"alg": "RS256"}, {**claims, "nbf": nbf(now)}, key, algorithms=["RS256"])
    with nothing_issued(server), server.client() as client:
        response = client.post(
            "/services/oauth2/token", data={"grant_type": JWT_BEARER, "assertion": assertion}
        )
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}
