"""One module per OAuth flow, named as Salesforce names it, plus what they share.

Each grant module declares its grant once (``forcegate.flows.grants.Grant``: grant types, parameters,
client authentication, CPU weight, handler); the tables below are built from those declarations at
import. ``GRANTS`` maps a token request's ``grant_type`` to the grant that answers it;
``TOKEN_RESPONSE_TYPES`` maps a ``response_type`` sent to the token endpoint without a grant type
(Salesforce starts its device flow that way). The token endpoint looks a grant up here and nowhere
else. Every grant is called as ``(ctx, TokenRequest, Caller, org_id)`` and returns the JSON body of a
success.
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
from forcegate.flows.grants import Grant
from forcegate.protocol.requests import TokenRequest

__all__ = ["CPU_HEAVY_GRANTS", "DECLARED", "GRANTS", "TOKEN_RESPONSE_TYPES", "Caller", "GrantHandler"]

GrantHandler = Callable[[Context, TokenRequest, Caller, str], dict[str, Any]]

# In the order discovery lists the grant types.
DECLARED: tuple[Grant, ...] = (
    web_server.GRANT,
    refresh_token.GRANT,
    jwt_bearer.GRANT,
    device.POLL,
    username_password.GRANT,
    client_credentials.GRANT,
    device.START,
)

GRANTS: dict[str, Grant] = {grant_type: grant for grant in DECLARED for grant_type in grant.grant_types}
TOKEN_RESPONSE_TYPES: dict[str, Grant] = {
    response_type: grant for grant in DECLARED for response_type in grant.response_types
}
CPU_HEAVY_GRANTS = frozenset(grant_type for grant_type, grant in GRANTS.items() if grant.cpu_heavy)
