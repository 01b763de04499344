"""Requests parsed once into typed values; flows never read a raw form.

The HTTP layer hands over the merged parameter pairs (query string of a POST first, then the body,
as Salesforce accepts both) and the Authorization header. Duplicate values for a parameter we know
are refused here, in one place; parameters we do not know are ignored, as Salesforce does.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote_plus

from forcegate.protocol.errors import (
    DuplicateParameter,
    InvalidBasicAuthHeader,
    InvalidClient,
    MultipleClientAuthentication,
)

__all__ = [
    "AuthorizeRequest",
    "TokenRequest",
    "basic_credentials",
    "parse_authorize_request",
    "parse_token_request",
    "single_values",
    "unstorable",
]

_TOKEN_FIELDS = (
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
    "format",
)
_AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "login_hint",
    "nonce",
    "display",
)

# NUL and lone surrogates: PostgreSQL refuses NUL in text and neither backend encodes a lone
# surrogate, so no client_id, username or name can hold them; a request carrying one is malformed.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> bool:
    """Whether ``text`` holds a character no stored name can: NUL or a lone surrogate."""
    return _UNSTORABLE.search(text) is not None


def single_values(
    pairs: Iterable[tuple[str, str]], known: tuple[str, ...]
) -> tuple[dict[str, str], list[str]]:
    values: dict[str, str] = {}
    duplicated: list[str] = []
    for name, value in pairs:
        if name not in known:
            continue
        if name in values and values[name] != value:
            duplicated.append(name)
        values[name] = value
    return values, duplicated


@dataclass(frozen=True)
class TokenRequest:
    grant_type: str
    response_type: str  # Salesforce's device flow starts at the token endpoint: response_type=device_code
    client_id: str | None
    client_secret: str | None
    client_auth_basic: bool
    code: str | None
    redirect_uri: str | None
    code_verifier: str | None
    refresh_token: str | None
    scope: str | None
    username: str | None
    password: str | None
    assertion: str | None
    device_code: str | None = None  # RFC 8628 polling (Salesforce's dialect sends it as ``code``)


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidBasicAuthHeader.copy() from exc
    client_id, sep, client_secret = decoded.partition(":")
    if not sep or not client_id:
        raise InvalidBasicAuthHeader.copy()
    # RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    client_id, client_secret = unquote_plus(client_id), unquote_plus(client_secret)
    if unstorable(client_id) or unstorable(client_secret):
        raise InvalidBasicAuthHeader.copy()
    return client_id, client_secret


def parse_token_request(pairs: Iterable[tuple[str, str]], authorization: str | None) -> TokenRequest:
    values, duplicated = single_values(pairs, _TOKEN_FIELDS)
    if duplicated:
        raise DuplicateParameter.formatted(parameter=duplicated[0])
    client_id = values.get("client_id") or None
    client_secret = values.get("client_secret")
    basic = basic_credentials(authorization)
    if basic is not None:
        if client_id is not None and client_id != basic[0]:
            raise InvalidClient.with_reason("client_id in body differs from HTTP Basic")
        if client_secret is not None:
            raise MultipleClientAuthentication.copy()
        client_id, client_secret = basic
    return TokenRequest(
        grant_type=values.get("grant_type", ""),
        response_type=values.get("response_type", ""),
        device_code=values.get("device_code") or None,
        client_id=client_id,
        client_secret=client_secret if client_secret else None,
        client_auth_basic=basic is not None,
        code=values.get("code") or None,
        redirect_uri=values.get("redirect_uri") or None,
        code_verifier=values.get("code_verifier") or None,
        refresh_token=values.get("refresh_token") or None,
        scope=values.get("scope") or None,
        username=values.get("username") or None,
        password=values.get("password"),
        assertion=values.get("assertion") or None,
    )


@dataclass(frozen=True)
class AuthorizeRequest:
    response_type: str
    client_id: str
    redirect_uri: str
    scope: str | None
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    prompt: frozenset[str]
    login_hint: str | None
    nonce: str | None
    duplicated: tuple[str, ...]


def _response_type(value: str) -> str:
    """OIDC's ``token id_token`` (in either order) is the User-Agent flow, which adds the id_token
    whenever ``openid`` is granted anyway; Salesforce's discovery lists it beside ``token``."""
    if sorted(value.split()) == ["id_token", "token"]:
        return "token"
    return value


def parse_authorize_request(pairs: Iterable[tuple[str, str]]) -> AuthorizeRequest:
    values, duplicated = single_values(pairs, _AUTHORIZE_FIELDS)
    return AuthorizeRequest(
        response_type=_response_type(values.get("response_type", "")),
        client_id=values.get("client_id", ""),
        redirect_uri=values.get("redirect_uri", ""),
        scope=values.get("scope"),
        state=values.get("state"),
        code_challenge=values.get("code_challenge") or None,
        code_challenge_method=values.get("code_challenge_method") or None,
        prompt=frozenset(values.get("prompt", "").split()),
        login_hint=values.get("login_hint") or None,
        nonce=values.get("nonce") or None,
        duplicated=tuple(duplicated),
    )
