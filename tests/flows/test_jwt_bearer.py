"""The JWT bearer flow over real HTTP: what clients send is accepted, and every refusal is provoked.

salesforce-wire.md §5; client-compatibility.md ("JWT bearer assertions ...").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from forcegate.domain import ConnectedApp, User
from forcegate.storage import jwt_assertions
from tests.support.browser import authorize
from tests.support.jwt_bearer import KeyPair, Setup, admin_approved_setup, b64url, key_pair, sign, unsigned
from tests.support.server import PASSWORD, Server

CALLBACK = "http://localhost:1717/OauthRedirect"


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return key_pair()


def _approve_by_login(server: Server, app: ConnectedApp, user: User, scope: str | None = None) -> None:
    """The user's one interactive approval (Web Server flow login + consent), as Salesforce requires."""
    params = {"response_type": "code", "client_id": app.consumer_key, "redirect_uri": CALLBACK, "state": "s"}
    if scope:
        params["scope"] = scope
    with server.client() as browser:
        outcome = authorize(browser, params, user.username, PASSWORD)
    assert outcome.response.status_code == 302, outcome.response.text
    assert "code" in outcome.query


def _self_authorize_setup(server: Server, keys: KeyPair, *, approved: bool = True) -> Setup:
    app, _ = server.create_app()
    app = server.update_app(app, certificate_pem=keys.certificate_pem)
    user = server.create_user()
    if approved:
        _approve_by_login(server, app, user)
    return Setup(server, app, user, keys)


@pytest.fixture
def setup(server: Server, keys: KeyPair) -> Setup:
    return admin_approved_setup(server, keys)


def _assert_error(response: httpx.Response, error: str, description: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"error": error, "error_description": description}


# --- success ----------------------------------------------------------------------------------------


def test_when_assertion_is_valid_then_token_without_refresh_token_works_on_userinfo(setup: Setup) -> None:
    response = setup.token(setup.assertion())

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "scope", "instance_url", "id", "token_type"}
    assert body["scope"] == "api openid web id"  # the app's scopes, without refresh_token
    assert body["instance_url"] == setup.server.url
    assert body["id"].endswith(f"/{setup.user.id}") and body["token_type"] == "Bearer"
    with setup.server.client() as client:
        info = client.get(
            "/services/oauth2/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
    assert info.status_code == 200, info.text
    assert info.json()["user_id"] == setup.user.id
    [row] = setup.history()
    assert row["status"] == "Success" and row["user_id"] == setup.user.id


def test_when_self_authorize_user_approved_before_then_token_with_approved_scopes(
    server: Server, keys: KeyPair
) -> None:
    app, _ = server.create_app()
    app = server.update_app(app, certificate_pem=keys.certificate_pem)
    user = server.create_user()
    _approve_by_login(server, app, user, scope="api refresh_token")
    s = Setup(server, app, user, keys)

    response = s.token(s.assertion())

    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "api"


@pytest.mark.parametrize(
    "exp",
    [
        pytest.param(lambda now_ms: now_ms // 1000 + 120, id="seconds"),
        pytest.param(lambda now_ms: now_ms + 300, id="milliseconds-sfdx-core"),
        pytest.param(lambda now_ms: str(now_ms // 1000 + 180), id="numeric-string-simple-salesforce"),
    ],
)
def test_when_exp_is_in_a_form_clients_send_then_accepted(setup: Setup, exp: Callable[[int], object]) -> None:
    response = setup.token(setup.assertion(exp=exp(setup.server.clock.now_ms())))
    assert response.status_code == 200, response.text


def test_when_exp_passed_within_clock_skew_leeway_then_accepted(setup: Setup) -> None:
    """sfdx-core's assertion lives 0.3 s; a little latency or clock skew must not fail it."""
    response = setup.token(setup.assertion(exp=setup.server.clock.now_ms() - 5_000))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "aud",
    [
        pytest.param(lambda url: url + "/", id="own-origin-trailing-slash"),
        pytest.param(lambda url: "https://login.salesforce.com", id="login"),
        pytest.param(lambda url: "https://test.salesforce.com/", id="test-trailing-slash"),
        pytest.param(lambda url: ["https://elsewhere.example.com", url], id="array-naming-us"),
    ],
)
def test_when_aud_names_us_then_accepted(setup: Setup, aud: Callable[[str], object]) -> None:
    response = setup.token(setup.assertion(aud=aud(setup.server.url)))
    assert response.status_code == 200, response.text


def test_when_subject_is_given_as_prn_then_accepted(setup: Setup) -> None:
    response = setup.token(setup.assertion(sub=None, prn=setup.user.username))
    assert response.status_code == 200, response.text


def test_when_iat_and_distinct_jtis_are_sent_then_each_accepted(setup: Setup) -> None:
    now = setup.server.clock.now_ms() // 1000
    for _ in range(2):
        response = setup.token(setup.assertion(iat=now, jti=secrets.token_hex(8)))
        assert response.status_code == 200, response.text


def test_when_nbf_is_past_or_within_clock_skew_leeway_then_accepted(setup: Setup) -> None:
    now = setup.server.clock.now_ms() // 1000
    for nbf in (now - 60, now, now + 20, str(now + 20)):
        response = setup.token(setup.assertion(nbf=nbf))
        assert response.status_code == 200, response.text


# --- judgement calls, decided as Salesforce does (docs/flows.md, "JWT Bearer") ------------------------------


def test_when_app_certificate_has_expired_then_its_key_still_verifies(server: Server) -> None:
    """Salesforce does not check the uploaded certificate's validity dates ("when the app cert
    expires, nothing happens ... by design", salesforce.stackexchange.com/questions/313488): the
    certificate only carries the public key; an admin ends it by replacing it."""
    expired = key_pair(valid_days=-1)
    setup = admin_approved_setup(server, expired)
    response = setup.token(setup.assertion())
    assert response.status_code == 200, response.text


def test_when_iat_is_a_year_ahead_then_accepted_but_the_exp_cap_still_holds(setup: Setup) -> None:
    """Salesforce validates iss, sub, aud and exp, not iat (RFC 7519 §4.1.6: informational); a future
    iat buys nothing, because exp may be at most 5 minutes ahead whatever iat says."""
    now = setup.server.clock.now_ms() // 1000
    year_ahead = now + 365 * 24 * 3600
    assert setup.token(setup.assertion(iat=year_ahead)).status_code == 200
    _assert_error(
        setup.token(setup.assertion(iat=year_ahead, exp=year_ahead + 180)),
        "invalid_grant",
        "assertion lifetime too long",
    )


def test_when_assertion_without_jti_is_replayed_then_accepted_until_its_exp(setup: Setup) -> None:
    """Salesforce requires no jti (sfdx-core and simple-salesforce send none), so a jti-less assertion
    can be presented again while it is valid; the 5-minute cap on exp bounds that window, and a jti,
    when sent, is single-use."""
    assertion = setup.assertion()  # exp in 3 minutes, no jti
    assert setup.token(assertion).status_code == 200
    assert setup.token(assertion).status_code == 200
    setup.server.clock.advance(180 + 31)
    _assert_error(setup.token(assertion), "invalid_grant", "expired authorization code")


# --- refusals ---------------------------------------------------------------------------------------


def test_when_issuer_is_unknown_then_invalid_client_id(setup: Setup) -> None:
    response = setup.token(setup.assertion(iss="3MVG9unknown"))
    _assert_error(response, "invalid_client_id", "client identifier invalid")
    [row] = setup.history()
    assert row["status"] == "Failed: Invalid Client Id" and row["app_id"] is None


def test_when_app_is_disabled_then_app_blocked(setup: Setup) -> None:
    setup.server.update_app(setup.app, is_enabled=False)
    _assert_error(setup.token(setup.assertion()), "app_blocked", "this app is blocked by admin")


def test_when_app_has_no_certificate_then_invalid_client(server: Server, keys: KeyPair) -> None:
    app, _ = server.create_app()
    s = Setup(server, app, server.create_user(), keys)
    _assert_error(s.token(s.assertion()), "invalid_client", "invalid client credentials")
    [row] = s.history()
    assert row["status"] == "Failed: invalid client credentials"


def test_when_user_is_unknown_then_invalid_grant(setup: Setup) -> None:
    response = setup.token(setup.assertion(sub="nobody@example.com"))
    _assert_error(response, "invalid_grant", "user not found")
    [row] = setup.history()
    assert row["username"] == "nobody@example.com" and row["user_id"] is None


def test_when_subject_is_missing_then_invalid_assertion(setup: Setup) -> None:
    _assert_error(setup.token(setup.assertion(sub=None)), "invalid_grant", "invalid assertion")


def test_when_user_is_inactive_then_invalid_grant(setup: Setup) -> None:
    setup.server.update_user(setup.user, is_active=False)
    _assert_error(setup.token(setup.assertion()), "invalid_grant", "inactive user")
    [row] = setup.history()
    assert row["user_id"] == setup.user.id and row["status"] == "Failed: inactive user"


def test_when_assertion_expired_then_invalid_grant(setup: Setup) -> None:
    assertion = setup.assertion()  # exp in 3 minutes
    setup.server.clock.advance(10 * 60)
    _assert_error(setup.token(assertion), "invalid_grant", "expired authorization code")
    [row] = setup.history()
    assert row["user_id"] == setup.user.id


def test_when_exp_is_missing_or_not_a_number_then_invalid_assertion(setup: Setup) -> None:
    for exp in (None, "soon", True, "12.5e3"):
        response = setup.token(setup.assertion(exp=exp))
        _assert_error(response, "invalid_grant", "invalid assertion")


def test_when_assertion_lifetime_exceeds_bound_then_invalid_grant(setup: Setup) -> None:
    now_ms = setup.server.clock.now_ms()
    for exp in (now_ms // 1000 + 10 * 60, now_ms + 10 * 60 * 1000):  # seconds, then milliseconds
        response = setup.token(setup.assertion(exp=exp))
        _assert_error(response, "invalid_grant", "assertion lifetime too long")


def test_when_audience_is_another_server_then_audience_validation_failed(setup: Setup) -> None:
    for aud in ("https://evil.example.com", setup.server.url + "//", None, 42):
        response = setup.token(setup.assertion(aud=aud))
        _assert_error(response, "invalid_grant", "Audience validation failed")


def test_when_audience_is_wrong_then_login_history_names_it_and_the_accepted_ones(
    server: Server, keys: KeyPair
) -> None:
    with _login_urls(server, "https://sso.example.com"):
        setup = admin_approved_setup(server, keys)
        response = setup.token(setup.assertion(aud="https://acme.my.salesforce.com"))
    _assert_error(response, "invalid_grant", "Audience validation failed")  # the wire stays Salesforce's
    assert "forcegate-hint" not in response.headers
    [row] = setup.history()
    assert row["status"] == (
        'Failed: aud "https://acme.my.salesforce.com"; '
        f"own URL + FORCEGATE_LOGIN_URLS: {server.url}, https://sso.example.com"
    )


def test_when_audience_detail_is_longer_than_the_status_column_then_it_is_cut_visibly(setup: Setup) -> None:
    setup.token(setup.assertion(aud="https://acme.my.salesforce.com"))
    [row] = setup.history()
    status = str(row["status"])
    assert len(status) == 128 and status.endswith("…")  # the default login URLs do not all fit
    assert status.startswith(
        'Failed: aud "https://acme.my.salesforce.com"; '
        f"own URL + FORCEGATE_LOGIN_URLS: {setup.server.url}, https://login."
    )


@contextmanager
def _login_urls(server: Server, *urls: str) -> Iterator[None]:
    """FORCEGATE_LOGIN_URLS of the shared server, for one test."""
    original = server.ctx.settings
    server.ctx.settings = original.with_overrides(login_urls=urls)
    try:
        yield
    finally:
        server.ctx.settings = original


def test_when_signed_by_another_key_then_invalid_assertion(setup: Setup) -> None:
    other = key_pair()
    _assert_error(setup.token(sign(setup.claims(), other.private)), "invalid_grant", "invalid assertion")
    [row] = setup.history()
    assert row["user_id"] is None  # nothing in an unverified assertion is believed


def test_when_certificate_is_replaced_then_old_key_no_longer_accepted(setup: Setup) -> None:
    assert setup.token(setup.assertion()).status_code == 200  # the old key's public key is now cached
    new = key_pair()
    setup.server.update_app(setup.app, certificate_pem=new.certificate_pem)

    _assert_error(setup.token(setup.assertion()), "invalid_grant", "invalid assertion")
    assert setup.token(sign(setup.claims(), new.private)).status_code == 200


def test_when_alg_is_none_then_invalid_assertion(setup: Setup) -> None:
    for header in ({"alg": "none"}, {"alg": "none", "typ": "JWT"}, {"alg": "None"}):
        response = setup.token(unsigned(header, setup.claims()) + ".")
        _assert_error(response, "invalid_grant", "invalid assertion")


def test_when_hs256_keyed_with_the_certificate_then_invalid_assertion(setup: Setup) -> None:
    """The key-confusion attack: the public certificate used as an HMAC secret."""
    signing_input = unsigned({"alg": "HS256", "typ": "JWT"}, setup.claims())
    for secret in (setup.keys.certificate_pem, setup.keys.certificate_pem.strip()):
        mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
        response = setup.token(signing_input + "." + b64url(mac))
        _assert_error(response, "invalid_grant", "invalid assertion")


def test_when_alg_is_another_asymmetric_one_then_invalid_assertion(setup: Setup) -> None:
    response = setup.token(sign(setup.claims(), setup.keys.private, header={"alg": "RS512"}))
    _assert_error(response, "invalid_grant", "invalid assertion")


def test_when_jti_is_replayed_then_bad_jti_claim(setup: Setup) -> None:
    assertion = setup.assertion(jti="once-only")
    assert setup.token(assertion).status_code == 200

    _assert_error(setup.token(assertion), "bad_jti_claim", "jti has already been used")
    # Another assertion with the same jti is a replay too.
    _assert_error(
        setup.token(setup.assertion(jti="once-only", exp=setup.server.clock.now_ms() // 1000 + 60)),
        "bad_jti_claim",
        "jti has already been used",
    )
    statuses = sorted(str(r["status"]) for r in setup.history())
    assert statuses == ["Failed: jti has already been used"] * 2 + ["Success"]
    assert all(r["user_id"] == setup.user.id for r in setup.history())


def test_when_jti_is_reused_after_its_assertion_expired_then_accepted(setup: Setup) -> None:
    assert setup.token(setup.assertion(jti="reusable")).status_code == 200
    setup.server.clock.advance(10 * 60)
    response = setup.token(setup.assertion(jti="reusable"))
    assert response.status_code == 200, response.text


def test_when_same_jti_is_used_by_another_app_then_accepted(setup: Setup, keys: KeyPair) -> None:
    other = admin_approved_setup(setup.server, keys)
    assert setup.token(setup.assertion(jti="shared")).status_code == 200
    assert other.token(other.assertion(jti="shared")).status_code == 200


def test_when_jti_is_not_a_string_then_invalid_assertion(setup: Setup) -> None:
    _assert_error(setup.token(setup.assertion(jti=12345)), "invalid_grant", "invalid assertion")


def test_when_replays_race_then_exactly_one_wins(setup: Setup) -> None:
    assertion = setup.assertion(jti="raced")
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(r.status_code for r in pool.map(lambda _: setup.token(assertion), range(6)))
    assert statuses == [200, 400, 400, 400, 400, 400]


def test_when_self_authorize_user_never_approved_then_not_approved(server: Server, keys: KeyPair) -> None:
    s = _self_authorize_setup(server, keys, approved=False)
    _assert_error(s.token(s.assertion()), "invalid_grant", "user hasn't approved this consumer")
    [row] = s.history()
    assert row["user_id"] == s.user.id


def test_when_admin_approved_user_not_assigned_then_invalid_app_access(server: Server, keys: KeyPair) -> None:
    s = admin_approved_setup(server, keys, assigned=False)
    _assert_error(
        s.token(s.assertion()), "invalid_app_access", "user is not admin approved to access this app"
    )


@pytest.mark.parametrize(
    "assertion",
    [
        "not-a-jwt",
        "a.b.c",
        "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",  # payload is not JSON
        "eyJhbGciOiJSUzI1NiJ9.WzEsMl0.c2ln",  # payload is a JSON array
        "e30.e30.c2ln",  # header without alg
        ".".join(["x" * 20_000] * 3),  # beyond the JWS size limits
        "ü.ü.ü",
    ],
)
def test_when_assertion_is_malformed_then_invalid_assertion(setup: Setup, assertion: str) -> None:
    _assert_error(setup.token(assertion), "invalid_grant", "invalid assertion")


def test_when_assertion_is_missing_then_invalid_assertion(setup: Setup) -> None:
    _assert_error(setup.token(None), "invalid_grant", "invalid assertion")
    _assert_error(setup.token(""), "invalid_grant", "invalid assertion")
    rows = setup.history()
    assert [r["status"] for r in rows] == ["Failed: invalid assertion"] * 2
    assert all(r["app_id"] is None for r in rows)


# --- storage ------------------------------------------------------------------------------------


def test_purge_expired_deletes_only_expired_assertions(setup: Setup) -> None:
    now = setup.server.clock.now_ms()
    with setup.server.ctx.db.write() as conn:
        jwt_assertions.purge_expired(conn, now)  # what earlier tests left behind
        for jti_hash, expires_ms in (("a" * 64, now - 1), ("b" * 64, now + 60_000)):
            assert jwt_assertions.remember_jti(
                conn,
                org_id=setup.app.org_id,
                app_id=setup.app.id,
                jti_hash=jti_hash,
                expires_ms=expires_ms,
                now_ms=now - 10_000,
            )
    with setup.server.ctx.db.write() as conn:
        assert jwt_assertions.purge_expired(conn, now) == 1
        assert not jwt_assertions.remember_jti(
            conn, org_id=setup.app.org_id, app_id=setup.app.id, jti_hash="b" * 64, expires_ms=now, now_ms=now
        )
        assert jwt_assertions.remember_jti(
            conn, org_id=setup.app.org_id, app_id=setup.app.id, jti_hash="a" * 64, expires_ms=now, now_ms=now
        )
