"""One module per OAuth flow, named as Salesforce names it, plus what they share.

``GRANTS`` maps a token request's ``grant_type`` to the flow that answers it; ``TOKEN_RESPONSE_TYPES``
maps a ``response_type`` sent to the token endpoint without a grant type (Salesforce starts its device
flow that way). The token endpoint looks a handler up here and nowhere else. Every handler takes
``(ctx, TokenRequest, Caller, org_id)`` and returns the JSON body of a success.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from forcegate.context import Context
from forcegate.flows import (
    client_credentials,
    device,
    jwt_bearer,
    refresh_token,
    username_password,
    web_server,
)
from forcegate.flows.common import Caller
from forcegate.protocol.requests import TokenRequest

__all__ = ["CPU_HEAVY_GRANTS", "GRANTS", "TOKEN_RESPONSE_TYPES", "Caller", "GrantHandler"]

GrantHandler = Callable[[Context, TokenRequest, Caller, str], dict[str, Any]]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"

GRANTS: dict[str, GrantHandler] = {
    "authorization_code": web_server.exchange_code,
    "refresh_token": refresh_token.refresh,
    JWT_BEARER: jwt_bearer.jwt_bearer_grant,
    "device": device.poll,  # Salesforce's dialect
    DEVICE_CODE: device.poll,  # RFC 8628
    "password": username_password.password_grant,
    "client_credentials": client_credentials.client_credentials_grant,
}

# Grants that verify a password (argon2: tens of milliseconds, outside the GIL): always run off the
# event loop, whatever the database.
CPU_HEAVY_GRANTS = frozenset({"password"})

TOKEN_RESPONSE_TYPES: dict[str, GrantHandler] = {
    "device_code": device.start,
}
