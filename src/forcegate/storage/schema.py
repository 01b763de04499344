"""The tables. Alembic migrations under ``migrations/versions`` are the source of truth for the
database; this module mirrors them for queries (``tests/test_migrations.py`` checks they agree)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

__all__ = ["metadata"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id(name: str = "id") -> Column[str]:
    return Column(name, String(18), primary_key=True)


def _org() -> Column[str]:
    return Column("org_id", String(18), ForeignKey("orgs.id", ondelete="CASCADE"), nullable=False)


orgs = Table(
    "orgs",
    metadata,
    _id(),
    Column("name", String(255), nullable=False),
    Column("instance_name", String(40), nullable=False),
    Column("is_sandbox", Boolean, nullable=False, default=False),
    Column("created_ms", BigInteger, nullable=False),
    # Org security settings (Setup > Security in Salesforce).
    Column("allow_username_password_flows", Boolean, nullable=False, server_default=false()),
    Column("allow_soap_login", Boolean, nullable=False, server_default=false()),
    # Trusted IP ranges ("Network Access"): comma-separated CIDRs. From outside them the password
    # flows need the security token appended to the password.
    Column("trusted_ip_ranges", Text, nullable=False, server_default=""),
    Column("max_login_attempts", Integer, nullable=False, server_default="10"),  # 0: no limit
    Column("lockout_minutes", Integer, nullable=False, server_default="15"),  # 0: until an admin unlocks
)

profiles = Table(
    "profiles",
    metadata,
    _id(),
    _org(),
    Column("name", String(255), nullable=False),
    # What a profile grants arrives with the permissions issue; these two gate the admin API today.
    Column("manage_connected_apps", Boolean, nullable=False, default=False),
    Column("manage_users", Boolean, nullable=False, default=False),
    Column("created_ms", BigInteger, nullable=False),
    UniqueConstraint("org_id", "name", name="uq_profiles_org_name"),
)

users = Table(
    "users",
    metadata,
    _id(),
    _org(),
    # Salesforce usernames are unique across all orgs, so this is global, compared lower-cased.
    Column("username", String(255), nullable=False, unique=True),
    Column("email", String(255), nullable=False),
    Column("first_name", String(80), nullable=False, default=""),
    Column("last_name", String(80), nullable=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("profile_id", String(18), ForeignKey("profiles.id"), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("security_token_hash", String(64), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("modified_ms", BigInteger, nullable=False),
    Column("last_login_ms", BigInteger, nullable=True),
    Column("failed_login_attempts", Integer, nullable=False, server_default="0"),
    Column("locked_until_ms", BigInteger, nullable=True),
)
Index("ix_users_org_id", users.c.org_id)

permission_sets = Table(
    "permission_sets",
    metadata,
    _id(),
    _org(),
    Column("name", String(80), nullable=False),
    Column("label", String(255), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    UniqueConstraint("org_id", "name", name="uq_permission_sets_org_name"),
)

permission_set_assignments = Table(
    "permission_set_assignments",
    metadata,
    _id(),
    _org(),
    Column(
        "permission_set_id", String(18), ForeignKey("permission_sets.id", ondelete="CASCADE"), nullable=False
    ),
    Column("user_id", String(18), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    UniqueConstraint("permission_set_id", "user_id", name="uq_permission_set_assignments_set_user"),
)

connected_apps = Table(
    "connected_apps",
    metadata,
    _id(),
    _org(),
    Column("name", String(255), nullable=False),
    Column("consumer_key", String(255), nullable=False, unique=True),
    # Fernet ciphertext under the server key; never the secret in clear.
    Column("consumer_secret_encrypted", Text, nullable=False),
    Column("callback_urls", Text, nullable=False),  # newline-separated, as Salesforce stores them
    Column("scopes", Text, nullable=False),  # space-separated
    Column("is_enabled", Boolean, nullable=False, default=True),
    Column("require_secret_for_web_server", Boolean, nullable=False, default=True),
    Column("require_pkce", Boolean, nullable=False, default=False),
    Column("access_token_lifetime_seconds", Integer, nullable=False, default=7200),
    # Flow switches: an app uses only the flows it enables (the JWT bearer flow: when it has a certificate).
    Column("user_agent_flow_enabled", Boolean, nullable=False, server_default=true()),
    Column("device_flow_enabled", Boolean, nullable=False, server_default=false()),
    Column("client_credentials_enabled", Boolean, nullable=False, server_default=false()),
    Column(
        "client_credentials_user_id", String(18), ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    ),
    Column("certificate_pem", Text, nullable=True),
    # "all_self_authorize" (users approve on first use) or "admin_approved" (profiles/permission sets).
    Column("permitted_users", String(32), nullable=False, server_default="all_self_authorize"),
    # "until_revoked", "expire_after" or "expire_if_unused" (the last two take the validity seconds).
    Column("refresh_token_policy", String(32), nullable=False, server_default="until_revoked"),
    Column("refresh_token_validity_seconds", Integer, nullable=True),
    Column("refresh_token_rotation", Boolean, nullable=False, server_default=false()),
    Column("created_ms", BigInteger, nullable=False),
    Column("modified_ms", BigInteger, nullable=False),
    UniqueConstraint("org_id", "name", name="uq_connected_apps_org_name"),
)

app_approvals = Table(
    "app_approvals",
    metadata,
    Column("user_id", String(18), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("app_id", String(18), ForeignKey("connected_apps.id", ondelete="CASCADE"), primary_key=True),
    _org(),
    Column("scopes", Text, nullable=False),
    Column("approved_ms", BigInteger, nullable=False),
)

# One row per grant of access (Salesforce's OauthToken): every token issued from one code or one
# login carries its id, so revoking a family is a single UPDATE.
authorizations = Table(
    "authorizations",
    metadata,
    _id(),
    _org(),
    Column("app_id", String(18), ForeignKey("connected_apps.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(18), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("flow", String(40), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("revoked_ms", BigInteger, nullable=True),
)
Index("ix_authorizations_user_app", authorizations.c.user_id, authorizations.c.app_id)

authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    _org(),
    Column("app_id", String(18), ForeignKey("connected_apps.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(18), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("scopes", Text, nullable=False),
    Column("code_challenge", String(128), nullable=True),
    Column("nonce", String(255), nullable=True),
    Column("auth_time_ms", BigInteger, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Column("consumed_ms", BigInteger, nullable=True),
    Column(
        "authorization_id", String(18), ForeignKey("authorizations.id", ondelete="CASCADE"), nullable=True
    ),
)
Index("ix_authorization_codes_expires_ms", authorization_codes.c.expires_ms)


def _token_table(name: str, *extra: Column[int]) -> Table:
    return Table(
        name,
        metadata,
        Column("token_hash", String(64), primary_key=True),
        _org(),
        Column(
            "authorization_id",
            String(18),
            ForeignKey("authorizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("app_id", String(18), ForeignKey("connected_apps.id", ondelete="CASCADE"), nullable=False),
        Column("user_id", String(18), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        Column("scopes", Text, nullable=False),
        Column("issued_ms", BigInteger, nullable=False),
        *extra,
        Column("revoked_ms", BigInteger, nullable=True),
        Index(f"ix_{name}_authorization_id", "authorization_id"),
    )


access_tokens = _token_table("access_tokens", Column("expires_ms", BigInteger, nullable=False))
refresh_tokens = _token_table(
    "refresh_tokens",
    Column("last_used_ms", BigInteger, nullable=True),
    # Set when rotation retires this token; presenting it again revokes its whole family.
    Column("rotated_ms", BigInteger, nullable=True),
)

# Admin-approved apps: the profiles and permission sets whose users are pre-authorized.
app_profile_access = Table(
    "app_profile_access",
    metadata,
    Column("app_id", String(18), ForeignKey("connected_apps.id", ondelete="CASCADE"), primary_key=True),
    Column("profile_id", String(18), ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True),
    _org(),
)

app_permission_set_access = Table(
    "app_permission_set_access",
    metadata,
    Column("app_id", String(18), ForeignKey("connected_apps.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "permission_set_id",
        String(18),
        ForeignKey("permission_sets.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    _org(),
)

# JWT bearer assertions seen, by jti, until they expire: a replay within the lifetime is refused.
jwt_assertions = Table(
    "jwt_assertions",
    metadata,
    Column("app_id", String(18), ForeignKey("connected_apps.id", ondelete="CASCADE"), primary_key=True),
    Column("jti_hash", String(64), primary_key=True),
    _org(),
    Column("expires_ms", BigInteger, nullable=False),
)
Index("ix_jwt_assertions_expires_ms", jwt_assertions.c.expires_ms)

device_requests = Table(
    "device_requests",
    metadata,
    Column("device_code_hash", String(64), primary_key=True),
    _org(),
    Column("app_id", String(18), ForeignKey("connected_apps.id", ondelete="CASCADE"), nullable=False),
    Column("user_code", String(16), nullable=False, unique=True),
    Column("scopes", Text, nullable=False),
    Column("interval_seconds", Integer, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Column("last_poll_ms", BigInteger, nullable=True),
    # "pending", then "approved" or "denied" by the user, then "consumed" when the device has its tokens.
    Column("status", String(16), nullable=False),
    Column("user_id", String(18), ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column(
        "authorization_id", String(18), ForeignKey("authorizations.id", ondelete="CASCADE"), nullable=True
    ),
)
Index("ix_device_requests_expires_ms", device_requests.c.expires_ms)

# Fixed-window counters shared by every process (e.g. user-code guesses per browser session).
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("bucket", String(255), primary_key=True),
    Column("window_start_ms", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
)

browser_sessions = Table(
    "browser_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    _org(),
    Column("user_id", String(18), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
)

login_history = Table(
    "login_history",
    metadata,
    _id(),
    _org(),
    Column("user_id", String(18), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("username", String(255), nullable=False),  # as typed, even when no such user exists
    Column("app_id", String(18), ForeignKey("connected_apps.id", ondelete="SET NULL"), nullable=True),
    Column("app_name", String(255), nullable=True),
    Column("login_type", String(40), nullable=False),  # Salesforce's LoginType, e.g. "Remote Access 2.0"
    Column("flow", String(40), nullable=False),
    Column("source_ip", String(45), nullable=False),
    Column("user_agent", String(512), nullable=False),
    Column("login_ms", BigInteger, nullable=False),
    Column("status", String(128), nullable=False),
)
Index("ix_login_history_org_time", login_history.c.org_id, login_history.c.login_ms)
