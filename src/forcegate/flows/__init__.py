"""One module per OAuth flow, named as Salesforce names it, plus what they share.

``GRANTS`` maps a token request's ``grant_type`` to the flow that answers it; the token endpoint
looks a grant up here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from forcegate.flows import web_server
from forcegate.flows.common import Caller

__all__ = ["GRANTS", "Caller"]

GrantHandler = Callable[..., dict[str, Any]]

GRANTS: dict[str, GrantHandler] = {
    "authorization_code": web_server.exchange_code,
}
