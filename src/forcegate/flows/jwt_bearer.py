"""The jwt bearer flow (in progress: refused as an unsupported grant until implemented)."""

from __future__ import annotations

from typing import Any

from forcegate.context import Context
from forcegate.flows.common import Caller
from forcegate.protocol.errors import UnsupportedGrantType
from forcegate.protocol.requests import TokenRequest

__all__ = ["jwt_bearer_grant"]


def jwt_bearer_grant(ctx: Context, request: TokenRequest, caller: Caller, org_id: str) -> dict[str, Any]:
    raise UnsupportedGrantType.with_reason("jwt_bearer not implemented yet")
