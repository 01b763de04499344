"""The SDK's errors, one tree::

    ClientError
    ├── OAuthError                 an OAuth endpoint refused: ``error`` and ``error_description``
    │   └── RefreshTokenRejected   the refresh token is dead (expired, revoked or reused): log in again
    ├── LoginError                 a flow failed on our side: state mismatch, signature mismatch, timeout
    │   └── KeyFileError           the JWT key file cannot sign (a certificate, a public key, not PEM)
    ├── NetworkError               the server could not be reached
    ├── SalesforceError            the data API refused: status plus ``errorCode`` (one subclass per status)
    │   ├── MultipleChoices (300), MalformedRequest (400), SessionExpired (401),
    │   ├── Forbidden (403), NotFound (404), MethodNotAllowed (405), ServerError (5xx)
    └── StoreError                 the token store cannot be opened or written

Messages carry what the server said, never a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

__all__ = [
    "ClientError",
    "Forbidden",
    "KeyFileError",
    "LoginError",
    "MalformedRequest",
    "MethodNotAllowed",
    "MultipleChoices",
    "NetworkError",
    "NotFound",
    "OAuthError",
    "RefreshTokenRejected",
    "SalesforceError",
    "ServerError",
    "SessionExpired",
    "StoreError",
    "api_error_from_response",
    "oauth_error_from_response",
]


class ClientError(Exception):
    """Base of every error the SDK raises on purpose."""


# forcegate names some refusals' cause in this header, beside Salesforce's body (protocol/errors.py).
HINT_HEADER = "Forcegate-Hint"


class OAuthError(ClientError):
    """An OAuth endpoint answered ``{"error", "error_description"}``; ``hint`` is the cause a forcegate
    server may name beside it (``username_password_flow_disabled``), empty from Salesforce."""

    def __init__(self, error: str, description: str, status: int = 400, hint: str = "") -> None:
        self.error = error
        self.description = description
        self.status = status
        self.hint = hint
        super().__init__(f"{error}: {description}" if description else error)


class RefreshTokenRejected(OAuthError):
    """The server refused the refresh token. Salesforce says ``expired access/refresh token`` for an
    expired, revoked *or reused* (rotated-away) token alike; no retry can help, only a new login."""

    def __init__(
        self, error: str, description: str, status: int = 400, *, rotation_seen: bool = False
    ) -> None:
        super().__init__(error, description, status)
        cause = (
            "it has expired, was revoked, or was already used once after the server rotated it"
            if rotation_seen
            else "it has expired or was revoked"
        )
        self.args = (
            f"the server refused the refresh token ({error}: {description}): {cause}. "
            "Log in again to get a new one.",
        )


class LoginError(ClientError):
    """A flow could not complete for a reason found on the client's side."""


class KeyFileError(LoginError):
    """The JWT bearer flow's key cannot sign; found before anything was sent to the server."""


class NetworkError(ClientError):
    """The server could not be reached (DNS, refused connection, TLS, timeout)."""


class StoreError(ClientError):
    """The token store cannot be used (no keyring and no passphrase, wrong key, unreadable file)."""


@dataclass(frozen=True)
class ApiErrorItem:
    error_code: str
    message: str
    fields: tuple[str, ...] = ()


class SalesforceError(ClientError):
    """The data API answered with an error array ``[{"message", "errorCode", "fields"?}]``."""

    def __init__(self, status: int, errors: list[ApiErrorItem], method: str = "", path: str = "") -> None:
        self.status = status
        self.errors = errors
        self.method = method
        self.path = path
        first = errors[0] if errors else ApiErrorItem("UNKNOWN_ERROR", f"HTTP {status}")
        self.error_code = first.error_code
        self.message = first.message
        where = f" ({method} {path})" if method else ""
        super().__init__(f"{status} {first.error_code}: {first.message}{where}")


class MultipleChoices(SalesforceError):
    """300: an external id matched several records."""


class MalformedRequest(SalesforceError):
    """400: bad query, field, id or body."""


class SessionExpired(SalesforceError):
    """401: the session is invalid or expired (``INVALID_SESSION_ID``)."""


class Forbidden(SalesforceError):
    """403: insufficient access or a limit reached."""


class NotFound(SalesforceError):
    """404: no such record or resource."""


class MethodNotAllowed(SalesforceError):
    """405."""


class ServerError(SalesforceError):
    """5xx."""


_BY_STATUS: dict[int, type[SalesforceError]] = {
    300: MultipleChoices,
    400: MalformedRequest,
    401: SessionExpired,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
}


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def api_error_from_response(response: httpx.Response) -> SalesforceError:
    body = _json(response)
    items: list[ApiErrorItem] = []
    entries = body if isinstance(body, list) else [body] if isinstance(body, dict) else []
    for entry in entries:
        if isinstance(entry, dict):
            fields = entry.get("fields") or ()
            items.append(
                ApiErrorItem(
                    str(entry.get("errorCode") or entry.get("error") or "UNKNOWN_ERROR"),
                    str(entry.get("message") or entry.get("error_description") or ""),
                    tuple(str(f) for f in fields) if isinstance(fields, list) else (),
                )
            )
    if not items:
        items.append(ApiErrorItem(f"HTTP_{response.status_code}", response.reason_phrase or "error"))
    status = response.status_code
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else SalesforceError)
    return cls(status, items, response.request.method, response.request.url.path)


def oauth_error_from_response(response: httpx.Response) -> OAuthError:
    body = _json(response)
    if isinstance(body, dict) and "error" in body:
        return OAuthError(
            str(body["error"]),
            str(body.get("error_description", "")),
            response.status_code,
            response.headers.get(HINT_HEADER, ""),
        )
    return OAuthError(
        f"http_{response.status_code}", response.reason_phrase or "unexpected answer", response.status_code
    )
