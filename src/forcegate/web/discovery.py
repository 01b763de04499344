"""OpenID Connect discovery, OAuth 2.0 authorization server metadata (RFC 8414) and the JWKS.

The documents list only what this server does: each value is derived from the code that implements
it (the grant table, the scope table, the claims userinfo returns), so they cannot drift apart.
``issuer`` is the public URL the document is served under, as strict relying parties require.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forcegate.flows import GRANTS
from forcegate.keys import ALGORITHM
from forcegate.protocol.scopes import SCOPE_DESCRIPTIONS
from forcegate.web.common import json_response, run_blocking
from forcegate.web.device import DEVICE_AUTHORIZATION_PATH
from forcegate.web.identity import CLAIMS_SUPPORTED
from forcegate.web.logout import END_SESSION_PATH

__all__ = ["JWKS_PATH", "ROUTES", "metadata"]

JWKS_PATH = "/id/keys"
_CORS = {"Access-Control-Allow-Origin": "*"}
# Short: a rotated-in key signs at once, and clients refetch on an unknown kid anyway.
_CACHEABLE = {**_CORS, "Cache-Control": "public, max-age=60"}


def metadata(issuer: str) -> dict[str, Any]:
    """The discovery document for ``issuer`` (also served as the RFC 8414 metadata)."""
    oauth2 = f"{issuer}/services/oauth2"
    client_auth = ["client_secret_basic", "client_secret_post", "none"]
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{oauth2}/authorize",
        "token_endpoint": f"{oauth2}/token",
        "userinfo_endpoint": f"{oauth2}/userinfo",
        "jwks_uri": f"{issuer}{JWKS_PATH}",
        "revocation_endpoint": f"{oauth2}/revoke",
        "introspection_endpoint": f"{oauth2}/introspect",
        "device_authorization_endpoint": f"{issuer}{DEVICE_AUTHORIZATION_PATH}",
        "end_session_endpoint": f"{issuer}{END_SESSION_PATH}",
        "scopes_supported": list(SCOPE_DESCRIPTIONS),
        "response_types_supported": ["code", "token", "token id_token"],
        "response_modes_supported": ["query", "fragment"],
        # Every grant_type the token endpoint answers, plus the implicit grant of response_type=token.
        "grant_types_supported": ["implicit", *GRANTS],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_methods_supported": client_auth,
        "revocation_endpoint_auth_methods_supported": client_auth,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": list(CLAIMS_SUPPORTED),
        "claim_types_supported": ["normal"],
        "prompt_values_supported": ["login", "consent"],
        # What we do not support is said explicitly: absent, OIDC Discovery defaults some to true.
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "require_request_uri_registration": False,
    }


async def openid_configuration(request: Request) -> Response:
    """GET /.well-known/openid-configuration and /.well-known/oauth-authorization-server"""
    return json_response(request.app.state.discovery_document, headers=_CACHEABLE)


def _jwks(request: Request) -> Response:
    return json_response(request.app.state.ctx.keys.jwks(), headers=_CACHEABLE)


async def jwks(request: Request) -> Response:
    """GET /id/keys: the published signing keys (public parts only)."""
    return await run_blocking(request, _jwks, request)


ROUTES: list[Route] = [
    Route("/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
    Route("/.well-known/oauth-authorization-server", openid_configuration, methods=["GET"]),
    Route(JWKS_PATH, jwks, methods=["GET"]),
]
