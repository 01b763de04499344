"""The revocation and introspection endpoints: thin adapters over ``flows.revocation`` and
``flows.introspection``. Parameters come from the query string and the body alike (jsforce posts
``token`` in the body, the Mobile SDK sends ``GET ?token=``), in any encoding the token endpoint
accepts, chunked or not."""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from forcegate.flows import introspection, revocation
from forcegate.protocol.errors import OAuthError
from forcegate.protocol.token_management import parse_token_management_request
from forcegate.web.common import NO_STORE, caller_of, json_response, oauth_error_response, read_form_pairs

__all__ = ["ROUTES", "introspect", "revoke"]

log = logging.getLogger("forcegate.token")


async def revoke(request: Request) -> Response:
    try:
        parsed = parse_token_management_request(
            await read_form_pairs(request), request.headers.get("authorization")
        )
        await run_in_threadpool(
            revocation.revoke, request.app.state.ctx, parsed, caller_of(request), request.app.state.org_id
        )
    except OAuthError as error:
        log.info("revocation refused: %s %s", error.error, error.reason)
        return oauth_error_response(error)
    # Exactly 200 (client-compatibility.md): no body, nothing to cache.
    return Response(status_code=200, headers=NO_STORE)


async def introspect(request: Request) -> Response:
    try:
        parsed = parse_token_management_request(
            await read_form_pairs(request), request.headers.get("authorization")
        )
        body: dict[str, Any] = await run_in_threadpool(
            introspection.introspect,
            request.app.state.ctx,
            parsed,
            caller_of(request),
            request.app.state.org_id,
        )
    except OAuthError as error:
        log.info("introspection refused: %s %s", error.error, error.reason)
        return oauth_error_response(error)
    return json_response(body, headers=NO_STORE)


ROUTES: list[Route] = [
    Route("/services/oauth2/revoke", revoke, methods=["GET", "POST"]),
    Route("/services/oauth2/introspect", introspect, methods=["POST"]),
]
