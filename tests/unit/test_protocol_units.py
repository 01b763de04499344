"""Unit tests of the protocol core's pure rules, each pinned exactly: scopes, PKCE, callback URLs,
token shapes and the token response, the error taxonomy and the request parsers.

Written against the mutants a mutation run let through (tests/mutation/SURVIVORS.md): each assertion
is a behaviour a client or the login history can see.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest

from forcegate.ids import KeyPrefix, new_id, to15
from forcegate.protocol.callbacks import InvalidCallbackUrl, may_receive_refresh_token, validate_callback_url
from forcegate.protocol.errors import (
    AccessDenied,
    AppBlocked,
    InvalidClient,
    InvalidClientId,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    NotAdminApproved,
    OAuthError,
    RateLimitExceeded,
    RedirectUriMismatch,
    UnsupportedGrantType,
    UnsupportedResponseType,
)
from forcegate.protocol.id_token import at_hash, id_token_claims, jwt_access_token_claims
from forcegate.protocol.pkce import normalize_challenge_method, verify_code_verifier
from forcegate.protocol.requests import (
    basic_credentials,
    parse_authorize_request,
    parse_token_request,
    single_values,
    unstorable,
)
from forcegate.protocol.scopes import grants_refresh_token, parse_scope, unknown_scopes
from forcegate.protocol.tokens import (
    IssuedTokens,
    identity_url,
    new_access_token,
    new_authorization_code,
    new_refresh_token,
    token_response,
)


def _refusal(exc: pytest.ExceptionInfo[OAuthError]) -> tuple[str, str, int, str]:
    return exc.value.error, exc.value.description, exc.value.status, exc.value.reason


# --- scopes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []),
        ("", []),
        ("api", ["api"]),
        ("api refresh_token api  web", ["api", "refresh_token", "web"]),
        ("web\tapi\napi", ["web", "api"]),
    ],
)
def test_when_a_scope_string_is_parsed_then_order_is_kept_and_duplicates_dropped(
    value: str | None, expected: list[str]
) -> None:
    assert parse_scope(value) == expected


def test_when_scopes_are_checked_then_only_the_unknown_ones_are_named_in_order() -> None:
    assert unknown_scopes(["api", "bogus", "refresh_token", "API", "openid"]) == ["bogus", "API"]
    assert unknown_scopes([]) == []


@pytest.mark.parametrize(
    ("scopes", "grants"),
    [
        (["refresh_token"], True),
        (["api", "offline_access"], True),
        (frozenset({"refresh_token", "api"}), True),
        (["api", "web", "full"], False),
        ([], False),
    ],
)
def test_when_scopes_are_granted_then_only_refresh_token_or_offline_access_grant_one(
    scopes: list[str] | frozenset[str], grants: bool
) -> None:
    assert grants_refresh_token(scopes) is grants


# --- PKCE ---------------------------------------------------------------------------------------


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("challenge", "method", "expected"),
    [
        (None, None, None),
        ("", None, None),
        ("a" * 43, None, "S256"),
        ("a" * 43, "", "S256"),
        ("a" * 43, "S256", "S256"),
        ("A-z.0_~" * 18 + "AB", "S256", "S256"),  # 128 characters, every unreserved kind
    ],
)
def test_when_an_authorize_request_s_pkce_is_valid_then_the_method_to_store_is_s256_or_none(
    challenge: str | None, method: str | None, expected: str | None
) -> None:
    assert normalize_challenge_method(challenge, method) == expected


@pytest.mark.parametrize(
    ("challenge", "method", "description"),
    [
        (None, "S256", "missing code_challenge"),
        ("", "plain", "missing code_challenge"),
        ("a" * 42, None, "invalid code_challenge"),
        ("a" * 129, None, "invalid code_challenge"),
        ("a" * 42 + "+", None, "invalid code_challenge"),
        ("a" * 43 + "\n", None, "invalid code_challenge"),  # `$` would let a final newline through
        ("a" * 43, "plain", "unsupported code_challenge_method"),
        ("a" * 43, "s256", "unsupported code_challenge_method"),
    ],
)
def test_when_an_authorize_request_s_pkce_is_malformed_then_invalid_request_says_which(
    challenge: str | None, method: str | None, description: str
) -> None:
    with pytest.raises(OAuthError) as refused:
        normalize_challenge_method(challenge, method)
    assert _refusal(refused) == ("invalid_request", description, 400, "")


@pytest.mark.parametrize("verifier", ["v" * 43, "v" * 171, "A-z.0_~" * 146 + "AB"])  # 43, 171, 1024
def test_when_the_verifier_matches_its_challenge_then_it_passes(verifier: str) -> None:
    verify_code_verifier(_challenge(verifier), verifier)


@pytest.mark.parametrize("verifier", [None, ""])
def test_when_no_challenge_and_no_verifier_then_nothing_to_check(verifier: str | None) -> None:
    verify_code_verifier(None, verifier)


@pytest.mark.parametrize(
    ("challenge", "verifier", "expected"),
    [
        (None, "v" * 43, ("invalid_grant", "code_verifier sent for a code issued without code_challenge")),
        (_challenge("v" * 43), None, ("invalid_grant", "code_verifier missing")),
        (_challenge("v" * 43), "", ("invalid_grant", "code_verifier missing")),
        (_challenge("v" * 43), "w" * 43, ("invalid_request", "PKCE mismatch")),
        # the transform matches, the verifier's shape does not (RFC 7636 §4.1)
        (_challenge("v" * 42), "v" * 42, ("invalid_request", "PKCE mismatch")),
        (_challenge("v" * 43 + "\n"), "v" * 43 + "\n", ("invalid_request", "PKCE mismatch")),
        (_challenge("v" * 1025), "v" * 1025, ("invalid_request", "PKCE mismatch")),
        (_challenge("v" * 42 + "+"), "v" * 42 + "+", ("invalid_request", "PKCE mismatch")),
    ],
)
def test_when_the_verifier_does_not_fit_then_salesforce_s_split_of_errors_and_the_reason(
    challenge: str | None, verifier: str | None, expected: tuple[str, str]
) -> None:
    with pytest.raises(OAuthError) as refused:
        verify_code_verifier(challenge, verifier)
    error, reason = expected
    assert _refusal(refused) == (error, "invalid code verifier", 400, reason)


# --- callback URLs ------------------------------------------------------------------------------

_LOGIN = ("https://login.example.com/", "http://localhost:8080")


@pytest.mark.parametrize(
    ("redirect_uri", "may"),
    [
        ("myapp://callback", True),
        ("com.example.app:/oauth2redirect", True),
        ("https://login.example.com/services/oauth2/success", True),
        ("HTTPS://LOGIN.example.com/services/oauth2/success", True),
        ("http://localhost:8080/services/oauth2/success", True),
        ("https://login.example.com/services/oauth2/success/", False),
        ("https://login.example.com/services/oauth2/Success", False),
        ("https://login.example.com/cb", False),
        ("https://evil.example.com/services/oauth2/success", False),
        ("http://login.example.com/services/oauth2/success", False),
        ("https://login.example.com:8443/services/oauth2/success", False),
        ("https://app.example.com/cb", False),
    ],
)
def test_when_a_user_agent_callback_is_judged_then_custom_schemes_and_the_success_page_get_a_refresh_token(
    redirect_uri: str, may: bool
) -> None:
    assert may_receive_refresh_token(redirect_uri, _LOGIN) is may


def test_when_login_origins_are_written_in_capitals_then_they_still_match() -> None:
    assert may_receive_refresh_token(
        "https://login.example.com/services/oauth2/success", ("HTTPS://Login.Example.COM",)
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://a.example/" + "p" * (1024 - len("https://a.example/")),  # exactly 1024 characters
        "HTTPS://app.example.com/cb",
        "HTTP://LOCALHOST:1717/cb",
        "http://LocalHost/cb",
        "my.app:",  # a reverse-DNS scheme needs nothing after it
        "myapp:/cb",
        "myapp:cb",
    ],
)
def test_when_a_callback_is_allowed_then_it_is_kept_exactly(url: str) -> None:
    assert validate_callback_url(url) == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "callback URL must not be empty or contain spaces: {url!r}"),
        ("https://a.b/c ", "callback URL must not be empty or contain spaces: {url!r}"),
        ("https://a.b/c\td", "callback URL must not be empty or contain spaces: {url!r}"),
        ("https://a.b/" + "p" * (1025 - len("https://a.b/")), "callback URL is longer than 1024 characters"),
        ("https://a.b:x/c", "malformed callback URL: {url!r}"),
        ("//a.b/c", "callback URL needs a scheme: {url!r}"),
        ("myapp://cb#x", "callback URL must not contain a fragment"),
        ("https://a.b/c#", "callback URL must not contain a fragment"),  # an empty one too
        ("https:/c", "https callback URL needs a host: {url!r}"),
        (
            "http://example.com/cb",
            "http callback URLs are allowed only on a loopback host (localhost, 127.0.0.1, [::1]): {url!r}",
        ),
        (
            "http:/cb",
            "http callback URLs are allowed only on a loopback host (localhost, 127.0.0.1, [::1]): {url!r}",
        ),
        ("javascript:alert(1)", "callback URL scheme 'javascript' is not allowed"),
        ("JavaScript:alert(1)", "callback URL scheme 'javascript' is not allowed"),
        ("wss://a.b/c", "callback URL scheme 'wss' is not allowed"),
        ("myapp:", "malformed custom-scheme callback URL: {url!r}"),
    ],
)
def test_when_a_callback_is_refused_then_the_message_says_why(url: str, message: str) -> None:
    """The message reaches the admin who registers the app: it must name the rule broken."""
    with pytest.raises(InvalidCallbackUrl) as refused:
        validate_callback_url(url)
    assert str(refused.value) == message.format(url=url)


# --- token shapes and the token response --------------------------------------------------------


def test_when_tokens_are_minted_then_each_has_its_prefix_and_256_random_bits() -> None:
    org = new_id(KeyPrefix.ORGANIZATION)
    access = new_access_token(org)
    assert access.startswith(to15(org) + "!") and len(access) == 15 + 1 + 43
    refresh, code = new_refresh_token(), new_authorization_code()
    assert refresh.startswith("5Aep861") and len(refresh) == 7 + 43 and "." not in refresh
    assert code.startswith("aPrx") and len(code) == 4 + 43


def test_when_a_token_response_is_built_then_it_is_salesforce_s_body() -> None:
    origin, org, user = "https://fg.example", "00D000000000001AAA", "005000000000001AAA"
    assert identity_url(origin, org, user) == f"{origin}/id/{org}/{user}"
    tokens = IssuedTokens("00D!at", "5Aeprt", ["api", "refresh_token"], 1700000000123, org, user)
    identity = f"{origin}/id/{org}/{user}"
    signature = base64.b64encode(
        hmac.new(b"s3cret", (identity + "1700000000123").encode(), hashlib.sha256).digest()
    ).decode()
    assert token_response(tokens, origin, "s3cret") == {
        "access_token": "00D!at",
        "refresh_token": "5Aeprt",
        "signature": signature,
        "scope": "api refresh_token",
        "instance_url": origin,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": "1700000000123",
    }
    bare = IssuedTokens("00D!at", None, ["openid"], 5, org, user, id_token="eyJ.x.y")
    assert token_response(bare, origin, None) == {
        "access_token": "00D!at",
        "scope": "openid",
        "id_token": "eyJ.x.y",
        "instance_url": origin,
        "id": identity,
        "token_type": "Bearer",
        "issued_at": "5",
    }
    assert token_response(IssuedTokens("a", "", [], 5, org, user, ""), origin, "")["signature"]


# --- id_token and JWT access token claims --------------------------------------------------------


def test_when_at_hash_is_computed_then_it_is_oidc_s_left_half_of_sha256_base64url_unpadded() -> None:
    for token in ("a", "00D000000000001!" + "x" * 43, "5Aep861" + "y" * 43):
        left = hashlib.sha256(token.encode()).digest()[:16]
        assert at_hash(token) == base64.urlsafe_b64encode(left).decode().rstrip("=")
        assert len(at_hash(token)) == 22


def test_when_id_token_claims_are_built_then_they_are_oidc_s_with_the_nonce_only_when_sent() -> None:
    common: dict[str, Any] = {
        "issuer": "https://fg.example",
        "subject": "https://fg.example/id/00D/005",
        "client_id": "3MVGkey",
        "issued_at_s": 1000,
        "lifetime_s": 300,
        "auth_time_s": 900,
        "access_token": "00D!at",
    }
    expected = {
        "iss": "https://fg.example",
        "sub": "https://fg.example/id/00D/005",
        "aud": "3MVGkey",
        "exp": 1300,
        "iat": 1000,
        "auth_time": 900,
        "at_hash": at_hash("00D!at"),
    }
    assert id_token_claims(**common, nonce=None) == expected
    assert id_token_claims(**common, nonce="n-0S6") == expected | {"nonce": "n-0S6"}
    assert id_token_claims(**common, nonce="") == expected | {"nonce": ""}


def test_when_jwt_access_token_claims_are_built_then_they_are_rfc_9068_s_plus_salesforce_s_scp() -> None:
    assert jwt_access_token_claims(
        issuer="https://fg.example",
        subject="https://fg.example/id/00D/005",
        audience="https://fg.example",
        client_id="3MVGkey",
        scopes=["api", "refresh_token"],
        issued_at_s=1000,
        lifetime_s=7200,
        jti="j-1",
    ) == {
        "iss": "https://fg.example",
        "sub": "https://fg.example/id/00D/005",
        "aud": "https://fg.example",
        "exp": 8200,
        "iat": 1000,
        "nbf": 1000,
        "jti": "j-1",
        "client_id": "3MVGkey",
        "scope": "api refresh_token",
        "scp": ["api", "refresh_token"],
    }


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "wire"),
    [
        (InvalidClientId, ("invalid_client_id", "client identifier invalid")),
        (InvalidClient, ("invalid_client", "invalid client credentials")),
        (InvalidGrant, ("invalid_grant", "authentication failure")),
        (InvalidRequest, ("invalid_request", "invalid request")),
        (InvalidScope, ("invalid_scope", "the requested scope is not allowed")),
        (RedirectUriMismatch, ("redirect_uri_mismatch", "redirect_uri must match configuration")),
        (UnsupportedGrantType, ("unsupported_grant_type", "grant type not supported")),
        (UnsupportedResponseType, ("unsupported_response_type", "response type not supported")),
        (AccessDenied, ("access_denied", "end-user denied authorization")),
        (AppBlocked, ("app_blocked", "this app is blocked by admin")),
        (RateLimitExceeded, ("rate_limit_exceeded", "Number of logins exceeded")),
        (NotAdminApproved, ("invalid_app_access", "user is not admin approved to access this app")),
    ],
)
def test_when_a_canonical_error_is_sent_then_it_carries_salesforce_s_code_and_words(
    error: OAuthError, wire: tuple[str, str]
) -> None:
    assert (error.error, error.description, error.status, error.reason, error.hint) == (*wire, 400, "", "")
    assert error.as_json() == {"error": wire[0], "error_description": wire[1]}


def test_when_an_error_is_refined_then_every_other_field_is_kept() -> None:
    base = OAuthError("e", "d", 429, "r", "h")
    assert vars(base.copy()) == vars(base) and base.copy() is not base
    refined = [base.with_reason("R"), base.with_description("D"), base.with_hint("H")]
    assert [(x.error, x.description, x.status, x.reason, x.hint) for x in refined] == [
        ("e", "d", 429, "R", "h"),
        ("e", "D", 429, "r", "h"),
        ("e", "d", 429, "r", "H"),
    ]
    assert base.args == ("e", "d") and str(base) == "e: d (r)"


# --- request parsing ----------------------------------------------------------------------------


def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("text", "unstorable_"),
    [("plain", False), ("", False), ("é✓", False), ("a\x00b", True), ("a\ud800", True), ("\udfff", True)],
)
def test_when_a_name_holds_nul_or_a_lone_surrogate_then_it_is_unstorable(
    text: str, unstorable_: bool
) -> None:
    assert unstorable(text) is unstorable_


def test_when_parameters_repeat_then_only_known_ones_differing_in_value_count_as_duplicated() -> None:
    values, duplicated = single_values(
        [("a", "1"), ("x", "1"), ("a", "1"), ("b", "2"), ("x", "2"), ("b", "3"), ("b", "4")], ("a", "b")
    )
    assert values == {"a": "1", "b": "4"} and duplicated == ["b", "b"]


@pytest.mark.parametrize(
    ("authorization", "credentials"),
    [
        (None, None),
        ("", None),
        ("Bearer abc", None),
        ("Basicabc", None),
        (_basic("id:secret"), ("id", "secret")),
        ("bAsIc " + base64.b64encode(b"id:secret").decode(), ("id", "secret")),
        ("Basic   " + base64.b64encode(b"id:secret").decode() + " ", ("id", "secret")),
        (_basic("id:"), ("id", "")),
        (_basic("id:a:b"), ("id", "a:b")),
        (_basic("my+id%3A:s%2Bt+x"), ("my id:", "s+t x")),
    ],
)
def test_when_an_authorization_header_is_read_then_basic_credentials_are_decoded(
    authorization: str | None, credentials: tuple[str, str] | None
) -> None:
    assert basic_credentials(authorization) == credentials


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic !!!",
        "Basic aWQ6*c2VjcmV0",  # base64 of "id:secret" with a character outside the alphabet
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        _basic("no-colon"),
        _basic(":secret"),
        _basic("id%00:secret"),
        _basic("id:se%00cret"),
    ],
)
def test_when_basic_credentials_are_malformed_then_invalid_basic_auth_header(authorization: str) -> None:
    with pytest.raises(OAuthError) as refused:
        basic_credentials(authorization)
    assert _refusal(refused) == ("invalid_basic_auth_header", "invalid basic authorization header", 400, "")


def test_when_a_token_request_is_parsed_then_every_field_is_read_and_empty_means_absent() -> None:
    fields = [
        "grant_type",
        "response_type",
        "device_code",
        "client_id",
        "client_secret",
        "code",
        "redirect_uri",
        "code_verifier",
        "refresh_token",
        "scope",
        "username",
        "password",
        "assertion",
    ]
    full = parse_token_request([(f, f + "-v") for f in fields] + [("unknown", "x")], None)
    assert vars(full) == {f: f + "-v" for f in fields} | {"client_auth_basic": False}
    empty = parse_token_request([(f, "") for f in fields], None)
    assert vars(empty) == {f: None for f in fields} | {
        "grant_type": "",
        "response_type": "",
        "password": "",
        "client_auth_basic": False,
    }
    absent = parse_token_request([], None)
    assert vars(absent) == {f: None for f in fields} | {
        "grant_type": "",
        "response_type": "",
        "client_auth_basic": False,
    }


def test_when_a_token_request_repeats_a_parameter_then_the_first_duplicated_is_named() -> None:
    pairs = [("code", "1"), ("scope", "a"), ("code", "2"), ("scope", "b"), ("format", "j"), ("format", "x")]
    with pytest.raises(OAuthError) as refused:
        parse_token_request(pairs, None)
    assert _refusal(refused) == ("invalid_request", "duplicate parameter: code", 400, "")
    same_twice = parse_token_request([("code", "1"), ("code", "1")], None)
    assert same_twice.code == "1"


def test_when_a_token_request_authenticates_with_basic_then_the_body_may_only_repeat_its_client_id() -> None:
    basic = _basic("key:secret")
    for body in ([], [("client_id", "key")], [("client_id", "")]):
        parsed = parse_token_request(body, basic)
        assert (parsed.client_id, parsed.client_secret, parsed.client_auth_basic) == ("key", "secret", True)
    with pytest.raises(OAuthError) as other_id:
        parse_token_request([("client_id", "other")], basic)
    assert _refusal(other_id) == (
        "invalid_client",
        "invalid client credentials",
        400,
        "client_id in body differs from HTTP Basic",
    )
    for secret in ("secret", ""):
        with pytest.raises(OAuthError) as two_methods:
            parse_token_request([("client_secret", secret)], basic)
        assert _refusal(two_methods) == ("invalid_request", "multiple client authentication methods", 400, "")
    no_secret = parse_token_request([], _basic("key:"))
    assert (no_secret.client_id, no_secret.client_secret, no_secret.client_auth_basic) == ("key", None, True)


def test_when_an_authorize_request_is_parsed_then_every_field_is_read() -> None:
    parsed = parse_authorize_request(
        [
            ("response_type", "code"),
            ("client_id", "key"),
            ("redirect_uri", "https://a/cb"),
            ("scope", "api"),
            ("state", "st"),
            ("code_challenge", "ch"),
            ("code_challenge_method", "S256"),
            ("prompt", "login  consent"),
            ("login_hint", "u@x"),
            ("nonce", "n"),
            ("display", "page"),
            ("state", "st2"),
            ("other", "x"),
        ]
    )
    assert vars(parsed) == {
        "response_type": "code",
        "client_id": "key",
        "redirect_uri": "https://a/cb",
        "scope": "api",
        "state": "st2",
        "code_challenge": "ch",
        "code_challenge_method": "S256",
        "prompt": frozenset({"login", "consent"}),
        "login_hint": "u@x",
        "nonce": "n",
        "duplicated": ("state",),
    }
    empty = parse_authorize_request(
        [(f, "") for f in ("scope", "state", "code_challenge", "code_challenge_method", "login_hint")]
        + [("nonce", "")]
    )
    assert vars(empty) == {
        "response_type": "",
        "client_id": "",
        "redirect_uri": "",
        "scope": "",
        "state": "",
        "code_challenge": None,
        "code_challenge_method": None,
        "prompt": frozenset(),
        "login_hint": None,
        "nonce": None,
        "duplicated": (),
    }
    assert vars(parse_authorize_request([]))["scope"] is None
    assert vars(parse_authorize_request([]))["state"] is None


@pytest.mark.parametrize(
    ("response_type", "flow"),
    [
        ("token id_token", "token"),
        ("id_token token", "token"),
        ("token", "token"),
        ("code", "code"),
        ("id_token", "id_token"),
        ("code id_token", "code id_token"),
        ("token id_token id_token", "token id_token id_token"),
    ],
)
def test_when_oidc_s_token_id_token_is_asked_then_it_is_the_user_agent_flow(
    response_type: str, flow: str
) -> None:
    assert parse_authorize_request([("response_type", response_type)]).response_type == flow
