"""OpenID Connect over real HTTP: discovery, JWKS, id_tokens in every flow that grants ``openid``,
userinfo claims by scope, signing key rotation (CLI, several processes) and JWT access tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt as pyjwt
import pytest
from cryptography.fernet import Fernet
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from forcegate.context import Context
from forcegate.keys import ID_TOKEN_LIFETIME_SECONDS
from forcegate.storage import signing_keys
from tests.support.admin_api import api_for
from tests.support.browser import authorize
from tests.support.device import approve_user_code, poll_rfc, start_rfc
from tests.support.server import PASSWORD, Server, make_settings, start_server

CALLBACK = "http://localhost:1717/OauthRedirect"
FRAGMENT_CALLBACK = "https://app.example.com/oauth/callback"
FORCEGATE = Path(sys.executable).parent / "forcegate"


# --- helpers --------------------------------------------------------------------------------------


def _jwks(server: Server | str) -> dict[str, Any]:
    url = server if isinstance(server, str) else server.url
    with httpx.Client(timeout=30) as client:
        response = client.get(url + "/id/keys")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _decode(token: str, jwks: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a JWT whose signature verifies against ``jwks`` (joserfc picks by kid)."""
    # RFC 7515 §4: header parameters a verifier does not know (Salesforce's tty, tnk, ver) are ignored.
    registry = JWSRegistry(algorithms=["RS256"], strict_check_header=False)
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), registry=registry)  # type: ignore[arg-type]
    return dict(decoded.header), dict(decoded.claims)


def _at_hash(access_token: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()[:16]).decode().rstrip("=")


def _code(server: Server, client_id: str, username: str, **extra: str) -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": CALLBACK, **extra}
    with server.client() as browser:
        outcome = authorize(browser, params, username, PASSWORD)
    assert outcome.response.status_code == 302, outcome.response.text
    return outcome.query["code"]


def _code_tokens(server: Server, scope: str, **extra: str) -> tuple[dict[str, Any], Any, str, Any]:
    """(token response, app, secret, user) of a Web Server flow with ``scope``."""
    app, secret = server.create_app(scopes="api refresh_token openid web id profile email address phone")
    user = server.create_user()
    code = _code(server, app.consumer_key, user.username, scope=scope, **extra)
    with server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": app.consumer_key,
                "client_secret": secret,
                "redirect_uri": CALLBACK,
            },
        )
    assert response.status_code == 200, response.text
    return response.json(), app, secret, user


def _refresh(server: Server, app: Any, secret: str, refresh_token: str) -> dict[str, Any]:
    with server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": app.consumer_key,
                "client_secret": secret,
            },
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _userinfo(server: Server, access_token: str) -> httpx.Response:
    with server.client() as client:
        return client.get("/services/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def _cli(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEGATE_")}
    env["FORCEGATE_SERVER_KEYS"] = str(server.ctx.settings.server_keys)
    return subprocess.run(
        [str(FORCEGATE), *args, "--database", server.ctx.settings.database_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _cli_json(server: Server, *args: str) -> Any:
    result = _cli(server, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _assert_id_token(
    server: Server, body: dict[str, Any], app: Any, user: Any, *, nonce: str | None
) -> dict[str, Any]:
    """The id_token verifies against the published JWKS and carries exactly the expected claims."""
    jwks = _jwks(server)
    header, claims = _decode(body["id_token"], jwks)
    assert header["alg"] == "RS256" and header["typ"] == "JWT"
    assert [k["kid"] for k in jwks["keys"]].count(header["kid"]) == 1
    identity = f"{server.url}/id/{server.org_id}/{user.id}"
    expected = {"iss", "sub", "aud", "exp", "iat", "auth_time", "at_hash"} | ({"nonce"} if nonce else set())
    assert set(claims) == expected
    assert claims["iss"] == server.url
    assert claims["sub"] == identity == body["id"]
    assert claims["aud"] == app.consumer_key
    assert claims["exp"] - claims["iat"] == ID_TOKEN_LIFETIME_SECONDS
    assert abs(claims["iat"] - server.clock.now_ms() // 1000) <= 5
    assert claims["auth_time"] <= claims["iat"]
    assert claims["at_hash"] == _at_hash(body["access_token"])
    if nonce:
        assert claims["nonce"] == nonce
    return claims


# --- discovery and JWKS ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"]
)
def test_when_discovery_requested_then_issuer_is_the_served_url_and_every_endpoint_listed(
    server: Server, path: str
) -> None:
    with server.client() as client:
        response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["access-control-allow-origin"] == "*"
    doc = response.json()
    oauth2 = server.url + "/services/oauth2"
    assert doc["issuer"] == server.url
    assert doc["authorization_endpoint"] == oauth2 + "/authorize"
    assert doc["token_endpoint"] == oauth2 + "/token"
    assert doc["userinfo_endpoint"] == oauth2 + "/userinfo"
    assert doc["revocation_endpoint"] == oauth2 + "/revoke"
    assert doc["introspection_endpoint"] == oauth2 + "/introspect"
    assert doc["device_authorization_endpoint"] == oauth2 + "/device/authorize"
    assert doc["jwks_uri"] == server.url + "/id/keys"
    assert doc["end_session_endpoint"] == server.url + "/services/auth/idp/oidc/logout"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["response_types_supported"] == ["code", "token", "token id_token"]
    assert doc["subject_types_supported"] == ["public"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert {
        "authorization_code",
        "implicit",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:device_code",
    } <= set(doc["grant_types_supported"])
    # Every grant listed is one the token endpoint answers (an empty request of it is refused for
    # what is missing, never as an unsupported grant type).
    with server.client() as client:
        for grant in set(doc["grant_types_supported"]) - {"implicit"}:
            answer = client.post("/services/oauth2/token", data={"grant_type": grant})
            assert answer.status_code == 400 and answer.json()["error"] != "unsupported_grant_type", grant
        unknown = client.post("/services/oauth2/token", data={"grant_type": "urn:example:not-a-grant"})
        assert unknown.json()["error"] == "unsupported_grant_type"
    assert {"openid", "profile", "email", "address", "phone", "api", "refresh_token"} <= set(
        doc["scopes_supported"]
    )
    assert {"sub", "user_id", "organization_id", "email", "name", "address", "phone_number"} <= set(
        doc["claims_supported"]
    )
    assert doc["request_uri_parameter_supported"] is False
    # Every endpoint it names answers something other than 404 (each is served here).
    with server.client() as client:
        for key in ("token_endpoint", "userinfo_endpoint", "revocation_endpoint", "introspection_endpoint"):
            assert client.post(doc[key]).status_code != 404, key
        assert client.post(doc["device_authorization_endpoint"]).status_code != 404
        assert client.get(doc["jwks_uri"]).status_code == 200


@pytest.fixture
def proxied(server: Server, tmp_path: Path) -> Iterator[Server]:
    """Another process on the same database and server key, served under a public URL."""
    settings = make_settings(
        server.ctx.settings.database_url,
        tmp_path,
        public_url="https://fg.example.com",
        server_keys=server.ctx.settings.server_keys,
    )
    yield from start_server(settings, server.backend)


def test_when_served_under_a_public_url_then_issuer_and_id_token_iss_are_that_url(
    server: Server, proxied: Server
) -> None:
    with proxied.client() as client:
        doc = client.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == "https://fg.example.com"
    assert doc["jwks_uri"] == "https://fg.example.com/id/keys"
    app, secret = server.create_app()
    user = server.create_user()
    # The pages set Secure cookies under an https public URL: log in on the plain one, exchange there.
    code = _code(server, app.consumer_key, user.username, scope="openid api")
    with proxied.client() as client:
        body = client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": app.consumer_key,
                "client_secret": secret,
                "redirect_uri": CALLBACK,
            },
        ).json()
    _, claims = _decode(body["id_token"], _jwks(proxied))
    assert claims["iss"] == "https://fg.example.com"
    assert claims["sub"] == f"https://fg.example.com/id/{server.org_id}/{user.id}"


def test_when_jwks_requested_then_public_rsa_keys_only(server: Server) -> None:
    jwks = _jwks(server)
    assert jwks["keys"], "a signing key exists from the start"
    for key in jwks["keys"]:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
        assert key["kid"] and key["e"] == "AQAB" and len(base64.urlsafe_b64decode(key["n"] + "==")) == 256
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_when_keys_stored_then_private_parts_are_encrypted_under_the_server_key(server: Server) -> None:
    with server.ctx.db.read() as conn:
        rows = [k for k in signing_keys.all_keys(conn) if k.private_key_encrypted]
    assert rows
    for row in rows:
        assert "PRIVATE KEY" not in row.private_key_encrypted
        assert server.ctx.box.decrypt(row.private_key_encrypted).startswith("-----BEGIN PRIVATE KEY-----")


# --- id_tokens, flow by flow ----------------------------------------------------------------------


def test_when_code_exchanged_with_openid_and_nonce_then_id_token_verifies_and_matches_userinfo(
    server: Server,
) -> None:
    nonce = "n-" + secrets.token_urlsafe(12)
    before = server.clock.now_ms() // 1000
    body, app, _, user = _code_tokens(server, "openid api", nonce=nonce)

    claims = _assert_id_token(server, body, app, user, nonce=nonce)

    # auth_time is when the user logged in on the page, not when the code was exchanged.
    assert before - 1 <= claims["auth_time"] <= claims["iat"]
    info = _userinfo(server, body["access_token"])
    assert info.status_code == 200 and info.json()["sub"] == claims["sub"]


def test_when_request_had_no_nonce_then_id_token_has_none(server: Server) -> None:
    body, app, _, user = _code_tokens(server, "openid api")
    claims = _assert_id_token(server, body, app, user, nonce=None)
    assert "nonce" not in claims


def test_when_openid_not_granted_then_no_id_token(server: Server) -> None:
    body, _, _, _ = _code_tokens(server, "api refresh_token")
    assert "id_token" not in body


def test_when_refreshed_then_new_id_token_keeps_auth_time_and_has_no_nonce(server: Server) -> None:
    body, app, secret, user = _code_tokens(server, "openid api refresh_token", nonce="first-nonce")
    first = _assert_id_token(server, body, app, user, nonce="first-nonce")
    server.clock.advance(90)

    refreshed = _refresh(server, app, secret, body["refresh_token"])

    claims = _assert_id_token(server, refreshed, app, user, nonce=None)
    assert claims["auth_time"] == first["auth_time"]
    assert claims["iat"] >= first["iat"] + 89


def test_when_refresh_narrows_scope_without_openid_then_no_id_token(server: Server) -> None:
    body, app, secret, _ = _code_tokens(server, "openid api refresh_token")
    with server.client() as client:
        response = client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": body["refresh_token"],
                "client_id": app.consumer_key,
                "client_secret": secret,
                "scope": "api",
            },
        )
    assert response.status_code == 200, response.text
    assert "id_token" not in response.json()


@pytest.mark.parametrize("response_type", ["token", "token id_token", "id_token token"])
def test_when_user_agent_flow_grants_openid_then_id_token_in_the_fragment(
    server: Server, response_type: str
) -> None:
    app, _ = server.create_app()
    user = server.create_user()
    params = {
        "response_type": response_type,
        "client_id": app.consumer_key,
        "redirect_uri": FRAGMENT_CALLBACK,
        "scope": "openid api",
        "nonce": "ua-nonce",
        "state": "s1",
    }
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD)
    assert outcome.response.status_code == 302, outcome.response.text
    parts = urlsplit(outcome.location)
    assert parts.query == ""
    fields = {k: v[0] for k, v in parse_qs(parts.fragment).items()}
    assert fields["state"] == "s1"
    _assert_id_token(server, fields, app, user, nonce="ua-nonce")


def test_when_device_flow_grants_openid_then_id_token(server: Server) -> None:
    app, _ = server.create_app(device_flow_enabled=True, scopes="openid api refresh_token")
    user = server.create_user()
    started = start_rfc(server, app.consumer_key, scope="openid api")
    assert started.status_code == 200, started.text
    page = approve_user_code(server, user, started.json()["user_code"])
    assert page.status_code == 200, page.text

    response = poll_rfc(server, app.consumer_key, started.json()["device_code"])

    assert response.status_code == 200, response.text
    _assert_id_token(server, response.json(), app, user, nonce=None)


# --- userinfo claims by scope ---------------------------------------------------------------------

_PROFILE = {"name", "given_name", "family_name", "preferred_username", "nickname", "updated_at", "locale"}


@pytest.mark.parametrize(
    ("scope", "present", "absent"),
    [
        ("openid api", set(), _PROFILE | {"email", "address", "phone_number"}),
        ("openid profile", _PROFILE, {"email", "email_verified", "address", "phone_number"}),
        ("openid email", {"email", "email_verified"}, _PROFILE | {"address", "phone_number"}),
        ("openid address", {"address"}, _PROFILE | {"email", "phone_number"}),
        # No phone number is stored: the phone scope releases no claim with a value, and none is null.
        ("openid phone", set(), _PROFILE | {"email", "address", "phone_number"}),
        ("id api", _PROFILE | {"email", "address"}, set()),
    ],
)
def test_when_userinfo_called_then_claims_follow_the_granted_scopes(
    server: Server, scope: str, present: set[str], absent: set[str]
) -> None:
    body, _, _, user = _code_tokens(server, scope)
    info = _userinfo(server, body["access_token"])
    assert info.status_code == 200
    claims = info.json()
    assert claims["sub"] == body["id"] and claims["user_id"] == user.id
    assert claims["organization_id"] == server.org_id
    assert present <= set(claims), present - set(claims)
    assert not absent & set(claims), absent & set(claims)
    assert None not in claims.values()
    if "email" in present:
        assert claims["email"] == user.email
    if "updated_at" in present:
        assert isinstance(claims["updated_at"], int)


# --- key rotation ---------------------------------------------------------------------------------


def _signed_kid(server: Server, app: Any, secret: str, refresh_token: str) -> tuple[str, str]:
    token = _refresh(server, app, secret, refresh_token)["id_token"]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    return header["kid"], token


def _wait_for_kid(server: Server, app: Any, secret: str, refresh_token: str, kid: str) -> str:
    """Refresh until the server signs with ``kid`` (it re-reads the active key every few seconds)."""
    deadline = time.monotonic() + server.ctx.settings.signing_key_refresh_seconds + 10
    while True:
        signed, token = _signed_kid(server, app, secret, refresh_token)
        if signed == kid or time.monotonic() > deadline:
            assert signed == kid, f"still signing with {signed}"
            return token
        time.sleep(0.25)


@pytest.fixture
def second_process(server: Server, tmp_path: Path) -> Iterator[Server]:
    settings = make_settings(
        server.ctx.settings.database_url, tmp_path, server_keys=server.ctx.settings.server_keys
    )
    yield from start_server(settings, server.backend)


def test_when_keys_rotated_then_every_process_signs_with_the_new_key_and_old_tokens_still_verify(
    server: Server, second_process: Server
) -> None:
    body, app, secret, user = _code_tokens(server, "openid api refresh_token")
    old_token = body["id_token"]
    old_kid, _ = _signed_kid(server, app, secret, body["refresh_token"])
    header, claims = _decode(old_token, _jwks(server))
    assert header["kid"] == old_kid and claims["sub"] == f"{server.url}/id/{server.org_id}/{user.id}"

    rotated = _cli_json(server, "keys", "rotate")

    new_kid = rotated["active"]
    assert new_kid != old_kid and old_kid in rotated["published_until_retired"]
    # Both processes switch without a restart; both publish both keys.
    new_token = _wait_for_kid(server, app, secret, body["refresh_token"], new_kid)
    _wait_for_kid(second_process, app, secret, body["refresh_token"], new_kid)
    for process in (server, second_process):
        jwks = _jwks(process)
        assert {old_kid, new_kid} <= {k["kid"] for k in jwks["keys"]}
        assert _decode(old_token, jwks)[1]["sub"] == _decode(new_token, jwks)[1]["sub"]
    listed = {k["kid"]: k for k in _cli_json(server, "keys", "list")}
    assert listed[new_kid]["status"] == "active" and listed[old_kid]["status"] == "published"

    # The old key cannot be retired while its tokens may be valid, nor the signing key at all.
    assert "use --force" in _cli(server, "keys", "retire", old_kid).stderr
    assert "rotate first" in _cli(server, "keys", "retire", new_kid).stderr
    assert _cli(server, "keys", "retire", "no-such-kid").returncode != 0

    # Once every token it signed has expired, the old key leaves the JWKS by itself...
    server.clock.advance((listed[old_kid]["retire_after_ms"] - server.clock.now_ms()) / 1000 + 1)
    kids = {k["kid"] for k in _jwks(server)["keys"]}
    assert old_kid not in kids and new_kid in kids
    with pytest.raises(InvalidKeyIdError):
        _decode(old_token, _jwks(server))
    # ...and an admin can retire it for good (wiping its private part).
    assert _cli_json(server, "keys", "retire", old_kid, "--force") == {"retired": [old_kid]}
    with server.ctx.db.read() as conn:
        retired = signing_keys.key_by_kid(conn, old_kid)
    assert retired is not None and retired.retired_ms is not None and retired.private_key_encrypted == ""
    assert _cli_json(server, "keys", "retire") == {"retired": []}


# --- JWT access tokens ----------------------------------------------------------------------------


def test_when_app_uses_jwt_access_tokens_then_token_verifies_from_jwks_and_works_until_revoked(
    server: Server,
) -> None:
    app, secret = server.create_app(jwt_access_tokens=True, access_token_lifetime_seconds=900)
    user = server.create_user()
    code = _code(server, app.consumer_key, user.username, scope="api openid refresh_token")
    with server.client() as client:
        body = client.post(
            "/services/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": app.consumer_key,
                "client_secret": secret,
                "redirect_uri": CALLBACK,
            },
        ).json()
    token = body["access_token"]
    header, claims = _decode(token, _jwks(server))  # what any resource server can do locally
    # ...with another library too: PyJWT, checking audience and issuer.
    jwks = pyjwt.PyJWKSet.from_dict(_jwks(server))
    key = next(k for k in jwks.keys if k.key_id == header["kid"])
    checked = pyjwt.decode(token, key, algorithms=["RS256"], audience=server.url, issuer=server.url)
    assert checked["client_id"] == app.consumer_key
    assert header["typ"] == "JWT" and header["tty"] == "sfdc-core-token"
    assert claims["iss"] == server.url and claims["aud"] == server.url
    assert claims["sub"] == body["id"] and claims["client_id"] == app.consumer_key
    assert claims["scope"] == "api openid refresh_token" and claims["scp"] == [
        "api",
        "openid",
        "refresh_token",
    ]
    assert claims["exp"] - claims["iat"] == 900 and claims["nbf"] == claims["iat"] and claims["jti"]
    _, id_claims = _decode(body["id_token"], _jwks(server))
    assert id_claims["at_hash"] == _at_hash(token)

    assert _userinfo(server, token).status_code == 200
    # Refreshing mints another JWT access token.
    refreshed = _refresh(server, app, secret, body["refresh_token"])["access_token"]
    assert refreshed.count(".") == 2 and refreshed != token

    def introspect(presented: str) -> dict[str, Any]:
        with server.client() as client:
            answer = client.post(
                "/services/oauth2/introspect",
                data={"token": presented},
                auth=(app.consumer_key, secret),
            )
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    assert introspect(token)["active"] is True
    with server.client() as client:
        revoked = client.post("/services/oauth2/revoke", data={"token": token})
    assert revoked.status_code == 200, revoked.text
    assert introspect(token) == {"active": False}
    after = _userinfo(server, token)
    assert after.status_code == 401 and after.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    assert _userinfo(server, refreshed).status_code == 200

    server.clock.advance(901)
    assert _userinfo(server, refreshed).status_code == 401


def test_when_jwt_access_token_is_tampered_with_then_refused(server: Server) -> None:
    app, _ = server.create_app(jwt_access_tokens=True)
    user = server.create_user()
    params = {
        "response_type": "token",
        "client_id": app.consumer_key,
        "redirect_uri": FRAGMENT_CALLBACK,
        "scope": "api",
    }
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD)
    token = parse_qs(urlsplit(outcome.location).fragment)["access_token"][0]
    assert _userinfo(server, token).status_code == 200
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["exp"] += 3600
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    forged = f"{head}.{forged_payload}.{signature}"
    assert _userinfo(server, forged).status_code == 401


def test_when_app_does_not_opt_in_then_access_tokens_stay_opaque(server: Server) -> None:
    body, _, _, _ = _code_tokens(server, "openid api")
    assert body["access_token"].startswith(server.org_id[:15] + "!")


def test_when_jwt_access_tokens_set_by_admin_api_then_shown_and_applied(server: Server) -> None:
    admin = api_for(server)
    created = admin.ok(
        "POST",
        "/connected-apps",
        201,
        json={
            "name": f"jwt-{secrets.token_hex(4)}",
            "callback_urls": [CALLBACK],
            "scopes": "api",
            "jwt_access_tokens": True,
        },
    )
    assert created["jwt_access_tokens"] is True
    updated = admin.ok("PATCH", f"/connected-apps/{created['id']}", json={"jwt_access_tokens": False})
    assert updated["jwt_access_tokens"] is False
    refused = admin.call("PATCH", f"/connected-apps/{created['id']}", json={"jwt_access_tokens": "yes"})
    assert refused.status_code == 400


# --- the CLI on its own database: app option, server key rotation --------------------------------


def _run(home: Path, keys: str, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORCEGATE_")}
    env.update(FORCEGATE_HOME=str(home), FORCEGATE_SERVER_KEYS=keys, FORCEGATE_ARGON2_MEMORY_KIB="1024")
    result = subprocess.run(
        [str(FORCEGATE), *args, "--database", f"sqlite:///{home / 'x.db'}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_when_server_key_rotated_then_signing_keys_are_reencrypted_and_still_sign(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    _run(tmp_path, old, "db", "upgrade")
    assert _run(tmp_path, old, "keys", "list") == []
    first = _run(tmp_path, old, "keys", "rotate")
    assert first["active"] == "1" and first["published_until_retired"] == []
    app = _run(
        tmp_path,
        old,
        "apps",
        "create",
        "--name",
        "Jwt",
        "--callback-url",
        CALLBACK,
        "--scopes",
        "api openid",
        "--jwt-access-tokens",
    )
    assert app["jwt_access_tokens"] is True
    updated = _run(tmp_path, old, "apps", "update", "Jwt", "--no-jwt-access-tokens")
    assert updated["jwt_access_tokens"] is False

    reencrypted = _run(tmp_path, f"{new},{old}", "server-key", "reencrypt")

    assert reencrypted["reencrypted_signing_keys"] == 1
    database = f"sqlite:///{tmp_path / 'x.db'}"
    only_new = Context.from_settings(make_settings(database, tmp_path, server_keys=new))
    only_old = Context.from_settings(make_settings(database, tmp_path, server_keys=old))
    try:
        token = only_new.keys.sign({"sub": "x"})
        assert jwt.decode(token, only_new.keys.key_set()).claims == {"sub": "x"}
        with pytest.raises(ValueError, match="cannot be decrypted"):
            only_old.keys.sign({"sub": "x"})
    finally:
        only_new.db.dispose()
        only_old.db.dispose()
