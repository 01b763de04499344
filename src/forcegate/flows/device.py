"""The device flow (in progress: refused as an unsupported grant until implemented)."""

from __future__ import annotations

from typing import Any

from forcegate.context import Context
from forcegate.flows.common import Caller
from forcegate.protocol.errors import UnsupportedGrantType, UnsupportedResponseType
from forcegate.protocol.requests import TokenRequest

__all__ = ["poll", "start"]


def start(ctx: Context, request: TokenRequest, caller: Caller, org_id: str) -> dict[str, Any]:
    """POST /services/oauth2/token with response_type=device_code (Salesforce's dialect)."""
    raise UnsupportedResponseType.with_reason("device flow not implemented yet")


def poll(ctx: Context, request: TokenRequest, caller: Caller, org_id: str) -> dict[str, Any]:
    """grant_type=device (Salesforce) or urn:ietf:params:oauth:grant-type:device_code (RFC 8628)."""
    raise UnsupportedGrantType.with_reason("device flow not implemented yet")
