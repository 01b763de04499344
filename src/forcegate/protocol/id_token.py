"""The claims of an OpenID Connect id_token and of a JWT access token (salesforce-wire.md §1.3, §10.6).

``sub`` is the identity URL, as Salesforce's (and as userinfo's ``sub``); ``aud`` is the consumer key.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

__all__ = ["at_hash", "id_token_claims", "jwt_access_token_claims"]


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: base64url of the left half of SHA-256 of the access token, unpadded."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def id_token_claims(
    *,
    issuer: str,
    subject: str,
    client_id: str,
    issued_at_s: int,
    lifetime_s: int,
    auth_time_s: int,
    nonce: str | None,
    access_token: str,
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": client_id,
        "exp": issued_at_s + lifetime_s,
        "iat": issued_at_s,
        "auth_time": auth_time_s,
        "at_hash": at_hash(access_token),
    }
    if nonce is not None:
        claims["nonce"] = nonce
    return claims


def jwt_access_token_claims(
    *,
    issuer: str,
    subject: str,
    audience: str,
    client_id: str,
    scopes: list[str],
    issued_at_s: int,
    lifetime_s: int,
    jti: str,
) -> dict[str, Any]:
    """RFC 9068's claims (``scope`` as a string) plus Salesforce's ``scp`` list."""
    return {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "exp": issued_at_s + lifetime_s,
        "iat": issued_at_s,
        "nbf": issued_at_s,
        "jti": jti,
        "client_id": client_id,
        "scope": " ".join(scopes),
        "scp": list(scopes),
    }
