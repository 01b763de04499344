"""Golden files of every flow's token response, the authorize redirects, SOAP login, introspection and
revocation, and the errors of each of these surfaces (tests/conformance/golden/README.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey

from forcegate.flows import device
from tests.conformance.conftest import GOLDEN_CALLBACK, GoldenOrg
from tests.support.browser import authorize
from tests.support.client_helpers import approve_device, jwt_setup
from tests.support.golden import assert_golden, exchange
from tests.support.org_settings import LOOPBACK, OrgSettings
from tests.support.server import PASSWORD

TOKEN = "/services/oauth2/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
VERIFIER = "golden-code-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
NONCE = "golden-nonce"
STATE = "golden-state"


def _post(golden_org: GoldenOrg, path: str, data: dict[str, str], **kwargs: Any) -> httpx.Response:
    with golden_org.server.client() as client:
        return client.post(path, data=data, **kwargs)


def _described(response: httpx.Response, form: dict[str, str]) -> str:
    """METHOD path and the request's parameter names (values are in the request, not the shape)."""
    return f"{response.request.method} {response.request.url.path} ({', '.join(sorted(form))})"


def _redirect(golden_org: GoldenOrg, params: dict[str, str], decision: str = "allow") -> httpx.Response:
    user = golden_org.user()
    with golden_org.server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD, decision=decision)
    return outcome.response


def _code(golden_org: GoldenOrg, app_name: str, scope: str, **extra: str) -> str:
    app, _ = golden_org.app(app_name)
    params = {
        "response_type": "code",
        "client_id": app.consumer_key,
        "redirect_uri": GOLDEN_CALLBACK,
        "scope": scope,
        "state": STATE,
        **extra,
    }
    response = _redirect(golden_org, params)
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


def _exchange_code(
    golden_org: GoldenOrg, app_name: str, code: str, **extra: str
) -> tuple[httpx.Response, str]:
    app, secret = golden_org.app(app_name)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app.consumer_key,
        "client_secret": secret,
        "redirect_uri": GOLDEN_CALLBACK,
        **extra,
    }
    response = _post(golden_org, TOKEN, form)
    return response, _described(response, form)


# --- token responses ------------------------------------------------------------------------------


def test_authorization_code(golden_org: GoldenOrg) -> None:
    code = _code(golden_org, "web", "api refresh_token")
    response, request = _exchange_code(golden_org, "web", code)
    assert_golden("token_authorization_code", exchange(golden_org.normaliser(), response, request))


def test_authorization_code_openid(golden_org: GoldenOrg) -> None:
    code = _code(golden_org, "web", "openid api refresh_token", nonce=NONCE)
    response, request = _exchange_code(golden_org, "web", code)
    assert_golden("token_authorization_code_openid", exchange(golden_org.normaliser(), response, request))


def test_authorization_code_pkce(golden_org: GoldenOrg) -> None:
    challenge = create_s256_code_challenge(VERIFIER)
    code = _code(golden_org, "web", "api", code_challenge=challenge, code_challenge_method="S256")
    response, request = _exchange_code(golden_org, "web", code, code_verifier=VERIFIER)
    assert_golden("token_authorization_code_pkce", exchange(golden_org.normaliser(), response, request))


@pytest.mark.parametrize(
    ("scope", "name"),
    [
        ("api refresh_token", "token_refresh_token"),
        ("openid api refresh_token", "token_refresh_token_openid"),
    ],
)
def test_refresh_token(golden_org: GoldenOrg, scope: str, name: str) -> None:
    code = _code(golden_org, "web", scope, nonce=NONCE)
    tokens, _ = _exchange_code(golden_org, "web", code)
    app, secret = golden_org.app("web")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens.json()["refresh_token"],
        "client_id": app.consumer_key,
        "client_secret": secret,
    }
    response = _post(golden_org, TOKEN, form)
    assert_golden(name, exchange(golden_org.normaliser(), response, _described(response, form)))


def test_jwt_bearer(golden_org: GoldenOrg, tmp_path: Path) -> None:
    setup = jwt_setup(golden_org.server, tmp_path)
    key = RSAKey.import_key(setup.key_file.read_bytes())
    claims = {
        "iss": setup.app.consumer_key,
        "sub": setup.user.username,
        "aud": golden_org.server.url,
        "exp": golden_org.server.clock.now_ms() // 1000 + 180,
    }
    form = {"grant_type": JWT_BEARER, "assertion": jwt.encode({"alg": "RS256"}, claims, key)}
    response = _post(golden_org, TOKEN, form)
    normaliser = golden_org.normaliser(consumer_key=setup.app.consumer_key)
    assert_golden("token_jwt_bearer", exchange(normaliser, response, _described(response, form)))


def test_client_credentials(golden_org: GoldenOrg) -> None:
    runner = golden_org.user("integration")
    app, secret = golden_org.app(
        "client-credentials",
        client_credentials_enabled=True,
        client_credentials_user=runner.username,
        scopes="api",
    )
    form = {"grant_type": "client_credentials", "client_id": app.consumer_key, "client_secret": secret}
    response = _post(golden_org, TOKEN, form)
    assert_golden(
        "token_client_credentials", exchange(golden_org.normaliser(), response, _described(response, form))
    )


def test_username_password(golden_org: GoldenOrg, org_settings: OrgSettings) -> None:
    org_settings(allow_username_password_flows=True, trusted_ip_ranges=LOOPBACK)
    app, secret = golden_org.app("web")
    form = {
        "grant_type": "password",
        "client_id": app.consumer_key,
        "client_secret": secret,
        "username": golden_org.user().username,
        "password": PASSWORD,
    }
    response = _post(golden_org, TOKEN, form)
    assert_golden(
        "token_username_password", exchange(golden_org.normaliser(), response, _described(response, form))
    )


def test_jwt_access_token(golden_org: GoldenOrg) -> None:
    """An app issuing JWT access tokens: the access token's claim set is pinned."""
    runner = golden_org.user("integration")
    app, secret = golden_org.app(
        "jwt-access-tokens",
        client_credentials_enabled=True,
        client_credentials_user=runner.username,
        scopes="api",
        jwt_access_tokens=True,
    )
    form = {"grant_type": "client_credentials", "client_id": app.consumer_key, "client_secret": secret}
    response = _post(golden_org, TOKEN, form)
    assert_golden(
        "token_jwt_access_token", exchange(golden_org.normaliser(), response, _described(response, form))
    )


@pytest.mark.parametrize(
    ("dialect", "start_path", "start_form", "poll_form"),
    [
        ("salesforce", TOKEN, {"response_type": "device_code"}, {"grant_type": "device", "code": ""}),
        ("rfc8628", "/services/oauth2/device/authorize", {}, {"grant_type": DEVICE_CODE, "device_code": ""}),
    ],
)
def test_device(
    golden_org: GoldenOrg,
    dialect: str,
    start_path: str,
    start_form: dict[str, str],
    poll_form: dict[str, str],
) -> None:
    app, _ = golden_org.app("device", device_flow_enabled=True, scopes="api refresh_token")
    normaliser = golden_org.normaliser()
    start_form = {**start_form, "client_id": app.consumer_key, "scope": "api refresh_token"}
    started = _post(golden_org, start_path, start_form)
    assert started.status_code == 200, started.text
    device_code = started.json()["device_code"]
    code_field = "code" if "code" in poll_form else "device_code"
    poll = {**poll_form, "client_id": app.consumer_key, code_field: device_code}
    pending = _post(golden_org, TOKEN, poll)
    approve_device(golden_org.server, golden_org.user(), started.json()["user_code"])
    response = _post(golden_org, TOKEN, poll)
    # A second device code, left until it expires (the clock is put back after the test).
    second = _post(golden_org, start_path, start_form).json()["device_code"]
    golden_org.server.clock.advance(device.REQUEST_LIFETIME_SECONDS + 1)
    expired = _post(golden_org, TOKEN, {**poll, code_field: second})
    assert_golden(
        f"device_{dialect}",
        {
            "start": exchange(normaliser, started, _described(started, start_form)),
            "pending": exchange(normaliser, pending, _described(pending, poll)),
            "token": exchange(normaliser, response, _described(response, poll)),
            "expired": exchange(normaliser, expired, _described(expired, poll)),
        },
    )


SOAP_LOGIN = (
    '<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header/><se:Body>'
    '<login xmlns="urn:partner.soap.sforce.com"><username>{username}</username>'
    "<password>{password}</password></login></se:Body></se:Envelope>"
)


SOAP_LOGOUT = (
    '<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header>'
    '<SessionHeader xmlns="urn:partner.soap.sforce.com"><sessionId>{session_id}</sessionId></SessionHeader>'
    '</se:Header><se:Body><logout xmlns="urn:partner.soap.sforce.com"/></se:Body></se:Envelope>'
)


def test_soap_login(golden_org: GoldenOrg, org_settings: OrgSettings) -> None:
    org_settings(allow_soap_login=True, trusted_ip_ranges=LOOPBACK)
    headers = {"Content-Type": "text/xml", "SOAPAction": '""'}
    user = golden_org.user()
    with golden_org.server.client() as client:
        ok = client.post(
            "/services/Soap/u/59.0",
            content=SOAP_LOGIN.format(username=user.username, password=PASSWORD),
            headers=headers,
        )
        refused = client.post(
            "/services/Soap/u/59.0",
            content=SOAP_LOGIN.format(username=user.username, password="Wrong-password-1"),
            headers=headers,
        )
    session_id = re.search(r"<sessionId>([^<]+)</sessionId>", ok.text)
    assert session_id is not None, ok.text
    with golden_org.server.client() as client:
        logout = client.post(
            "/services/Soap/u/59.0",
            content=SOAP_LOGOUT.format(session_id=session_id.group(1)),
            headers=headers,
        )
    normaliser = golden_org.normaliser()
    document = {
        "login": exchange(normaliser, ok),
        "invalid_login": exchange(normaliser, refused),
        "logout": exchange(normaliser, logout),
    }
    assert_golden("soap_login", document)


# --- authorize redirects ----------------------------------------------------------------------------


def test_authorize_redirects(golden_org: GoldenOrg) -> None:
    """Where the authorize endpoint sends the browser: success and every kind of refusal."""
    web, _ = golden_org.app("web")
    user_agent, _ = golden_org.app("user-agent", user_agent_flow_enabled=True, scopes="api openid id")
    code_only, _ = golden_org.app("code-only", user_agent_flow_enabled=False)
    blocked, _ = golden_org.app("blocked")
    golden_org.server.update_app(blocked, is_enabled=False)
    # Never approved for any profile: whoever logs in is refused after login.
    approved_only, _ = golden_org.app("admin-approved", permitted_users="admin_approved")
    # Never consented to anything: the consent page is shown, and refused.
    denier = golden_org.user("denier")
    base = {"client_id": web.consumer_key, "redirect_uri": GOLDEN_CALLBACK, "state": STATE}
    cases: dict[str, tuple[dict[str, str], str]] = {
        "code": ({**base, "response_type": "code", "scope": "api"}, "allow"),
        "token": (
            {**base, "client_id": user_agent.consumer_key, "response_type": "token", "scope": "api"},
            "allow",
        ),
        "token_id_token": (
            {
                **base,
                "client_id": user_agent.consumer_key,
                "response_type": "token id_token",
                "scope": "openid api",
                "nonce": NONCE,
            },
            "allow",
        ),
        "access_denied": ({**base, "response_type": "code", "scope": "api"}, "deny"),
        "unsupported_response_type": ({**base, "response_type": "bogus"}, "allow"),
        "user_agent_flow_disabled": (
            {**base, "client_id": code_only.consumer_key, "response_type": "token"},
            "allow",
        ),
        "not_admin_approved": (
            {**base, "client_id": approved_only.consumer_key, "response_type": "code", "scope": "api"},
            "allow",
        ),
        "invalid_scope": ({**base, "response_type": "code", "scope": "api full"}, "allow"),
        "app_blocked": ({**base, "client_id": blocked.consumer_key, "response_type": "code"}, "allow"),
        "pkce_method_unsupported": (
            {**base, "response_type": "code", "code_challenge": "x" * 43, "code_challenge_method": "plain"},
            "allow",
        ),
        "duplicate_parameter": ({**base, "response_type": "code", "scope": "api"}, "allow"),
        "unknown_client_page": ({**base, "client_id": "no-such-client", "response_type": "code"}, "allow"),
        "missing_redirect_uri_page": ({"client_id": web.consumer_key, "response_type": "code"}, "allow"),
        "redirect_uri_mismatch_page": (
            {**base, "redirect_uri": "https://evil.example.com/cb", "response_type": "code"},
            "allow",
        ),
    }
    normaliser = golden_org.normaliser()
    document: dict[str, Any] = {}
    user = golden_org.user()
    for name, (params, decision) in cases.items():
        who = denier if name == "access_denied" else user
        sent = sorted(params.items())
        with golden_org.server.client() as browser:
            if name == "duplicate_parameter":
                sent.append(("scope", "id"))
                response = browser.get("/services/oauth2/authorize?" + urlencode(sent))
            else:
                outcome = authorize(browser, params, who.username, PASSWORD, decision=decision)
                response = outcome.response
        described = ", ".join(f"{k}={v}" for k, v in sent if k != "client_id")
        document[name] = normaliser.response(response, f"GET /services/oauth2/authorize ({described})")
    assert_golden("authorize_redirects", document)


# --- the token endpoint's refusals -------------------------------------------------------------------


def test_token_errors(golden_org: GoldenOrg, tmp_path: Path) -> None:
    app, secret = golden_org.app("web")
    device_app, _ = golden_org.app("device", device_flow_enabled=True, scopes="api refresh_token")
    key = app.consumer_key
    code_form = {
        "grant_type": "authorization_code",
        "client_id": key,
        "client_secret": secret,
        "redirect_uri": GOLDEN_CALLBACK,
    }
    cases: dict[str, dict[str, str] | None] = {
        "missing_grant_type": {"client_id": key, "client_secret": secret},
        "unsupported_grant_type": {"grant_type": "bogus", "client_id": key, "client_secret": secret},
        "unknown_client_id": {**code_form, "client_id": "no-such-client", "code": "x"},
        "wrong_client_secret": {**code_form, "client_secret": "0" * len(secret), "code": "x"},
        "invalid_code": {**code_form, "code": "no-such-code"},
        "redirect_uri_mismatch": {
            **code_form,
            "code": "no-such-code",
            "redirect_uri": "https://evil.example.com/",
        },
        "invalid_refresh_token": {
            "grant_type": "refresh_token",
            "client_id": key,
            "client_secret": secret,
            "refresh_token": "x" * 40,
        },
        "password_flow_disabled": {
            "grant_type": "password",
            "client_id": key,
            "client_secret": secret,
            "username": golden_org.user().username,
            "password": PASSWORD,
        },
        "invalid_jwt_assertion": {"grant_type": JWT_BEARER, "assertion": "not.a.jwt"},
        "client_credentials_disabled": {
            "grant_type": "client_credentials",
            "client_id": key,
            "client_secret": secret,
        },
        "device_flow_disabled": {"response_type": "device_code", "client_id": key},
        "device_code_invalid": {
            "grant_type": "device",
            "client_id": device_app.consumer_key,
            "code": "no-such-code",
        },
        "unsupported_response_type": {"response_type": "bogus", "client_id": key},
        "missing_client_secret": {k: v for k, v in code_form.items() if k != "client_secret"} | {"code": "x"},
        "duplicate_parameter": None,  # sent by hand below
    }
    normaliser = golden_org.normaliser()
    document: dict[str, Any] = {}
    for name, form in cases.items():
        if form is None:
            with golden_org.server.client() as client:
                response = client.post(
                    TOKEN,
                    content=f"grant_type=authorization_code&grant_type=password&client_id={key}",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            request = "POST /services/oauth2/token (client_id, grant_type, grant_type)"
        else:
            response = _post(golden_org, TOKEN, form)
            request = _described(response, form)
        document[name] = exchange(normaliser, response, request)
    # The JWT bearer flow for a user whose profile the admin-approved app was not given.
    setup = jwt_setup(golden_org.server, tmp_path)
    claims = {
        "iss": setup.app.consumer_key,
        "sub": golden_org.user("admin", profile="System Administrator").username,
        "aud": golden_org.server.url,
        "exp": golden_org.server.clock.now_ms() // 1000 + 180,
    }
    form = {
        "grant_type": JWT_BEARER,
        "assertion": jwt.encode({"alg": "RS256"}, claims, RSAKey.import_key(setup.key_file.read_bytes())),
    }
    response = _post(golden_org, TOKEN, form)
    document["jwt_user_not_approved"] = exchange(
        golden_org.normaliser(consumer_key=setup.app.consumer_key), response, _described(response, form)
    )
    with golden_org.server.client() as client:
        document["get"] = exchange(normaliser, client.get(TOKEN))
        as_json = client.post(TOKEN, json={"grant_type": "client_credentials", "client_id": key})
        document["json_body"] = exchange(normaliser, as_json, "POST /services/oauth2/token (a JSON body)")
        basic = client.post(TOKEN, data={"grant_type": "client_credentials"}, auth=(key, "wrong"))
        document["wrong_basic_credentials"] = exchange(
            normaliser, basic, "POST /services/oauth2/token (Authorization: Basic, grant_type)"
        )
    assert_golden("token_errors", document)


# --- introspection and revocation ----------------------------------------------------------------------


def test_introspection_and_revocation(golden_org: GoldenOrg) -> None:
    app, secret = golden_org.app("web")
    other, other_secret = golden_org.app("other")
    code = _code(golden_org, "web", "api refresh_token")
    tokens = _exchange_code(golden_org, "web", code)[0].json()
    normaliser = golden_org.normaliser()
    auth = {"client_id": app.consumer_key, "client_secret": secret}
    document: dict[str, Any] = {}

    def call(name: str, path: str, form: dict[str, str], **kwargs: Any) -> None:
        response = _post(golden_org, path, form, **kwargs)
        document[name] = exchange(normaliser, response, _described(response, form))

    introspect = "/services/oauth2/introspect"
    revoke = "/services/oauth2/revoke"
    call("introspect_access_token", introspect, {**auth, "token": tokens["access_token"]})
    call(
        "introspect_refresh_token",
        introspect,
        {**auth, "token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
    )
    call("introspect_unknown_token", introspect, {**auth, "token": "x" * 40})
    call(
        "introspect_other_apps_token",
        introspect,
        {"client_id": other.consumer_key, "client_secret": other_secret, "token": tokens["access_token"]},
    )
    call("introspect_without_client_auth", introspect, {"token": tokens["access_token"]})
    call(
        "introspect_wrong_secret",
        introspect,
        {**auth, "client_secret": "0" * len(secret), "token": tokens["access_token"]},
    )
    call("introspect_missing_token", introspect, auth)
    call("revoke_missing_token", revoke, {})
    call("revoke_unknown_token", revoke, {"token": "x" * 40})
    call("revoke_access_token", revoke, {"token": tokens["access_token"]})
    call("introspect_revoked_token", introspect, {**auth, "token": tokens["access_token"]})
    with golden_org.server.client() as client:
        response = client.get(revoke, params={"token": tokens["refresh_token"]})
    document["revoke_by_get"] = exchange(normaliser, response, "GET /services/oauth2/revoke?token=")
    assert_golden("token_management", document)
