"""Salesforce's OAuth scopes (salesforce-wire.md §12.1)."""

from __future__ import annotations

__all__ = ["KNOWN_SCOPES", "SCOPE_DESCRIPTIONS", "grants_refresh_token", "parse_scope", "unknown_scopes"]

# Scope -> how the consent page names it, in words.
SCOPE_DESCRIPTIONS: dict[str, str] = {
    "api": "Manage user data via APIs",
    "web": "Manage user data via Web browsers",
    "full": "Full access",
    "id": "Access the identity URL service",
    "openid": "Access unique user identifiers",
    "profile": "Access your basic profile information",
    "email": "Access your email address",
    "address": "Access your address",
    "phone": "Access your phone number",
    "refresh_token": "Perform requests at any time",
    "offline_access": "Perform requests at any time",
    "chatter_api": "Access Connect REST API resources",
    "custom_permissions": "Access custom permissions",
    "visualforce": "Access Visualforce applications",
    "content": "Access content resources",
    "lightning": "Access Lightning applications",
    "wave_api": "Access Analytics REST API resources",
    "eclair_api": "Access Analytics REST API Charts Geodata resources",
    "pardot_api": "Access Pardot services",
    "cdp_api": "Manage Data Cloud data",
    "cdp_ingest_api": "Manage Data Cloud Ingestion API data",
    "cdp_query_api": "Perform ANSI SQL queries on Data Cloud data",
    "cdp_profile_api": "Manage Data Cloud profile data",
    "cdp_segment_api": "Manage Data Cloud segmentation data",
    "cdp_identityresolution_api": "Perform Data Cloud identity resolution",
    "cdp_calculated_insight_api": "Perform Data Cloud calculated insight queries",
    "chatbot_api": "Access chatbot services",
    "interaction_api": "Access Interaction API resources",
    "einstein_gpt_api": "Access Einstein GPT services",
    "sfap_api": "Access the Salesforce API Platform",
    "mcp_api": "Access MCP servers",
    "scrt_api": "Access Service Cloud Real-Time API",
    "user_registration_api": "Register users",
    "pwdless_login_api": "Use passwordless login",
    "forgot_password": "Reset passwords",
    "data_cloud_user_claims": "Access Data Cloud user claims",
}

KNOWN_SCOPES: frozenset[str] = frozenset(SCOPE_DESCRIPTIONS)


def parse_scope(value: str | None) -> list[str]:
    """Space-separated scope string -> ordered list without duplicates (order kept: it is echoed back)."""
    seen: dict[str, None] = {}
    for part in (value or "").split():
        seen.setdefault(part, None)
    return list(seen)


def unknown_scopes(scopes: list[str]) -> list[str]:
    return [s for s in scopes if s not in KNOWN_SCOPES]


def grants_refresh_token(scopes: list[str] | frozenset[str]) -> bool:
    return "refresh_token" in scopes or "offline_access" in scopes
