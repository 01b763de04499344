"""One error taxonomy for the OAuth endpoints.

An ``OAuthError`` carries what goes on the wire (Salesforce's ``error`` code, its safe description and
the HTTP status) and, separately, ``reason``: the precise cause for login history and logs, never sent
to the client. A few refusals also carry a ``hint``: a short code naming a cause the caller may know
because it already proved to be the app (the org blocks the username-password flow, checked after
the consumer secret). The web layer sends it beside Salesforce's body, in a header Salesforce's own
clients ignore, so forcegate's CLI can say what to fix. Refine an error with ``with_reason`` (or
``with_hint``), which returns a copy; shared instances are never mutated.

Wire strings follow ``shared/reference/salesforce-wire.md`` §2 and §3.2.
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "AppBlocked",
    "InvalidClient",
    "InvalidClientId",
    "InvalidGrant",
    "InvalidRequest",
    "InvalidScope",
    "NotAdminApproved",
    "OAuthError",
    "RateLimitExceeded",
    "RedirectUriMismatch",
    "UnsupportedGrantType",
    "UnsupportedResponseType",
]


class OAuthError(Exception):
    """Raise a fresh copy (``with_reason``/``with_description``/``copy``), never a shared instance:
    raising sets ``__traceback__``, and the module-level instances below are shared by all threads."""

    def __init__(
        self, error: str, description: str, status: int = 400, reason: str = "", hint: str = ""
    ) -> None:
        super().__init__(error, description)
        self.error = error
        self.description = description
        self.status = status
        self.reason = reason
        self.hint = hint

    def copy(self) -> OAuthError:
        return OAuthError(self.error, self.description, self.status, self.reason, self.hint)

    def with_reason(self, reason: str) -> OAuthError:
        return OAuthError(self.error, self.description, self.status, reason, self.hint)

    def with_description(self, description: str) -> OAuthError:
        return OAuthError(self.error, description, self.status, self.reason, self.hint)

    def with_hint(self, hint: str) -> OAuthError:
        return OAuthError(self.error, self.description, self.status, self.reason, hint)

    def as_json(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}

    def __str__(self) -> str:
        return f"{self.error}: {self.description}" + (f" ({self.reason})" if self.reason else "")


def _error(code: str, description: str, status: int = 400) -> OAuthError:
    return OAuthError(code, description, status)


# The canonical instances. Use them as they are, or refine with with_reason()/with_description().
InvalidClientId = _error("invalid_client_id", "client identifier invalid")
InvalidClient = _error("invalid_client", "invalid client credentials")
InvalidGrant = _error("invalid_grant", "authentication failure")
InvalidRequest = _error("invalid_request", "invalid request")
InvalidScope = _error("invalid_scope", "the requested scope is not allowed")
RedirectUriMismatch = _error("redirect_uri_mismatch", "redirect_uri must match configuration")
UnsupportedGrantType = _error("unsupported_grant_type", "grant type not supported")
UnsupportedResponseType = _error("unsupported_response_type", "response type not supported")
AccessDenied = _error("access_denied", "end-user denied authorization")
AppBlocked = _error("app_blocked", "this app is blocked by admin")
# Salesforce's OAuth error list: rate_limit_exceeded "Number of logins exceeded" (salesforce-wire.md §2).
RateLimitExceeded = _error("rate_limit_exceeded", "Number of logins exceeded")
NotAdminApproved = _error("invalid_app_access", "user is not admin approved to access this app")
