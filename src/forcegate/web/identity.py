"""Protected identity endpoints: userinfo and the identity URL (and the REST versions document).

A missing, unknown, expired or revoked token gets 401 with Salesforce's data-API error array
(``INVALID_SESSION_ID``), which simple-salesforce and jsforce read to decide to log in again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from forcegate.api_errors import NOT_FOUND_MESSAGE
from forcegate.domain import AccessTokenGrant, User
from forcegate.flows.bearer import InvalidSession, authenticate_with_user, presented_token
from forcegate.ids import InvalidId, normalize_id, to15
from forcegate.web.common import api_error, api_error_response, json_response, run_blocking, session_refusal

__all__ = [
    "CLAIMS_SUPPORTED",
    "identity",
    "userinfo",
    "versions_document",
]


def _presented_token(request: Request, allow_query_token: bool) -> str | None:
    query_token = request.query_params.get("oauth_token") if allow_query_token else None
    return presented_token(request.headers.get("authorization"), query_token)


def _grant_and_user(request: Request, *, allow_query_token: bool = False) -> tuple[AccessTokenGrant, User]:
    """Raises InvalidSession: both endpoints answer it as the data API does (401, with the challenge)."""
    return authenticate_with_user(request.app.state.ctx, _presented_token(request, allow_query_token))


def _identity_document(origin: str, user: User, org_id: str, version: str = "{version}") -> dict[str, Any]:
    org15 = to15(org_id)
    data = f"{origin}/services/data/v{version}"
    return {
        "id": f"{origin}/id/{org_id}/{user.id}",
        "asserted_user": True,
        "user_id": user.id,
        "organization_id": org_id,
        "username": user.username,
        "nick_name": user.username.split("@")[0],
        "display_name": user.name,
        "email": user.email,
        "email_verified": True,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "timezone": "GMT",
        "photos": {"picture": None, "thumbnail": None},
        "addr_street": None,
        "addr_city": None,
        "addr_state": None,
        "addr_country": None,
        "addr_zip": None,
        "mobile_phone": None,
        "mobile_phone_verified": False,
        "is_lightning_login_user": False,
        "status": {"created_date": None, "body": None},
        "urls": {
            "enterprise": f"{origin}/services/Soap/c/{version}/{org15}",
            "metadata": f"{origin}/services/Soap/m/{version}/{org15}",
            "partner": f"{origin}/services/Soap/u/{version}/{org15}",
            "rest": f"{data}/",
            "sobjects": f"{data}/sobjects/",
            "search": f"{data}/search/",
            "query": f"{data}/query/",
            "recent": f"{data}/recent/",
            "tooling_soap": f"{origin}/services/Soap/T/{version}/{org15}",
            "tooling_rest": f"{data}/tooling/",
            "profile": f"{origin}/{user.id}",
            "custom_domain": origin,
        },
        "active": user.is_active,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": 0,
        "last_modified_date": _iso(user.modified_ms),
        "is_app_installed": True,
    }


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _userinfo(request: Request) -> Response:
    try:
        grant, user = _grant_and_user(request)
    except InvalidSession as refused:
        return api_error_response(session_refusal(refused))
    origin = request.app.state.public_url
    doc = _identity_document(origin, user, grant.org_id)
    every_claim = {
        "sub": doc["id"],
        "user_id": user.id,
        "organization_id": grant.org_id,
        "preferred_username": user.username,
        "nickname": doc["nick_name"],
        "name": user.name,
        "email": user.email,
        "email_verified": True,
        "given_name": user.first_name,
        "family_name": user.last_name,
        "zoneinfo": doc["timezone"],
        "photos": doc["photos"],
        "profile": doc["urls"]["profile"],
        "picture": None,
        "address": {},
        "phone_number": None,  # no phone number is kept yet; the claims are omitted
        "phone_number_verified": None,
        "is_salesforce_integration_user": False,
        "urls": doc["urls"],
        "active": user.is_active,
        "user_type": doc["user_type"],
        "language": doc["language"],
        "locale": doc["locale"],
        "utcOffset": 0,
        # OIDC Core §5.1: seconds since the epoch (strict relying parties refuse Salesforce's ISO string).
        "updated_at": user.modified_ms // 1000,
        "is_app_installed": True,
    }
    allowed = userinfo_claims(grant.scopes)
    # OIDC Core §5.3.2: a claim without a value is omitted, not null.
    return json_response({k: v for k, v in every_claim.items() if k in allowed and v is not None})


# Which userinfo claims each scope releases (OIDC Core §5.4). ``id`` is Salesforce's synonym for all four
# together, and ``full`` includes it. Without any of them a token still gets who it is for: ``sub``,
# ``user_id`` and ``organization_id`` and the account's non-personal fields (the Salesforce CLI reads
# user_id and organization_id with PlatformCLI's scopes, which have no OIDC scope).
_ALWAYS = (
    "sub",
    "user_id",
    "organization_id",
    "urls",
    "active",
    "user_type",
    "language",
    "utcOffset",
    "is_salesforce_integration_user",
    "is_app_installed",
)
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": (
        "preferred_username",
        "nickname",
        "name",
        "given_name",
        "family_name",
        "zoneinfo",
        "locale",
        "photos",
        "profile",
        "picture",
        "updated_at",
    ),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
}
_EVERY_SCOPE_CLAIM = frozenset(c for claims in SCOPE_CLAIMS.values() for c in claims)
CLAIMS_SUPPORTED: tuple[str, ...] = (*_ALWAYS, *(c for claims in SCOPE_CLAIMS.values() for c in claims))


def userinfo_claims(scopes: frozenset[str]) -> frozenset[str]:
    if "id" in scopes or "full" in scopes:
        return frozenset(_ALWAYS) | _EVERY_SCOPE_CLAIM
    released = {c for scope in scopes for c in SCOPE_CLAIMS.get(scope, ())}
    return frozenset(_ALWAYS) | released


async def userinfo(request: Request) -> Response:
    """GET or POST /services/oauth2/userinfo"""
    return await run_blocking(request, _userinfo, request)


def _identity(request: Request) -> Response:
    try:
        grant, user = _grant_and_user(request, allow_query_token=True)
    except InvalidSession as refused:
        return api_error_response(session_refusal(refused))
    try:
        org_id = normalize_id(request.path_params["org_id"])
        user_id = normalize_id(request.path_params["user_id"])
    except InvalidId:
        return api_error(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
    if org_id != grant.org_id or user_id != grant.user_id:
        # Another user's identity needs rights no user has yet (they arrive with permissions).
        return api_error(403, "INSUFFICIENT_ACCESS", "insufficient access rights on cross-reference id")
    # ?version=latest or a known version fills the {version} placeholder in "urls".
    asked = request.query_params.get("version", "")
    versions: list[str] = request.app.state.api_versions
    version = versions[-1] if asked == "latest" else asked if asked in versions else "{version}"
    return json_response(_identity_document(request.app.state.public_url, user, grant.org_id, version))


async def identity(request: Request) -> Response:
    """GET or POST /id/{org_id}/{user_id}: token by Bearer header or ?oauth_token= (jsforce)."""
    return await run_blocking(request, _identity, request)


def release_label(version: int) -> str:
    """API version -> release name: 31.0 was Summer '14, and three releases a year since."""
    steps = version - 31
    season = ("Summer", "Winter", "Spring")[steps % 3]
    return f"{season} '{14 + (steps + 2) // 3:02d}"


def versions_document(max_version: int) -> list[dict[str, str]]:
    return [
        {"label": release_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
        for v in range(31, max_version + 1)
    ]
