"""PKCE (RFC 7636) in Salesforce's dialect.

Two leniencies real clients need (client-compatibility.md): a ``code_challenge`` without
``code_challenge_method`` means S256 (jsforce and the Salesforce CLI omit it), and verifiers may be
longer than RFC 7636's 128 characters (they send 171). Authlib's own grant rejects both, which is why
this check is ours; the S256 transform is Authlib's.
"""

from __future__ import annotations

import re

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from forcegate.protocol.errors import (
    CodeVerifierMismatch,
    InvalidCodeChallenge,
    InvalidCodeVerifier,
    MissingCodeChallenge,
    UnsupportedCodeChallengeMethod,
)
from forcegate.secrets_box import constant_time_equals

__all__ = ["normalize_challenge_method", "verify_code_verifier"]

# RFC 7636 unreserved characters; at least 43 long, and no upper bound below 1 KiB.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,1024}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def normalize_challenge_method(challenge: str | None, method: str | None) -> str | None:
    """Validate an authorize request's PKCE parameters; return the method to store (or None)."""
    if not challenge:
        if method:
            raise MissingCodeChallenge.copy()
        return None
    if not _CHALLENGE.fullmatch(challenge):
        raise InvalidCodeChallenge.copy()
    method = method or "S256"
    if method != "S256":
        raise UnsupportedCodeChallengeMethod.copy()
    return method


def verify_code_verifier(challenge: str | None, verifier: str | None) -> None:
    """Check a token request's ``code_verifier`` against the code's stored challenge.

    Salesforce's documented split: challenge sent but verifier missing is ``invalid_grant``; a
    verifier that does not match is ``invalid_request`` (salesforce-wire.md §3.1). A verifier for a code
    issued without a challenge is refused too (RFC 9700 §2.1.1, the PKCE downgrade of §4.8.2: an
    attacker who stripped the challenge from the victim's authorize request must not get a code that
    the verifier-sending client would accept), as ``invalid_grant`` "invalid code verifier", the words
    Salesforce answers for PKCE failures.
    """
    if challenge is None:
        if verifier:
            raise InvalidCodeVerifier.with_reason(
                "code_verifier sent for a code issued without code_challenge"
            )
        return
    if not verifier:
        raise InvalidCodeVerifier.with_reason("code_verifier missing")
    if not _VERIFIER.fullmatch(verifier) or not constant_time_equals(
        create_s256_code_challenge(verifier), challenge
    ):
        raise CodeVerifierMismatch.with_reason("PKCE mismatch")
