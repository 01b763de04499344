"""The org's records as plain values, shared by the flows, the storage layer and the web layer."""

from __future__ import annotations

import string
from dataclasses import dataclass

__all__ = [
    "AccessTokenGrant",
    "AuthorizationCode",
    "ConnectedApp",
    "LoginAttempt",
    "Org",
    "Profile",
    "User",
    "username_key",
]

DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS = 2 * 3600

# Permitted users policies (Salesforce: "All users may self-authorize" / "Admin approved users are
# pre-authorized").
PERMITTED_ALL_SELF_AUTHORIZE = "all_self_authorize"
PERMITTED_ADMIN_APPROVED = "admin_approved"
PERMITTED_USERS_POLICIES = (PERMITTED_ALL_SELF_AUTHORIZE, PERMITTED_ADMIN_APPROVED)

# Refresh token policies (Salesforce: "valid until revoked", "expire refresh token after", "expire
# refresh token if not used for").
REFRESH_UNTIL_REVOKED = "until_revoked"
REFRESH_EXPIRE_AFTER = "expire_after"
REFRESH_EXPIRE_IF_UNUSED = "expire_if_unused"
REFRESH_TOKEN_POLICIES = (REFRESH_UNTIL_REVOKED, REFRESH_EXPIRE_AFTER, REFRESH_EXPIRE_IF_UNUSED)

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def username_key(username: str) -> str:
    """How usernames compare: case-insensitively, in ASCII only (usernames are ASCII). ``str.lower``
    would fold look-alikes into ASCII (the Kelvin sign "\u212a" becomes "k"), letting a spoofed name
    log in as the user it imitates (Unicode TR #36 §2)."""
    return username.translate(_ASCII_LOWER)


@dataclass(frozen=True)
class Org:
    id: str
    name: str
    instance_name: str
    is_sandbox: bool
    allow_username_password_flows: bool = False
    allow_soap_login: bool = False
    trusted_ip_ranges: tuple[str, ...] = ()  # CIDRs
    max_login_attempts: int = 10  # 0: no limit
    lockout_minutes: int = 15  # 0: until an admin unlocks
    daily_api_requests: int = 100_000  # the data API's daily request allowance
    admin_session_minutes: int = 120  # how long a Setup login lasts


@dataclass(frozen=True)
class Profile:
    id: str
    org_id: str
    name: str
    manage_connected_apps: bool
    manage_users: bool


@dataclass(frozen=True)
class User:
    id: str
    org_id: str
    username: str
    email: str
    first_name: str
    last_name: str
    is_active: bool
    profile_id: str
    password_hash: str
    created_ms: int
    modified_ms: int
    last_login_ms: int | None
    failed_login_attempts: int = 0
    locked_until_ms: int | None = None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class ConnectedApp:
    id: str
    org_id: str
    name: str
    consumer_key: str
    consumer_secret_encrypted: str
    callback_urls: tuple[str, ...]
    scopes: tuple[str, ...]
    is_enabled: bool
    require_secret_for_web_server: bool
    require_pkce: bool
    access_token_lifetime_seconds: int
    created_ms: int
    modified_ms: int
    user_agent_flow_enabled: bool = True
    device_flow_enabled: bool = False
    client_credentials_enabled: bool = False
    client_credentials_user_id: str | None = None
    certificate_pem: str | None = None
    permitted_users: str = PERMITTED_ALL_SELF_AUTHORIZE
    refresh_token_policy: str = REFRESH_UNTIL_REVOKED
    refresh_token_validity_seconds: int | None = None
    refresh_token_rotation: bool = False
    jwt_access_tokens: bool = False
    # Staged secret rotation: the previous secret authenticates too until it is revoked.
    previous_consumer_secret_encrypted: str | None = None
    consumer_secret_rotated_ms: int | None = None

    @property
    def jwt_bearer_enabled(self) -> bool:
        """Salesforce's "Use digital signatures": the JWT bearer flow needs an uploaded certificate."""
        return self.certificate_pem is not None


@dataclass(frozen=True)
class AuthorizationCode:
    code_hash: str
    org_id: str
    app_id: str
    user_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    nonce: str | None
    auth_time_ms: int
    expires_ms: int
    consumed_ms: int | None
    authorization_id: str | None


@dataclass(frozen=True)
class AccessTokenGrant:
    """What a valid bearer token stands for: the result of bearer validation."""

    org_id: str
    user_id: str
    app_id: str
    authorization_id: str
    scopes: frozenset[str]
    issued_ms: int
    expires_ms: int


REMOTE_ACCESS_LOGIN = "Remote Access 2.0"  # Salesforce's LoginType for OAuth logins
APPLICATION_LOGIN = "Application"  # Salesforce's LoginType for a login to the org's own UI (Setup)
LOGIN_SUCCESS = "Success"  # login history's status of a successful login (Salesforce's wording)


@dataclass(frozen=True)
class LoginAttempt:
    """One row of login history, as the flows report it."""

    org_id: str
    username: str
    user_id: str | None
    app_id: str | None
    app_name: str | None
    flow: str
    source_ip: str
    user_agent: str
    status: str
    login_type: str = REMOTE_ACCESS_LOGIN
