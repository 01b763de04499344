"""A certified OpenID Connect relying party library (pyoidc, ``oic``) against the running server:
discovery, authorization code + PKCE with a nonce, id_token validation, userinfo, refresh and
revocation, each step as the library does it, with nothing configured by hand but the client's
credentials and redirect URI."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from jwkest import BadSignature
from oic import rndstr
from oic.extension.client import Client as OAuthExtensionClient
from oic.oauth2.message import ErrorResponse
from oic.oic import Client
from oic.oic.message import (
    AccessTokenResponse,
    AtHashError,
    AuthorizationResponse,
    IdToken,
    OpenIDSchema,
    RegistrationResponse,
    verify_id_token,
)
from oic.utils.authn.client import CLIENT_AUTHN_METHOD

from tests.support.browser import authorize
from tests.support.server import PASSWORD, Server

CALLBACK = "http://localhost:1717/OauthRedirect"


def _relying_party(server: Server, client_id: str, secret: str) -> Client:
    client = Client(client_authn_method=CLIENT_AUTHN_METHOD)
    client.provider_config(server.url)  # refuses a document whose issuer is not this URL
    client.store_registration_info(
        RegistrationResponse(
            client_id=client_id,
            client_secret=secret,
            redirect_uris=[CALLBACK],
            token_endpoint_auth_method="client_secret_basic",
        )
    )
    client.redirect_uris = [CALLBACK]
    return client


def _log_in_and_consent(server: Server, url: str, username: str) -> dict[str, str]:
    """The browser's part: open the library's authorization URL, log in, allow; the redirect's query."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == server.url
    with server.client() as browser:
        outcome = authorize(browser, dict(parse_qsl(parts.query)), username, PASSWORD)
    assert outcome.response.status_code == 302, outcome.response.text
    assert outcome.location.startswith(CALLBACK + "?")
    return {"query": urlsplit(outcome.location).query}


def _strict_id_token_check(client: Client, response: dict[str, Any], *, nonce: str | None) -> IdToken:
    """pyoidc's own id_token verification with every optional check on: signature by kid from the
    discovered JWKS, iss, aud, exp/iat, at_hash (check_hash), nonce."""
    kwargs: dict[str, Any] = {
        "keyjar": client.keyjar,
        "client_id": client.client_id,
        "iss": client.provider_info["issuer"],
        "skew": 0,
        "nonce_storage_time": 3600,
    }
    raw = AccessTokenResponse(access_token=response["access_token"], id_token=response["id_token_jwt"])
    idt = verify_id_token(raw, check_hash=True, **kwargs)
    assert idt["iss"] == client.provider_info["issuer"]
    assert idt["aud"] == [client.client_id]
    assert idt.jws_header["alg"] == "RS256" and idt.jws_header["kid"]
    if nonce is None:
        assert "nonce" not in idt
    else:
        assert idt["nonce"] == nonce
    return idt


def test_when_pyoidc_runs_the_code_flow_with_pkce_and_nonce_then_every_step_validates(server: Server) -> None:
    app, secret = server.create_app(scopes="openid profile email api refresh_token")
    user = server.create_user()
    client = _relying_party(server, app.consumer_key, secret)
    assert client.provider_info["device_authorization_endpoint"] == (
        server.url + "/services/oauth2/device/authorize"
    )

    # Authorization request: code, PKCE (S256), nonce and state, built by the library.
    state, nonce = rndstr(24), rndstr(24)
    pkce, verifier = client.add_code_challenge()
    request = client.construct_AuthorizationRequest(
        request_args={
            "response_type": "code",
            "scope": ["openid", "profile", "email", "api", "refresh_token"],
            "redirect_uri": CALLBACK,
            "state": state,
            "nonce": nonce,
            **pkce,
        }
    )
    client.state2nonce[state] = nonce
    redirect = _log_in_and_consent(server, request.request(client.authorization_endpoint), user.username)
    authz = client.parse_response(AuthorizationResponse, info=redirect["query"], sformat="urlencoded")
    assert isinstance(authz, AuthorizationResponse) and authz["state"] == state

    # Token request: the library verifies the id_token (signature from JWKS, iss, aud, exp, nonce).
    tokens = client.do_access_token_request(
        state=state,
        request_args={"code": authz["code"], "redirect_uri": CALLBACK, "code_verifier": verifier},
        authn_method="client_secret_basic",
    )
    assert isinstance(tokens, AccessTokenResponse), tokens
    assert isinstance(tokens["id_token"], IdToken)
    idt = _strict_id_token_check(client, tokens, nonce=nonce)
    assert idt["sub"] == f"{server.url}/id/{server.org_id}/{user.id}"
    # The checks are real: a token whose payload was altered (signature kept) is refused.
    head, payload, signature = tokens["id_token_jwt"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = claims["sub"][:-1] + ("A" if claims["sub"][-1] != "A" else "B")
    altered = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(BadSignature):
        _strict_id_token_check(
            client, {**tokens, "id_token_jwt": f"{head}.{altered}.{signature}"}, nonce=nonce
        )
    with pytest.raises(AtHashError):
        _strict_id_token_check(client, {**tokens, "access_token": tokens["access_token"] + "x"}, nonce=nonce)

    # Userinfo: the library checks its sub against the id_token's.
    info = client.do_user_info_request(state=state, method="GET")
    assert isinstance(info, OpenIDSchema), info
    assert info["sub"] == idt["sub"]
    assert info["email"] == user.email and info["preferred_username"] == user.username

    # Refresh: a new access token and a new id_token for the same subject, no nonce this time.
    refreshed = client.do_access_token_refresh(state=state, authn_method="client_secret_basic")
    assert isinstance(refreshed, AccessTokenResponse), refreshed
    assert refreshed["access_token"] != tokens["access_token"]
    fresh = _strict_id_token_check(client, refreshed, nonce=None)
    assert fresh["sub"] == idt["sub"] and fresh["auth_time"] == idt["auth_time"]

    # Revocation (RFC 7009) at the discovered endpoint, authenticated as openid-client does.
    revoker = OAuthExtensionClient(client_authn_method=CLIENT_AUTHN_METHOD)
    revoker.client_id, revoker.client_secret = app.consumer_key, secret
    revoker.revocation_endpoint = client.provider_info["revocation_endpoint"]
    answer = revoker.do_token_revocation(
        request_args={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        authn_method="client_secret_basic",
    )
    assert answer == 200, getattr(answer, "text", answer)
    # Revoking the refresh token ended its access tokens too: userinfo now refuses them.
    with server.client() as http:
        for access_token in (tokens["access_token"], refreshed["access_token"]):
            refused = http.get(
                client.provider_info["userinfo_endpoint"],
                headers={"Authorization": f"Bearer {access_token}"},
            )
            assert refused.status_code == 401
    again = client.do_access_token_refresh(state=state, authn_method="client_secret_basic")
    assert isinstance(again, ErrorResponse) and again["error"] == "invalid_grant"
