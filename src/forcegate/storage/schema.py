"""The tables. Alembic migrations under ``migrations/versions`` are the source of truth for the
database; this module mirrors them for queries (``tests/test_migrations.py`` checks they agree)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
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
    # The org's daily allowance of data-API requests (Salesforce's DailyApiRequests), 0006.
    Column("daily_api_requests", Integer, nullable=False, server_default="100000"),
    # How long an administrator may use Setup after logging in (issue 12), 0009.
    Column("admin_session_minutes", Integer, nullable=False, server_default="120"),
)

profiles = Table(
    "profiles",
    metadata,
    _id(),
    _org(),
    Column("name", String(255), nullable=False),
    # The administrative rights ("Manage Connected Apps", "Manage Users"): Setup and the admin API.
    Column("manage_connected_apps", Boolean, nullable=False, default=False),
    Column("manage_users", Boolean, nullable=False, default=False),
    Column("created_ms", BigInteger, nullable=False),
    # System permissions for the data API (0006): "API Enabled", "View All Data", "Modify All Data".
    Column("api_enabled", Boolean, nullable=False, server_default=false()),
    Column("view_all_data", Boolean, nullable=False, server_default=false()),
    Column("modify_all_data", Boolean, nullable=False, server_default=false()),
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
    Column("api_enabled", Boolean, nullable=False, server_default=false()),
    Column("view_all_data", Boolean, nullable=False, server_default=false()),
    Column("modify_all_data", Boolean, nullable=False, server_default=false()),
    # The administrative rights a profile has too ("Manage Connected Apps", "Manage Users"), 0012.
    Column("manage_connected_apps", Boolean, nullable=False, server_default=false()),
    Column("manage_users", Boolean, nullable=False, server_default=false()),
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
    # Staged rotation, as Salesforce stages it: after "generate a new secret" the previous one keeps
    # authenticating (encrypted like the current one) until the admin revokes it.
    Column("previous_consumer_secret_encrypted", Text, nullable=True),
    Column("consumer_secret_rotated_ms", BigInteger, nullable=True),
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
    # Salesforce's "JWT-based access tokens for named users": signed, self-contained access tokens.
    Column("jwt_access_tokens", Boolean, nullable=False, server_default=false()),
    # The New Connected App page's details (0013): who to contact, what the app is for, and its IP
    # Relaxation ("ENFORCE", "BYPASS" or "ENFORCE_RELAXREFRESH"; stored, not enforced yet).
    Column("contact_email", String(255), nullable=True),
    Column("description", Text, nullable=True),
    Column("ip_relaxation", String(32), nullable=False, server_default="ENFORCE"),
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
    # When the user authenticated for this grant: the id_token's auth_time, kept for refreshes.
    Column("auth_time_ms", BigInteger, nullable=True),
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
# Deleting a grant cascades here: without an index PostgreSQL scans the table once per deleted grant.
Index("ix_authorization_codes_authorization_id", authorization_codes.c.authorization_id)


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
# Housekeeping deletes access tokens by expiry (revoked ones too, once they would have expired).
Index("ix_access_tokens_expires_ms", access_tokens.c.expires_ms)
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
Index("ix_device_requests_authorization_id", device_requests.c.authorization_id)  # as for codes

# Fixed-window counters shared by every process (e.g. user-code guesses per browser session).
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("bucket", String(255), primary_key=True),
    Column("window_start_ms", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
)

# Jobs that one process of a deployment runs at a time, on a schedule shared through the database
# (housekeeping): a process takes the lease with a conditional UPDATE, so a multi-process deployment
# runs each job once per interval, not once per process.
scheduled_jobs = Table(
    "scheduled_jobs",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("next_run_ms", BigInteger, nullable=False, server_default="0"),
    Column("lease_holder", String(255), nullable=True),
    Column("lease_until_ms", BigInteger, nullable=False, server_default="0"),
    Column("runs", Integer, nullable=False, server_default="0"),
    Column("last_started_ms", BigInteger, nullable=True),
    Column("last_finished_ms", BigInteger, nullable=True),
    Column("last_result", Text, nullable=True),  # JSON: rows purged per table
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

# Keys signing id_tokens and JWT access tokens. Exactly the newest activated, unretired key signs;
# older ones stay in the JWKS until retire_after_ms (when the last token they signed has expired).
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(40), primary_key=True),
    Column("algorithm", String(16), nullable=False),
    Column("public_jwk", Text, nullable=False),  # JSON
    # Fernet ciphertext (under the server key) of the PKCS#8 PEM private key.
    Column("private_key_encrypted", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("activated_ms", BigInteger, nullable=True),
    Column("deactivated_ms", BigInteger, nullable=True),
    Column("retire_after_ms", BigInteger, nullable=True),
    Column("retired_ms", BigInteger, nullable=True),
)

# What ``forcegate serve --demo`` created (0008), so ``forcegate demo show`` can print it again: the
# admin's password encrypted under the server key (``users`` has only its hash).
demo_credentials = Table(
    "demo_credentials",
    metadata,
    Column("org_id", String(18), ForeignKey("orgs.id", ondelete="CASCADE"), primary_key=True),
    Column("admin_user_id", String(18), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("admin_password_encrypted", Text, nullable=False),
    Column("app_id", String(18), ForeignKey("connected_apps.id", ondelete="SET NULL"), nullable=True),
    Column("created_ms", BigInteger, nullable=False),
)

LOGIN_STATUS_LENGTH = 128

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
    Column("status", String(LOGIN_STATUS_LENGTH), nullable=False),
)
Index("ix_login_history_org_time", login_history.c.org_id, login_history.c.login_ms)
# Setup's Login History filters (0011): a user's, a username's and an app's logins, newest first. The
# app's index also serves the app's deletion (its rows' app_id is cleared).
Index(
    "ix_login_history_org_user_time",
    login_history.c.org_id,
    login_history.c.user_id,
    login_history.c.login_ms,
)
Index(
    "ix_login_history_org_username_time",
    login_history.c.org_id,
    login_history.c.username,
    login_history.c.login_ms,
)
Index("ix_login_history_app_time", login_history.c.app_id, login_history.c.login_ms)

# Salesforce's SetupAuditTrail (0010): one row per configuration change, written in the change's own
# transaction. ``changes`` is JSON, a list of {"field", "old", "new"}; secrets never reach it.
setup_audit_trail = Table(
    "setup_audit_trail",
    metadata,
    _id(),
    _org(),
    Column("created_ms", BigInteger, nullable=False),
    Column("actor_user_id", String(18), ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("actor", String(255), nullable=False),  # username, "cli:<os user>" or "system"
    Column("channel", String(16), nullable=False),  # console | admin_api | cli | system
    Column("source_ip", String(45), nullable=True),
    Column("section", String(40), nullable=False),
    Column("action", String(120), nullable=False),
    Column("display", String(1000), nullable=False),
    Column("target", String(255), nullable=False),
    Column("changes", Text, nullable=False),
)
Index("ix_setup_audit_trail_org_time", setup_audit_trail.c.org_id, setup_audit_trail.c.created_ms)


# --- data API permissions and usage (0006) -----------------------------------------------------------
# Salesforce's ObjectPermissions / FieldPermissions: rows granted by a profile or a permission set
# (``parent_id`` is either; the key prefix tells which). Object and field names are stored as the admin
# gave them and compared case-insensitively.
object_permissions = Table(
    "object_permissions",
    metadata,
    Column("parent_id", String(18), primary_key=True),
    Column("object_name", String(80), primary_key=True),
    _org(),
    Column("can_read", Boolean, nullable=False),
    Column("can_create", Boolean, nullable=False),
    Column("can_edit", Boolean, nullable=False),
    Column("can_delete", Boolean, nullable=False),
    Column("view_all", Boolean, nullable=False),
    Column("modify_all", Boolean, nullable=False),
)

field_permissions = Table(
    "field_permissions",
    metadata,
    Column("parent_id", String(18), primary_key=True),
    Column("object_name", String(80), primary_key=True),
    Column("field_name", String(80), primary_key=True),
    _org(),
    Column("can_read", Boolean, nullable=False),
    Column("can_edit", Boolean, nullable=False),
)

# Data-API requests counted per org and UTC day (when no Redis is configured; see org/api_limits.py).
api_request_counts = Table(
    "api_request_counts",
    metadata,
    Column("org_id", String(18), ForeignKey("orgs.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Integer, primary_key=True),  # days since 1970-01-01 UTC
    Column("count", BigInteger, nullable=False),
)

# --- the data API (issue 5): objects and fields as data, records, query locators ----------------
#
# Each object's records live in a table of their own (standard objects: the data_* tables below,
# or an existing table for User, Organization and LoginHistory; custom objects: a cx_* table created
# at run time), so SOQL becomes plain indexed SQL. What the objects and fields are is data: one row
# per object in data_objects and per field in data_fields, which describe and SOQL read.

data_objects = Table(
    "data_objects",
    metadata,
    _id(),
    _org(),
    Column("name", String(80), nullable=False),  # API name as spelt: "Account", "Thing__c"
    Column("name_lower", String(80), nullable=False),
    Column("label", String(255), nullable=False),
    Column("plural_label", String(255), nullable=False),
    Column("key_prefix", String(3), nullable=False),
    Column("table_name", String(63), nullable=False),
    Column("org_column", String(63), nullable=False),  # the column holding the org id ("id" for orgs)
    Column("is_custom", Boolean, nullable=False),
    Column("createable", Boolean, nullable=False),
    Column("updateable", Boolean, nullable=False),
    Column("deletable", Boolean, nullable=False),
    Column("soft_delete", Boolean, nullable=False),  # has is_deleted (queryAll sees deleted rows)
    Column("created_ms", BigInteger, nullable=False),
    UniqueConstraint("org_id", "name_lower", name="uq_data_objects_org_name"),
    UniqueConstraint("org_id", "key_prefix", name="uq_data_objects_org_key_prefix"),
)

data_fields = Table(
    "data_fields",
    metadata,
    _id(),
    _org(),
    Column("object_id", String(18), ForeignKey("data_objects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(80), nullable=False),
    Column("name_lower", String(80), nullable=False),
    Column("label", String(255), nullable=False),
    Column("type", String(40), nullable=False),  # Salesforce's field types: string, reference, date...
    Column("length", Integer, nullable=False, server_default="0"),
    Column("precision", Integer, nullable=False, server_default="0"),
    Column("scale", Integer, nullable=False, server_default="0"),
    Column("nillable", Boolean, nullable=False),
    Column("createable", Boolean, nullable=False),
    Column("updateable", Boolean, nullable=False),
    Column("required", Boolean, nullable=False),  # REQUIRED_FIELD_MISSING on create without it
    Column("column_name", String(63), nullable=True),  # None: computed (see expression)
    Column("expression", Text, nullable=True),  # JSON: {"kind": "const"|"concat", ...}
    Column("reference_to", String(80), nullable=True),
    Column("relationship_name", String(80), nullable=True),
    Column("child_relationship_name", String(80), nullable=True),
    Column("picklist_values", Text, nullable=True),  # JSON list
    Column("default_value", Text, nullable=True),  # JSON value
    Column("is_custom", Boolean, nullable=False),
    Column("is_system", Boolean, nullable=False),
    Column("is_name_field", Boolean, nullable=False, server_default=false()),
    Column("position", Integer, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    UniqueConstraint("object_id", "name_lower", name="uq_data_fields_object_name"),
)

# Bumped on every metadata change so each process knows when its cached schema is stale.
data_schema_versions = Table(
    "data_schema_versions",
    metadata,
    Column("org_id", String(18), ForeignKey("orgs.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, nullable=False),
)

# Query locators (Salesforce's 01g…): the query to re-run for the next batches, so any process can
# serve nextRecordsUrl.
query_locators = Table(
    "query_locators",
    metadata,
    _id(),
    _org(),
    Column("user_id", String(18), nullable=True),
    Column("soql", Text, nullable=False),
    Column("include_deleted", Boolean, nullable=False),
    Column("batch_size", Integer, nullable=False),
    Column("total_size", Integer, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
)
Index("ix_query_locators_expires_ms", query_locators.c.expires_ms)


def _record_table(name: str, *columns: Column[object]) -> Table:
    """A standard object's records: the system fields every object has, then its own."""
    return Table(
        name,
        metadata,
        _id(),
        _org(),
        Column("owner_id", String(18), nullable=True),
        Column("is_deleted", Boolean, nullable=False, server_default=false()),
        Column("created_ms", BigInteger, nullable=False),
        Column("created_by_id", String(18), nullable=True),
        Column("modified_ms", BigInteger, nullable=False),
        Column("modified_by_id", String(18), nullable=True),
        *columns,
        Index(f"ix_{name}_org_modified", "org_id", "modified_ms"),
    )


data_accounts = _record_table(
    "data_accounts",
    Column("name", String(255), nullable=False),
    Column("account_number", String(40), nullable=True),
    Column("type", String(255), nullable=True),
    Column("industry", String(255), nullable=True),
    Column("rating", String(255), nullable=True),
    Column("annual_revenue", Float, nullable=True),
    Column("number_of_employees", Integer, nullable=True),
    Column("phone", String(40), nullable=True),
    Column("website", String(255), nullable=True),
    Column("billing_street", Text, nullable=True),
    Column("billing_city", String(40), nullable=True),
    Column("billing_state", String(80), nullable=True),
    Column("billing_postal_code", String(20), nullable=True),
    Column("billing_country", String(80), nullable=True),
    Column("description", Text, nullable=True),
    Column("parent_id", String(18), nullable=True),
)
Index("ix_data_accounts_org_name", data_accounts.c.org_id, data_accounts.c.name)
# SOQL sorts and compares names by lower(): the expression indexes serving that are created by
# migration 0007 (dialect-specific DDL that Alembic's autogenerate cannot compare), on the name field of
# Account, Contact, Opportunity and Lead.
EXPRESSION_INDEXES = frozenset(
    {
        "ix_data_accounts_org_lower_name",
        "ix_data_contacts_org_lower_last_name",
        "ix_data_opportunities_org_lower_name",
        "ix_data_leads_org_lower_last_name",
    }
)

data_contacts = _record_table(
    "data_contacts",
    Column("account_id", String(18), nullable=True),
    Column("salutation", String(40), nullable=True),
    Column("first_name", String(40), nullable=True),
    Column("last_name", String(80), nullable=False),
    Column("title", String(128), nullable=True),
    Column("department", String(80), nullable=True),
    Column("email", String(80), nullable=True),
    Column("phone", String(40), nullable=True),
    Column("mobile_phone", String(40), nullable=True),
    Column("lead_source", String(255), nullable=True),
    Column("birthdate", Date, nullable=True),
    Column("mailing_city", String(40), nullable=True),
    Column("mailing_country", String(80), nullable=True),
    Column("description", Text, nullable=True),
)
Index("ix_data_contacts_account_id", data_contacts.c.account_id)
Index("ix_data_contacts_org_last_name", data_contacts.c.org_id, data_contacts.c.last_name)

data_opportunities = _record_table(
    "data_opportunities",
    Column("account_id", String(18), nullable=True),
    Column("name", String(120), nullable=False),
    Column("stage_name", String(255), nullable=False),
    Column("close_date", Date, nullable=False),
    Column("amount", Float, nullable=True),
    Column("probability", Float, nullable=True),
    Column("type", String(255), nullable=True),
    Column("lead_source", String(255), nullable=True),
    Column("is_closed", Boolean, nullable=False, server_default=false()),
    Column("is_won", Boolean, nullable=False, server_default=false()),
    Column("description", Text, nullable=True),
)
Index("ix_data_opportunities_account_id", data_opportunities.c.account_id)

data_leads = _record_table(
    "data_leads",
    Column("salutation", String(40), nullable=True),
    Column("first_name", String(40), nullable=True),
    Column("last_name", String(80), nullable=False),
    Column("company", String(255), nullable=False),
    Column("title", String(128), nullable=True),
    Column("email", String(80), nullable=True),
    Column("phone", String(40), nullable=True),
    Column("status", String(255), nullable=False),
    Column("lead_source", String(255), nullable=True),
    Column("industry", String(255), nullable=True),
    Column("rating", String(255), nullable=True),
    Column("annual_revenue", Float, nullable=True),
    Column("number_of_employees", Integer, nullable=True),
    Column("city", String(40), nullable=True),
    Column("country", String(80), nullable=True),
    Column("is_converted", Boolean, nullable=False, server_default=false()),
)

data_cases = _record_table(
    "data_cases",
    Column("case_number", String(30), nullable=False),
    Column("account_id", String(18), nullable=True),
    Column("contact_id", String(18), nullable=True),
    Column("subject", String(255), nullable=True),
    Column("description", Text, nullable=True),
    Column("status", String(255), nullable=False),
    Column("priority", String(255), nullable=True),
    Column("origin", String(255), nullable=True),
    Column("type", String(255), nullable=True),
    Column("reason", String(255), nullable=True),
    Column("is_closed", Boolean, nullable=False, server_default=false()),
    Column("closed_ms", BigInteger, nullable=True),
)
Index("ix_data_cases_account_id", data_cases.c.account_id)
Index("ix_data_cases_contact_id", data_cases.c.contact_id)
