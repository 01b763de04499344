"""The Web Server flow end to end, over real HTTP against a running server, on every backend."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from requests_oauthlib import OAuth2Session

from tests.support.browser import authorize
from tests.support.server import PASSWORD, Server

CALLBACK = "http://localhost:1717/OauthRedirect"
ACCESS_TOKEN = re.compile(r"^(00D\w{12,15})![.\w]+$")
REFRESH_TOKEN = re.compile(r"^[A-Za-z0-9._]+$")


def _code(server: Server, client_id: str, username: str, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "state": "st-1",
        **extra,
    }
    with server.client() as browser:
        outcome = authorize(browser, params, username, PASSWORD)
    assert outcome.response.status_code == 302, outcome.response.text
    assert outcome.query["state"] == "st-1"
    return outcome.query["code"]


def _exchange(server: Server, **form: str) -> httpx.Response:
    with server.client() as client:
        return client.post("/services/oauth2/token", data={"grant_type": "authorization_code", **form})


def test_when_code_exchanged_then_salesforce_token_response_and_protected_endpoints_work(
    server: Server,
) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    code = _code(server, app.consumer_key, user.username, scope="api refresh_token")
    assert len(code) > 4

    response = _exchange(
        server, code=code, client_id=app.consumer_key, client_secret=secret, redirect_uri=CALLBACK
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {
        "access_token",
        "refresh_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    }
    assert ACCESS_TOKEN.match(body["access_token"])
    assert ACCESS_TOKEN.match(body["access_token"]).group(1) == server.org_id[:15]  # type: ignore[union-attr]
    assert REFRESH_TOKEN.match(body["refresh_token"])
    assert body["scope"] == "api refresh_token"
    assert body["instance_url"] == server.url
    assert body["id"] == f"{server.url}/id/{server.org_id}/{user.id}"
    assert body["token_type"] == "Bearer"
    assert body["issued_at"].isdigit() and len(body["issued_at"]) == 13
    expected = base64.b64encode(
        hmac.new(secret.encode(), (body["id"] + body["issued_at"]).encode(), hashlib.sha256).digest()
    ).decode()
    assert body["signature"] == expected

    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    with server.client() as client:
        info = client.get("/services/oauth2/userinfo", headers=bearer)
        assert info.status_code == 200
        assert info.json()["user_id"] == user.id
        assert info.json()["organization_id"] == server.org_id
        assert info.json()["sub"] == body["id"]
        identity = client.get(body["id"], params={"format": "json", "oauth_token": body["access_token"]})
        assert identity.status_code == 200
        assert identity.json()["username"] == user.username
        assert identity.json()["urls"]["rest"] == f"{server.url}/services/data/v{{version}}/"
        versions = client.get("/services/data/", headers=bearer)
        assert versions.status_code == 200
        assert versions.json()[0] == {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}
        assert all(re.fullmatch(r"\d\d\.0", v["version"]) for v in versions.json())


def test_when_only_api_scope_granted_then_no_refresh_token(server: Server) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    code = _code(server, app.consumer_key, user.username, scope="api")
    body = _exchange(
        server, code=code, client_id=app.consumer_key, client_secret=secret, redirect_uri=CALLBACK
    ).json()
    assert "refresh_token" not in body
    assert body["scope"] == "api"


@pytest.mark.parametrize("method", [None, "S256"])
def test_when_pkce_verifier_matches_then_tokens_issued(server: Server, method: str | None) -> None:
    app, _ = server.create_app(require_secret_for_web_server=False)
    user = server.create_user()
    # 171 characters, as jsforce and the Salesforce CLI send (base64url of 128 bytes), with a '~'.
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(128)).decode().rstrip("=")[:170] + "~"
    extra = {"code_challenge": create_s256_code_challenge(verifier)}
    if method:
        extra["code_challenge_method"] = method
    code = _code(server, app.consumer_key, user.username, **extra)
    response = _exchange(
        server, code=code, client_id=app.consumer_key, redirect_uri=CALLBACK, code_verifier=verifier
    )
    assert response.status_code == 200, response.text
    assert "signature" in response.json()


def test_when_authlib_client_runs_the_flow_then_it_gets_tokens_and_userinfo(server: Server) -> None:
    app, secret = server.create_app()
    user = server.create_user()
    verifier = secrets.token_urlsafe(64)
    oauth = OAuth2Client(
        client_id=app.consumer_key,
        client_secret=secret,
        redirect_uri=CALLBACK,
        scope="api refresh_token openid",
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",
    )
    url, state = oauth.create_authorization_url(
        f"{server.url}/services/oauth2/authorize", code_verifier=verifier
    )
    with server.client() as browser:
        path = url[len(server.url) :]
        outcome = authorize(browser, dict(httpx.URL(path).params), user.username, PASSWORD)
    token = oauth.fetch_token(
        f"{server.url}/services/oauth2/token",
        authorization_response=outcome.location,
        code_verifier=verifier,
        state=state,
    )
    assert token["token_type"] == "Bearer"
    assert token["scope"] == "api refresh_token openid"
    info = oauth.get(f"{server.url}/services/oauth2/userinfo")
    assert info.status_code == 200
    assert info.json()["user_id"] == user.id
    assert "preferred_username" not in info.json()  # a profile claim: the profile scope was not asked


def test_when_requests_oauthlib_runs_the_flow_then_scope_check_passes(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the test server is plain http on loopback
    app, secret = server.create_app()
    user = server.create_user()
    session = OAuth2Session(app.consumer_key, redirect_uri=CALLBACK, scope=["api", "refresh_token"])
    url, _state = session.authorization_url(f"{server.url}/services/oauth2/authorize")
    with server.client() as browser:
        outcome = authorize(browser, dict(httpx.URL(url).params), user.username, PASSWORD)
    token = session.fetch_token(
        f"{server.url}/services/oauth2/token",
        authorization_response=outcome.location,
        client_secret=secret,
        include_client_id=True,
    )
    assert token["scope"] == ["api", "refresh_token"]
    assert session.get(f"{server.url}/services/oauth2/userinfo").json()["user_id"] == user.id


def test_when_consent_given_once_then_later_authorizations_skip_it(server: Server) -> None:
    app, _ = server.create_app()
    user = server.create_user()
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "scope": "api",
    }
    with server.client() as browser:
        first = authorize(browser, params, user.username, PASSWORD)
        assert first.pages == ["login", "consent"]
        again = authorize(browser, params, None, None)
        assert again.pages == [] and again.response.status_code == 302 and "code" in again.query
        forced = authorize(browser, {**params, "prompt": "consent"}, None, None)
        assert forced.pages == ["consent"]
        wider = authorize(browser, {**params, "scope": "api refresh_token"}, None, None)
        assert wider.pages == ["consent"]
        relogin = authorize(browser, {**params, "prompt": "login"}, user.username, PASSWORD)
        assert relogin.pages == ["login"] and "code" in relogin.query


def test_when_user_denies_then_access_denied_redirect(server: Server) -> None:
    app, _ = server.create_app()
    user = server.create_user()
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "state": "xyz",
    }
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD, decision="deny")
    assert outcome.response.status_code == 302
    assert outcome.query == {
        "error": "access_denied",
        "error_description": "end-user denied authorization",
        "state": "xyz",
    }


def test_when_login_hint_given_then_login_page_prefills_username(server: Server) -> None:
    app, _ = server.create_app()
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": CALLBACK,
        "login_hint": "ada@<b>acme</b>.com",
    }
    with server.client() as browser:
        page = browser.get("/services/oauth2/authorize", params=params)
    assert page.status_code == 200
    assert 'value="ada@&lt;b&gt;acme&lt;/b&gt;.com"' in page.text  # escaped, never raw HTML
    assert page.headers["x-frame-options"] == "DENY"
