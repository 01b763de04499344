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

    def formatted(self, **values: str) -> OAuthError:
        """A catalogue entry whose description names a value (``{parameter}``), filled in."""
        return self.with_description(self.description.format(**values))

    def with_hint(self, hint: str) -> OAuthError:
        return OAuthError(self.error, self.description, self.status, self.reason, hint)

    def as_json(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}

    def __str__(self) -> str:
        return f"{self.error}: {self.description}" + (f" ({self.reason})" if self.reason else "")


def _error(code: str, description: str, status: int = 400) -> OAuthError:
    return OAuthError(code, description, status)


# --- the canonical codes (salesforce-wire.md §2) ---------------------------------------------------
# Use them as they are, or refine with with_reason()/with_hint(). A new wire answer gets a name here,
# never a with_description() at the place that raises it: this catalogue is what the server can say
# (tests/conformance/golden/errors/oauth.json pins it).

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

# --- an admin-approved app and a user not assigned to it -------------------------------------------
# Salesforce answers the same refusal with two codes, by place: invalid_app_access at the token
# endpoint (docs/flows.md; the JWT bearer, refresh and password grants), OAUTH_APP_ACCESS_DENIED on the
# authorize redirect (and in Salesforce's External Client App pages). Two names, so neither is used in
# the other's place.
NotAdminApproved = _error("invalid_app_access", "user is not admin approved to access this app")
AuthorizeNotAdminApproved = _error("OAUTH_APP_ACCESS_DENIED", "user is not admin approved to access this app")

# --- reading a request (protocol/requests.py, the web layer's form reader) -------------------------
DuplicateParameter = InvalidRequest.with_description("duplicate parameter: {parameter}")
MultipleClientAuthentication = InvalidRequest.with_description("multiple client authentication methods")
InvalidBasicAuthHeader = _error("invalid_basic_auth_header", "invalid basic authorization header")
MustUsePost = InvalidRequest.with_description("must use HTTP POST")
InvalidCharacter = InvalidRequest.with_description("invalid character in request parameter")
MalformedMultipart = InvalidRequest.with_description("malformed multipart body")
RequestBodyTooLarge = InvalidRequest.with_description("request body too large")
UnsupportedContentType = InvalidRequest.with_description("unsupported content type")
MalformedBody = InvalidRequest.with_description("malformed request body")

# --- the authorize endpoint ------------------------------------------------------------------------
# Before the client and its redirect URI are known good, errors go on a page, never a redirect.
RedirectUriMissing = _error("redirect_uri_missing", RedirectUriMismatch.description)
MissingCodeChallenge = InvalidRequest.with_description("missing code_challenge")
InvalidCodeChallenge = InvalidRequest.with_description("invalid code_challenge")
UnsupportedCodeChallengeMethod = InvalidRequest.with_description("unsupported code_challenge_method")
CodeChallengeRequired = InvalidRequest.with_description("missing required code challenge")
# The login, consent and device pages: a form whose CSRF token does not verify (shown on a page, 403).
FormExpired = _error(
    "invalid_request", "Your session expired or the form was tampered with. Go back and try again.", 403
)

# --- the token endpoint's grants -------------------------------------------------------------------
InactiveUser = InvalidGrant.with_description("inactive user")  # our wording, in every flow
# Web Server flow. PKCE (salesforce-wire.md §3.1): a missing or unexpected verifier is invalid_grant,
# a verifier that does not match is invalid_request, with the same words.
InvalidCode = InvalidGrant.with_description("invalid authorization code")
ExpiredCode = InvalidGrant.with_description("expired authorization code")
InvalidCodeVerifier = InvalidGrant.with_description("invalid code verifier")
CodeVerifierMismatch = InvalidRequest.with_description("invalid code verifier")
# Refresh token flow: one description for every refresh token that cannot be used — unknown, another
# app's, revoked, expired by policy or reused after rotation — so a client learns nothing about which
# (salesforce-wire.md §2, D-ERR).
ExpiredRefreshToken = InvalidGrant.with_description("expired access/refresh token")
# Client credentials flow (salesforce-wire.md §9.1).
NoRunAsUser = InvalidGrant.with_description("no client credentials user enabled")
NoValidScopes = InvalidGrant.with_description("no valid scopes defined")
# JWT bearer flow. Confirmed on the wire (salesforce-wire.md §2): Audience validation failed, user
# hasn't approved this consumer. Observed in client reports: "invalid assertion" for a malformed or
# wrongly signed assertion, "expired authorization code" for an expired one. Ours where Salesforce's
# wording is unknown: unknown user, lifetime too long, jti replay (bad_jti_claim is in Salesforce's
# error enum; its description is ours).
InvalidAssertion = InvalidGrant.with_description("invalid assertion")
ExpiredAssertion = InvalidGrant.with_description("expired authorization code")
AssertionLifetimeTooLong = InvalidGrant.with_description("assertion lifetime too long")
WrongAudience = InvalidGrant.with_description("Audience validation failed")
UnknownUser = InvalidGrant.with_description("user not found")
NotApprovedByUser = InvalidGrant.with_description("user hasn't approved this consumer")
ReplayedJti = _error("bad_jti_claim", "jti has already been used")
# Device flow. Salesforce's descriptions are UNCONFIRMED (salesforce-wire.md §6, §15). Salesforce has
# no expired_token (§2 enum): its dialect gets invalid_grant, RFC 8628 §3.5 clients the RFC's code.
AuthorizationPending = _error("authorization_pending", "authorization pending")
SlowDown = _error("slow_down", "polling too quickly")
InvalidDeviceCode = InvalidGrant.with_description("invalid device code")
ExpiredDeviceCode = InvalidGrant.with_description("expired device code")
ExpiredToken = _error("expired_token", "the device code has expired")
# RFC 8628 defines no error for a throttled device authorization request (slow_down is for polling):
# both dialects get Salesforce's rate-limit error.
TooManyDeviceStarts = RateLimitExceeded.with_description("too many device authorization requests")

# --- revocation and introspection (RFC 7009, RFC 7662) ----------------------------------------------
InvalidToken = _error("invalid_token", "invalid token")
UnsupportedTokenType = _error("unsupported_token_type", "token type not supported")


def catalogue() -> dict[str, OAuthError]:
    """Every OAuth error the server can answer, by name: this module's instances."""
    return {name: value for name, value in globals().items() if isinstance(value, OAuthError)}


__all__ = ["OAuthError", "catalogue", *sorted(catalogue())]
