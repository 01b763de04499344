"""The JWT bearer flow (RFC 7523 §2.1), Salesforce's dialect.

``POST /services/oauth2/token`` with ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` and
``assertion=<JWS>``; no ``client_id`` or secret. The assertion is signed (RS256 only) with the private
key of the certificate uploaded to the connected app ("Use digital signatures"); its claims name the app
(``iss`` = consumer key), the user (``sub`` = username; legacy alias ``prn``), the audience (``aud``)
and its expiry (``exp``). The user must already be allowed to use the app: pre-authorized for an
admin-approved app, or a prior interactive approval for a self-authorize one. The response has no
refresh token, no ``signature`` and no ``issued_at``. salesforce-wire.md §5 and §2;
client-compatibility.md ("JWT bearer assertions ...").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import ConnectedApp, User
from forcegate.flows.common import Caller, find_client, issue_tokens
from forcegate.flows.grants import Attempt, ClientAuthentication, Grant
from forcegate.org.access import user_may_use_app
from forcegate.protocol.errors import (
    AssertionLifetimeTooLong,
    ExpiredAssertion,
    InactiveUser,
    InvalidAssertion,
    InvalidClient,
    NotAdminApproved,
    NotApprovedByUser,
    ReplayedJti,
    UnknownUser,
    WrongAudience,
)
from forcegate.protocol.requests import unstorable
from forcegate.protocol.scopes import grants_refresh_token
from forcegate.protocol.tokens import identity_url
from forcegate.secrets_box import token_hash
from forcegate.storage import jwt_assertions
from forcegate.storage import repositories as repo

__all__ = ["GRANT", "MAX_ASSERTION_LIFETIME_MS", "jwt_bearer_grant"]

FLOW = "jwt_bearer"

# Salesforce documents "exp within 3 minutes"; we allow 5 so a client's clock may run a little ahead.
MAX_ASSERTION_LIFETIME_MS = 5 * 60 * 1000
# RFC 7519 §4.1.4 allows "a small leeway" for clock skew on exp (§4.1.5: and on nbf). sfdx-core sends
# exp = Date.now() + 300 (milliseconds): an assertion valid for 0.3 s, which latency alone could expire.
EXPIRY_LEEWAY_MS = 30 * 1000
# An exp above this is a millisecond epoch (10**11 s is the year 5138; 10**11 ms is March 1973).
MILLISECOND_EPOCH_THRESHOLD = 10**11
# The only signature algorithm Salesforce accepts (D-JWT). Never "none", never an HMAC: with an HMAC
# the "secret" would be the public certificate, which anyone can read (the key-confusion attack).
ACCEPTED_ALGORITHM = "RS256"
_RS256_ONLY = jws.JWSRegistry(algorithms=[ACCEPTED_ALGORITHM])
_DIGITS = re.compile(r"[0-9]{1,20}")

# The refusals are in protocol/errors.py (their wire words and sources there).
LifetimeTooLong = AssertionLifetimeTooLong
NotApproved = NotApprovedByUser
NoCertificate = InvalidClient  # the app does not "use digital signatures": it has no key to verify with


@dataclass
class _Verification:
    """The assertion as the checks learn it, and what login history records (app, user, username)."""

    assertion: str | None
    caller: Caller
    header: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    signed: jws.CompactSignature | None = None
    app: ConnectedApp | None = None
    user: User | None = None
    username: str = ""
    expires_ms: int = 0
    status: str | None = None  # set when login history can say more than the wire's description


Check = Callable[[Context, Connection, _Verification], None]


# --- the checks, in order ---------------------------------------------------------------------------
# Until the signature is verified, only the header and ``iss`` (to find the key) are looked at.


def _check_well_formed(ctx: Context, conn: Connection, v: _Verification) -> None:
    """A JWS compact serialization whose payload is a JSON object (RFC 7519 §7.2)."""
    if not v.assertion:
        raise InvalidAssertion.with_reason("assertion missing")
    try:
        signed = jws.extract_compact(v.assertion.encode(), registry=_RS256_ONLY)
        claims = json.loads(signed.payload)
    except (JoseError, ValueError, TypeError, UnicodeError):
        raise InvalidAssertion.with_reason("assertion is not a JWS compact serialization") from None
    if not isinstance(claims, dict):
        raise InvalidAssertion.with_reason("assertion payload is not a JSON object")
    v.signed, v.header, v.claims = signed, dict(signed.headers()), claims


def _check_algorithm(ctx: Context, conn: Connection, v: _Verification) -> None:
    """RS256 and nothing else, decided before any key is touched (refuses "none" and HS256 outright)."""
    if v.header.get("alg") != ACCEPTED_ALGORITHM:
        raise InvalidAssertion.with_reason(f"alg={str(v.header.get('alg'))[:20]!r} refused")


def _check_issuer(ctx: Context, conn: Connection, v: _Verification) -> None:
    """``iss`` is the consumer key of an enabled app (find_client: invalid_client_id, app_blocked)."""
    v.app = find_client(conn, _name_claim(v.claims.get("iss")))


def _check_app_uses_certificate(ctx: Context, conn: Connection, v: _Verification) -> None:
    """Salesforce's "Use digital signatures": the flow is on for an app exactly when it has a certificate."""
    assert v.app is not None
    if not v.app.jwt_bearer_enabled:
        raise NoCertificate.with_reason("app has no certificate: JWT bearer flow not enabled")


def _check_signature(ctx: Context, conn: Connection, v: _Verification) -> None:
    """Verified with the public key of the app's certificate, RS256 only (the registry allows no other)."""
    assert v.app is not None and v.app.certificate_pem is not None and v.signed is not None
    try:
        valid = jws.validate_compact(v.signed, _public_key(v.app.certificate_pem), registry=_RS256_ONLY)
    except (JoseError, ValueError):
        valid = False
    if not valid:
        raise InvalidAssertion.with_reason("signature not made by the app's certificate key")


def _check_subject(ctx: Context, conn: Connection, v: _Verification) -> None:
    """``sub`` (or the legacy ``prn``) is the username of an active user of the app's org."""
    assert v.app is not None
    subject = v.claims.get("sub", v.claims.get("prn"))
    if not isinstance(subject, str) or not subject:
        raise InvalidAssertion.with_reason("sub missing")
    if _name_claim(subject) is None:
        raise UnknownUser.with_reason("sub holds a NUL or an unpaired surrogate")
    v.username = subject[:255]
    user = repo.user_by_username(conn, subject)
    if user is None or user.org_id != v.app.org_id:
        raise UnknownUser.with_reason("no such user in the app's org")
    v.user = user
    if not user.is_active:
        raise InactiveUser.with_reason("user inactive")


def _check_expiry(ctx: Context, conn: Connection, v: _Verification) -> None:
    """``exp`` required: seconds, milliseconds or a numeric string; not past, not too far ahead."""
    expires_ms = _epoch_ms(v.claims.get("exp"))
    if expires_ms is None:
        raise InvalidAssertion.with_reason("exp missing or not a number")
    now = ctx.now_ms()
    if expires_ms + EXPIRY_LEEWAY_MS <= now:
        raise ExpiredAssertion.with_reason("assertion expired")
    if expires_ms - now > MAX_ASSERTION_LIFETIME_MS:
        raise LifetimeTooLong.with_reason("exp more than the allowed lifetime ahead")
    v.expires_ms = expires_ms


def _check_not_before(ctx: Context, conn: Connection, v: _Verification) -> None:
    """``nbf`` (optional): not accepted before it (RFC 7519 §4.1.5), with exp's clock-skew leeway. In
    the same forms as ``exp``; anything else there makes the assertion invalid."""
    if "nbf" not in v.claims:
        return
    not_before_ms = _epoch_ms(v.claims["nbf"])
    if not_before_ms is None:
        raise InvalidAssertion.with_reason("nbf not a number")
    if not_before_ms - EXPIRY_LEEWAY_MS > ctx.now_ms():
        raise InvalidAssertion.with_reason("assertion not yet valid (nbf in the future)")


def _check_audience(ctx: Context, conn: Connection, v: _Verification) -> None:
    """``aud`` names us: our own origin or a configured login URL, with or without a trailing slash.
    The wire says only "Audience validation failed"; login history (as much as its status column
    holds) and the log name what came and what would have passed. The signature is verified by
    now, so whoever holds the app's key wrote that audience."""
    accepted = [_without_trailing_slash(url) for url in (v.caller.origin, *ctx.settings.login_urls)]
    audience = v.claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]  # RFC 7519 §4.1.3: string or array
    if not any(isinstance(a, str) and _without_trailing_slash(a) in accepted for a in audiences):
        received = json.dumps(audience)[:80]
        # Terse: login history's status holds 128 characters (the repository cuts the rest).
        detail = f"aud {received}; own URL + FORCEGATE_LOGIN_URLS: {', '.join(accepted)}"
        v.status = f"Failed: {detail}"
        raise WrongAudience.with_reason(detail)


def _check_user_permitted(ctx: Context, conn: Connection, v: _Verification) -> None:
    """Admin-approved apps: the user is pre-authorized. Self-authorize apps: the user approved it before
    (there is no page here to ask)."""
    assert v.app is not None and v.user is not None
    permitted = user_may_use_app(conn, v.app, v.user)
    if permitted is False:
        raise NotAdminApproved.with_reason("user not pre-authorized")
    if permitted is None:
        raise NotApproved.with_reason("user never approved the app")


def _check_jti_unused(ctx: Context, conn: Connection, v: _Verification) -> None:
    """A ``jti`` (optional) is single use per app while its assertion is valid. Written in the issuing
    transaction, so of two concurrent replays only one can win."""
    jti = v.claims.get("jti")
    if jti is None:
        return
    assert v.app is not None
    if not isinstance(jti, str) or not jti:
        raise InvalidAssertion.with_reason("jti is not a string")
    fresh = jwt_assertions.remember_jti(
        conn,
        org_id=v.app.org_id,
        app_id=v.app.id,
        jti_hash=token_hash(jti),
        expires_ms=v.expires_ms + EXPIRY_LEEWAY_MS,  # as long as the assertion could be accepted
        now_ms=ctx.now_ms(),
    )
    if not fresh:
        raise ReplayedJti.with_reason("jti replayed")


CHECKS: tuple[Check, ...] = (
    _check_well_formed,
    _check_algorithm,
    _check_issuer,
    _check_app_uses_certificate,
    _check_signature,
    _check_subject,
    _check_expiry,
    _check_not_before,
    _check_audience,
    _check_user_permitted,
    _check_jti_unused,
)


# --- helpers --------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _public_key(certificate_pem: str) -> RSAKey:
    """The certificate's RSA public key. Keyed by the certificate text, so a new certificate is a new
    entry and a replaced one can never verify anything again."""
    return RSAKey.import_key(certificate_pem)


def _epoch_ms(value: object) -> int | None:
    """A time claim (``exp``, ``nbf``) in epoch milliseconds: int or float seconds, milliseconds
    (> 10**11; sfdx-core), or a string of digits (simple-salesforce). None when absent or not a number."""
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, float) and math.isfinite(value):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if value > MILLISECOND_EPOCH_THRESHOLD else value * 1000


def _name_claim(value: object) -> str | None:
    """A claim that names an app or a user, or None when it cannot name one: not a string, or holding
    what no stored name can (``unstorable``: a NUL, or a JSON ``\\ud800`` escape's lone surrogate).
    Such a claim must not reach the database, nor login history."""
    return value if isinstance(value, str) and not unstorable(value) else None


def _without_trailing_slash(url: str) -> str:
    return url.removesuffix("/")


def _granted_scopes(conn: Connection, app: ConnectedApp, user: User) -> list[str]:
    """The app's scopes, minus those that would mint a refresh token (never in this flow); for a
    self-authorize app, only those the user approved."""
    approved = repo.approved_scopes(conn, user.id, app.id)
    return [
        scope
        for scope in app.scopes
        if not grants_refresh_token([scope]) and (approved is None or scope in approved)
    ]


# --- the grant --------------------------------------------------------------------------------------


def _grant(ctx: Context, conn: Connection, attempt: Attempt) -> dict[str, Any]:
    """The checks in order, then the token. The assertion names and proves the client itself (``iss``,
    signed with the app's certificate key), so the runner authenticates none."""
    v = _Verification(assertion=attempt.request.assertion, caller=attempt.caller)
    try:
        for check in CHECKS:
            check(ctx, conn, v)
    finally:
        attempt.app, attempt.user, attempt.username, attempt.status = v.app, v.user, v.username, v.status
    assert v.app is not None and v.user is not None
    scopes = _granted_scopes(conn, v.app, v.user)
    tokens = issue_tokens(ctx, conn, app=v.app, user=v.user, scopes=scopes, flow=FLOW, issuer=v.caller.origin)
    # salesforce-wire.md §5: exactly these fields; no refresh_token, signature or issued_at.
    return {
        "access_token": tokens.access_token,
        "scope": " ".join(tokens.scopes),
        "instance_url": v.caller.origin,
        "id": identity_url(v.caller.origin, tokens.org_id, tokens.user_id),
        "token_type": "Bearer",
    }


GRANT = Grant(
    flow=FLOW,
    grant_types=("urn:ietf:params:oauth:grant-type:jwt-bearer",),
    parameters=("assertion",),
    client=ClientAuthentication.NONE,
    issue=_grant,
)
jwt_bearer_grant = GRANT
