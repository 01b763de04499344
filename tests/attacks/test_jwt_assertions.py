"""Attacks on the JWT bearer flow's assertion: algorithm confusion, foreign keys, tampered claims,
wrong audience, issuer or subject, expiry games, jti replay and malformed serializations.

RFC 7519 §7.2, RFC 7523 §3, RFC 8725 §2-3 (JWT best current practices), RFC 7515 §4.1.11 (crit);
Salesforce: OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from tests.attacks.refusals import assert_oauth_error
from tests.attacks.unchanged import nothing_issued
from tests.support.jwt_bearer import (
    KeyPair,
    Setup,
    admin_approved_setup,
    b64url,
    key_pair,
    sign,
    unsigned,
)
from tests.support.server import Server

INVALID_ASSERTION = ("invalid_grant", "invalid assertion")


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return key_pair()


@pytest.fixture(scope="module")
def attacker() -> KeyPair:
    return key_pair()


@pytest.fixture
def setup(server: Server, keys: KeyPair) -> Setup:
    return admin_approved_setup(server, keys)


def _refused(
    setup: Setup, assertion: str, error: str = "invalid_grant", description: str = "invalid assertion"
) -> None:
    with nothing_issued(setup.server):
        answer = setup.token(assertion)
    assert_oauth_error(answer, error, description)


def _public_jwk(pair: KeyPair) -> dict[str, object]:
    return dict(pair.private.as_dict(private=False))


def _certificate_der_b64(pair: KeyPair) -> str:
    certificate = x509.load_pem_x509_certificate(pair.certificate_pem.encode())
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


@pytest.mark.attack("RFC 8725 §2.1 / §3.1 (alg none: an unsecured JWT must not be accepted)")
@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_refused(setup: Setup, alg: str) -> None:
    _refused(setup, unsigned({"alg": alg, "typ": "JWT"}, setup.claims()) + ".")


@pytest.mark.attack("RFC 8725 §2.1 (alg none with the original RS256 signature left in place)")
def test_alg_switched_to_none_keeping_the_signature_is_refused(setup: Setup) -> None:
    signature = setup.assertion().split(".")[2]
    _refused(setup, unsigned({"alg": "none"}, setup.claims()) + "." + signature)


@pytest.mark.attack("RFC 8725 §2.1 / §3.1 (key confusion: HS256 keyed with the public key material)")
@pytest.mark.parametrize("material", ["certificate-pem", "public-key-pem", "certificate-der"])
def test_hs256_keyed_with_public_material_is_refused(setup: Setup, keys: KeyPair, material: str) -> None:
    public_pem = keys.private.as_pem(private=False)
    secret = {
        "certificate-pem": keys.certificate_pem.encode(),
        "public-key-pem": public_pem,
        "certificate-der": base64.b64decode(_certificate_der_b64(keys)),
    }[material]
    signing_input = unsigned({"alg": "HS256", "typ": "JWT"}, setup.claims())
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    _refused(setup, signing_input + "." + b64url(mac))


@pytest.mark.attack("RFC 7523 §3 item 9 (signature by a key other than the registered certificate's)")
def test_assertion_signed_by_another_key_is_refused(setup: Setup, attacker: KeyPair) -> None:
    _refused(setup, sign(setup.claims(), attacker.private))


@pytest.mark.attack("RFC 8725 §3.10 / RFC 7515 §4.1.3 (attacker's key embedded in the jwk header)")
def test_attacker_key_in_jwk_header_is_not_trusted(setup: Setup, attacker: KeyPair) -> None:
    header = {"alg": "RS256", "jwk": _public_jwk(attacker)}
    _refused(setup, sign(setup.claims(), attacker.private, header=header))


@pytest.mark.attack("RFC 8725 §3.10 / RFC 7515 §4.1.6 (attacker's certificate in the x5c header)")
def test_attacker_certificate_in_x5c_header_is_not_trusted(setup: Setup, attacker: KeyPair) -> None:
    header = {"alg": "RS256", "x5c": [_certificate_der_b64(attacker)]}
    _refused(setup, sign(setup.claims(), attacker.private, header=header))


@pytest.mark.attack("RFC 8725 §3.10 (jku/x5u pointing at the attacker's key set is never fetched)")
def test_attacker_jku_and_x5u_headers_are_not_followed(setup: Setup, attacker: KeyPair) -> None:
    header = {"alg": "RS256", "jku": "https://evil.example/jwks", "x5u": "https://evil.example/cert.pem"}
    _refused(setup, sign(setup.claims(), attacker.private, header=header))


@pytest.mark.attack("RFC 7515 §5.2 (claims tampered after signing: subject swapped to an admin)")
def test_payload_swapped_under_a_valid_signature_is_refused(setup: Setup) -> None:
    admin = setup.server.create_user(profile="System Administrator")
    header, _, signature = setup.assertion().split(".")
    forged = b64url(json.dumps(setup.claims(sub=admin.username)).encode())
    _refused(setup, f"{header}.{forged}.{signature}")


@pytest.mark.attack("RFC 7515 §4.1.11 (crit names an extension the server does not understand)")
def test_unknown_critical_header_is_refused(setup: Setup, keys: KeyPair) -> None:
    header = {"alg": "RS256", "crit": ["x-forcegate-unknown"], "x-forcegate-unknown": True}
    signing_input = unsigned(header, setup.claims())
    signature = keys.private.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    _refused(setup, signing_input + "." + b64url(signature))


@pytest.mark.attack("RFC 7523 §3 item 3 / Salesforce JWT Bearer Flow (aud must name this server)")
@pytest.mark.parametrize(
    "aud",
    [
        pytest.param("https://evil.example", id="other-server"),
        pytest.param(["https://evil.example", "https://other.example"], id="array-without-us"),
        pytest.param("https://login.salesforce.com.evil.example", id="login-url-as-prefix"),
        pytest.param("", id="empty"),
    ],
)
def test_wrong_audience_is_refused(setup: Setup, aud: object) -> None:
    _refused(setup, setup.assertion(aud=aud), "invalid_grant", "Audience validation failed")


@pytest.mark.attack("RFC 7523 §3 item 1 (iss names another app: its certificate does not verify our key)")
def test_issuer_of_another_app_is_refused(setup: Setup, attacker: KeyPair) -> None:
    other = admin_approved_setup(setup.server, attacker)
    _refused(setup, setup.assertion(iss=other.app.consumer_key))


@pytest.mark.attack("Salesforce JWT Bearer Flow (iss is an app without a certificate: invalid_client)")
def test_issuer_without_certificate_is_refused(setup: Setup) -> None:
    plain, _ = setup.server.create_app()
    _refused(setup, setup.assertion(iss=plain.consumer_key), "invalid_client", "invalid client credentials")


@pytest.mark.attack("Salesforce JWT Bearer Flow (sub is a user not pre-authorized for the app)")
def test_subject_not_pre_authorized_is_refused(setup: Setup) -> None:
    admin = setup.server.create_user(profile="System Administrator")
    _refused(
        setup,
        setup.assertion(sub=admin.username),
        "invalid_app_access",
        "user is not admin approved to access this app",
    )


@pytest.mark.attack("RFC 7519 §4.1.4 / RFC 7523 §3 item 4 (expired assertion)")
def test_expired_assertion_is_refused(setup: Setup) -> None:
    exp = setup.server.clock.now_ms() // 1000 - 120
    _refused(setup, setup.assertion(exp=exp), "invalid_grant", "expired authorization code")


@pytest.mark.attack("RFC 7523 §3 item 4 / Salesforce JWT Bearer Flow (exp within minutes, not a year ahead)")
def test_assertion_valid_for_a_year_is_refused(setup: Setup) -> None:
    exp = setup.server.clock.now_ms() // 1000 + 365 * 24 * 3600
    _refused(setup, setup.assertion(exp=exp), "invalid_grant", "assertion lifetime too long")


@pytest.mark.attack("RFC 7523 §3 item 7 / RFC 7519 §4.1.7 (jti replay)")
def test_replayed_jti_is_refused(setup: Setup) -> None:
    assertion = setup.assertion(jti="attack-replay-1")
    assert setup.token(assertion).status_code == 200
    _refused(setup, assertion, "bad_jti_claim", "jti has already been used")


@pytest.mark.attack("RFC 7519 §7.2 (a JWT that is not a well-formed JWS compact serialization)")
@pytest.mark.parametrize(
    "assertion",
    [
        pytest.param("eyJhbGciOiJSUzI1NiJ9.e30", id="two-segments"),
        pytest.param("eyJhbGciOiJSUzI1NiJ9.e30.c2ln.c2ln", id="four-segments"),
        pytest.param("..", id="empty-segments"),
        pytest.param("eyJhbGciOiJSUzI1NiJ9.%%%%.c2ln", id="payload-not-base64url"),
        pytest.param("WyJSUzI1NiJd.e30.c2ln", id="header-json-array"),
        pytest.param("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4.c2ln", id="payload-truncated-json"),
        pytest.param("eyJhbGciOiJSUzI1NiJ9.bnVsbA.c2ln", id="payload-json-null"),
    ],
)
def test_malformed_assertion_is_refused(setup: Setup, assertion: str) -> None:
    _refused(setup, assertion)


@pytest.mark.attack("RFC 7515 §7.1 (JWS JSON serialization where the compact form is required)")
def test_json_serialized_jws_is_refused(setup: Setup, keys: KeyPair) -> None:
    header, payload, signature = setup.assertion().split(".")
    general = json.dumps({"payload": payload, "signatures": [{"protected": header, "signature": signature}]})
    _refused(setup, general)


@pytest.mark.attack("RFC 7519 §2 NumericDate / RFC 8259 §6 (exp that is not a finite number of seconds)")
@pytest.mark.parametrize(
    ("exp", "description"),
    [
        pytest.param(float("inf"), "invalid assertion", id="infinity"),
        pytest.param(float("nan"), "invalid assertion", id="nan"),
        pytest.param(1e300, "assertion lifetime too long", id="huge-float"),
        pytest.param(-1, "expired authorization code", id="negative"),
        pytest.param("1" * 30, "invalid assertion", id="thirty-digit-string"),
    ],
)
def test_exp_that_is_not_a_usable_time_is_refused(setup: Setup, exp: object, description: str) -> None:
    _refused(setup, setup.assertion(exp=exp), "invalid_grant", description)
