"""Requests to the revocation (RFC 7009) and introspection (RFC 7662) endpoints, parsed once.

Both take ``token`` and an optional ``token_type_hint``, and client authentication as the token
endpoint does (``client_id`` + ``client_secret`` in the body, or HTTP Basic). Salesforce's wire
errors for revocation (salesforce-wire.md §10.1, D-REVOKE): 400 ``invalid_token`` or
``unsupported_token_type``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from forcegate.protocol.errors import (
    DuplicateParameter,
    InvalidClient,
    InvalidToken,
    MultipleClientAuthentication,
    UnsupportedTokenType,
)
from forcegate.protocol.requests import basic_credentials, single_values

__all__ = [
    "TOKEN_TYPE_HINTS",
    "InvalidToken",
    "TokenManagementRequest",
    "UnsupportedTokenType",
    "parse_token_management_request",
]

TOKEN_TYPE_HINTS = ("access_token", "refresh_token")
MAX_TOKEN_LENGTH = 4096  # longer than any token we mint, JWT access tokens included

_FIELDS = ("token", "token_type_hint", "client_id", "client_secret")


@dataclass(frozen=True)
class TokenManagementRequest:
    token: str | None  # None when missing or too long to be one of ours
    token_type_hint: str | None  # as sent: revocation refuses unknown values, introspection ignores them
    client_id: str | None
    client_secret: str | None

    @property
    def authenticates(self) -> bool:
        """Whether the caller named a client (revocation then only revokes that client's tokens)."""
        return self.client_id is not None or self.client_secret is not None


def parse_token_management_request(
    pairs: Iterable[tuple[str, str]], authorization: str | None
) -> TokenManagementRequest:
    values, duplicated = single_values(pairs, _FIELDS)
    if duplicated:
        raise DuplicateParameter.formatted(parameter=duplicated[0])
    client_id = values.get("client_id") or None
    client_secret = values.get("client_secret") or None
    basic = basic_credentials(authorization)
    if basic is not None:
        if client_id is not None and client_id != basic[0]:
            raise InvalidClient.with_reason("client_id in body differs from HTTP Basic")
        if client_secret is not None:
            raise MultipleClientAuthentication.copy()
        client_id, client_secret = basic[0], basic[1] or None
    hint = values.get("token_type_hint") or None
    token = values.get("token") or None
    if token is not None and len(token) > MAX_TOKEN_LENGTH:
        token = None
    return TokenManagementRequest(
        token=token, token_type_hint=hint, client_id=client_id, client_secret=client_secret
    )
