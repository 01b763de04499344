"""Bearer authentication with automatic renewal for httpx (sync and async) and requests.

A 401 whose first error is ``INVALID_SESSION_ID`` renews the session and retries the request once;
the one text that renewal cannot cure ("This session is not valid for use with the REST API", a token
without the ``api`` scope) is passed through, as jsforce does.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any

import httpx

from forcegate.client.tokens import TokenManager

if TYPE_CHECKING:
    import requests

__all__ = ["NOT_FOR_API", "SalesforceAuth", "SalesforceRequestsAuth", "session_rejected"]

NOT_FOR_API = "This session is not valid for use with the REST API"


def session_rejected(status: int, body: bytes) -> bool:
    """Whether a response says the access token is no longer valid (and a new one could help)."""
    if status != 401:
        return False
    try:
        errors = json.loads(body or b"null")
    except ValueError:
        return False
    first: Any = errors[0] if isinstance(errors, list) and errors else errors
    if not isinstance(first, dict):
        return False
    return first.get("errorCode") == "INVALID_SESSION_ID" and first.get("message") != NOT_FOR_API


def _bearer(request: httpx.Request, token: str) -> None:
    request.headers["Authorization"] = f"Bearer {token}"


class SalesforceAuth(httpx.Auth):
    """``httpx.Client(auth=SalesforceAuth(manager))`` or ``httpx.AsyncClient(auth=...)``."""

    # sync_auth_flow and async_auth_flow are overridden (renewal differs), so they read the request
    # body (to resend it) and a 401's body (to see its errorCode) themselves.

    def __init__(self, manager: TokenManager) -> None:
        self.manager = manager

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.read()
        token = self.manager.current().access_token
        _bearer(request, token)
        response = yield request
        if response.status_code == 401 and self.manager.can_renew:
            response.read()
            if not session_rejected(response.status_code, response.content):
                return
            renewed = self.manager.current(rejected=token).access_token
            if renewed != token:
                _bearer(request, renewed)
                yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()
        token = (await self.manager.acurrent()).access_token
        _bearer(request, token)
        response = yield request
        if response.status_code == 401 and self.manager.can_renew:
            await response.aread()
            if not session_rejected(response.status_code, response.content):
                return
            renewed = (await self.manager.acurrent(rejected=token)).access_token
            if renewed != token:
                _bearer(request, renewed)
                yield request


class SalesforceRequestsAuth:
    """The same for requests: ``requests.get(url, auth=SalesforceRequestsAuth(manager))``.

    Implements ``requests.auth.AuthBase``'s protocol (a callable that prepares the request) so that
    requests stays an optional dependency."""

    def __init__(self, manager: TokenManager) -> None:
        self.manager = manager

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.manager.current().access_token
        request.headers["Authorization"] = f"Bearer {token}"

        def retry_once(response: requests.Response, **kwargs: Any) -> requests.Response:
            if not (session_rejected(response.status_code, response.content) and self.manager.can_renew):
                return response
            renewed = self.manager.current(rejected=token).access_token
            if renewed == token:
                return response
            response.close()
            again = response.request.copy()
            again.hooks = {"response": []}  # one retry only
            again.headers["Authorization"] = f"Bearer {renewed}"
            retried: requests.Response = response.connection.send(again, **kwargs)
            retried.history.append(response)
            retried.request = again
            return retried

        request.register_hook("response", retry_once)  # type: ignore[no-untyped-call]
        return request
