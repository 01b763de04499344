"""POST /services/oauth2/token: parse once, dispatch by grant type, answer in Salesforce's shapes.

Each grant is declared once (``forcegate.flows.grants.Grant``): the runner owns its phases, and its
declaration says whether it is CPU-heavy (run off the event loop whatever the database)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from forcegate.flows import GRANTS, TOKEN_RESPONSE_TYPES
from forcegate.protocol.errors import MustUsePost, OAuthError, UnsupportedGrantType
from forcegate.protocol.requests import parse_token_request
from forcegate.web.common import (
    NO_STORE,
    caller_of,
    json_response,
    oauth_error_response,
    read_form_pairs,
    run_blocking,
)

__all__ = ["token_endpoint", "token_get"]

log = logging.getLogger("forcegate.token")


async def token_endpoint(request: Request) -> Response:
    try:
        token_request = parse_token_request(
            await read_form_pairs(request), request.headers.get("authorization")
        )
        if token_request.grant_type:
            grant = GRANTS.get(token_request.grant_type)
        else:
            grant = TOKEN_RESPONSE_TYPES.get(token_request.response_type)
        if grant is None:
            raise UnsupportedGrantType.with_reason(f"grant_type={token_request.grant_type[:64]!r}")
        body = await run_blocking(
            request,
            grant,
            request.app.state.ctx,
            token_request,
            caller_of(request),
            request.app.state.org_id,
            cpu_heavy=grant.cpu_heavy,
        )
    except OAuthError as error:
        # error.reason is for us; the client gets Salesforce's code and description only.
        log.info("token request refused: %s %s", error.error, error.reason)
        return oauth_error_response(error)
    return json_response(body, headers=NO_STORE)


async def token_get(request: Request) -> Response:
    return oauth_error_response(MustUsePost.copy())
