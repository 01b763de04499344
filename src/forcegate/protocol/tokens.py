"""Token shapes and the token response, as Salesforce and its clients expect them.

- access token: ``<15-char org id>!<opaque>`` (the Salesforce CLI matches ``(00D\\w{12,15})![.\\w]*``);
- refresh token: letters, digits, '.' and '_' only (the CLI's auth-URL parser);
- authorization code: longer than 4 characters (the CLI's listener rejects shorter ones).

Each carries 256 bits of randomness.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from forcegate.ids import to15
from forcegate.secrets_box import random_token

__all__ = [
    "IssuedTokens",
    "identity_url",
    "new_access_token",
    "new_authorization_code",
    "new_refresh_token",
    "response_signature",
    "token_response",
]


def new_access_token(org_id: str) -> str:
    return f"{to15(org_id)}!{random_token(32)}"


def new_refresh_token() -> str:
    return "5Aep861" + random_token(32).replace(".", "_")


def new_authorization_code() -> str:
    return "aPrx" + random_token(32)


def identity_url(origin: str, org_id: str, user_id: str) -> str:
    return f"{origin}/id/{org_id}/{user_id}"


def response_signature(consumer_secret: str, identity: str, issued_at: str) -> str:
    """base64(HMAC-SHA256(secret, id + issued_at)): lets a client check the response came from us."""
    digest = hmac.new(consumer_secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str | None
    scopes: list[str]
    issued_at_ms: int
    org_id: str
    user_id: str
    id_token: str | None = None


def token_response(tokens: IssuedTokens, origin: str, consumer_secret: str | None) -> dict[str, str]:
    """The JSON body of a successful token response (salesforce-wire.md §2.1). No expires_in."""
    identity = identity_url(origin, tokens.org_id, tokens.user_id)
    issued_at = str(tokens.issued_at_ms)
    body: dict[str, str] = {"access_token": tokens.access_token}
    if tokens.refresh_token:
        body["refresh_token"] = tokens.refresh_token
    if consumer_secret is not None:
        body["signature"] = response_signature(consumer_secret, identity, issued_at)
    body["scope"] = " ".join(tokens.scopes)
    if tokens.id_token:
        body["id_token"] = tokens.id_token
    body.update(instance_url=origin, id=identity, token_type="Bearer", issued_at=issued_at)
    return body
