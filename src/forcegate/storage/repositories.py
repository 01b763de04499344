"""The repository layer: every SQL statement forcegate runs lives here, one small section per aggregate.

Functions take an open ``Connection`` so callers decide the transaction (see ``Database.read`` and
``Database.write``); they return the plain values of ``forcegate.domain``.

Statements on the token and bearer paths are built once, at import, with ``bindparam`` placeholders
(inserts take their row as execute parameters). Building a statement per call, with ``.values()``
or literal comparisons, cost more CPU than the database work itself: see ``bench/README.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, delete, func, insert, select, update

from forcegate.domain import (
    LOGIN_SUCCESS,
    AccessTokenGrant,
    AuthorizationCode,
    ConnectedApp,
    LoginAttempt,
    Org,
    Profile,
    User,
    username_key,
)
from forcegate.ids import KeyPrefix, new_id
from forcegate.storage.schema import (
    LOGIN_STATUS_LENGTH,
    access_tokens,
    app_approvals,
    app_permission_set_access,
    app_profile_access,
    authorization_codes,
    authorizations,
    browser_sessions,
    connected_apps,
    device_requests,
    jwt_assertions,
    login_history,
    orgs,
    permission_set_assignments,
    permission_sets,
    profiles,
    refresh_tokens,
    setup_audit_trail,
    users,
)

# --- orgs ---------------------------------------------------------------------------------------


def _org(row: Row[Any]) -> Org:
    return Org(
        id=row.id,
        name=row.name,
        instance_name=row.instance_name,
        is_sandbox=row.is_sandbox,
        allow_username_password_flows=row.allow_username_password_flows,
        allow_soap_login=row.allow_soap_login,
        trusted_ip_ranges=tuple(r for r in row.trusted_ip_ranges.split(",") if r),
        max_login_attempts=row.max_login_attempts,
        lockout_minutes=row.lockout_minutes,
        daily_api_requests=row.daily_api_requests,
        admin_session_minutes=row.admin_session_minutes,
    )


_ORG_BY_ID = select(orgs).where(orgs.c.id == bindparam("org_id"))


def org_by_id(conn: Connection, org_id: str) -> Org | None:
    row = conn.execute(_ORG_BY_ID, {"org_id": org_id}).first()
    return _org(row) if row else None


def update_org(conn: Connection, org_id: str, values: dict[str, Any]) -> None:
    conn.execute(update(orgs).where(orgs.c.id == org_id).values(**values))


def first_org(conn: Connection) -> Org | None:
    row = conn.execute(select(orgs).order_by(orgs.c.created_ms).limit(1)).first()
    return _org(row) if row else None


def insert_org(conn: Connection, name: str, instance_name: str, now_ms: int) -> Org:
    org_id = new_id(KeyPrefix.ORGANIZATION)
    conn.execute(
        insert(orgs).values(
            id=org_id, name=name, instance_name=instance_name, is_sandbox=False, created_ms=now_ms
        )
    )
    return Org(id=org_id, name=name, instance_name=instance_name, is_sandbox=False)


# --- profiles and permission sets ---------------------------------------------------------------


def _profile(row: Row[Any]) -> Profile:
    return Profile(
        id=row.id,
        org_id=row.org_id,
        name=row.name,
        manage_connected_apps=row.manage_connected_apps,
        manage_users=row.manage_users,
    )


def insert_profile(
    conn: Connection, org_id: str, name: str, *, manage_connected_apps: bool, manage_users: bool, now_ms: int
) -> Profile:
    profile_id = new_id(KeyPrefix.PROFILE)
    conn.execute(
        insert(profiles).values(
            id=profile_id,
            org_id=org_id,
            name=name,
            manage_connected_apps=manage_connected_apps,
            manage_users=manage_users,
            created_ms=now_ms,
        )
    )
    return Profile(profile_id, org_id, name, manage_connected_apps, manage_users)


def profile_by_name(conn: Connection, org_id: str, name: str) -> Profile | None:
    row = conn.execute(
        select(profiles).where(profiles.c.org_id == org_id, func.lower(profiles.c.name) == name.lower())
    ).first()
    return _profile(row) if row else None


def profile_by_id(conn: Connection, profile_id: str) -> Profile | None:
    row = conn.execute(select(profiles).where(profiles.c.id == profile_id)).first()
    return _profile(row) if row else None


def list_profiles(conn: Connection, org_id: str) -> list[Profile]:
    rows = conn.execute(select(profiles).where(profiles.c.org_id == org_id).order_by(profiles.c.name))
    return [_profile(r) for r in rows]


def insert_permission_set(conn: Connection, org_id: str, name: str, label: str, now_ms: int) -> str:
    ps_id = new_id(KeyPrefix.PERMISSION_SET)
    conn.execute(
        insert(permission_sets).values(id=ps_id, org_id=org_id, name=name, label=label, created_ms=now_ms)
    )
    return ps_id


def permission_set_by_name(conn: Connection, org_id: str, name: str) -> Row[Any] | None:
    return conn.execute(
        select(permission_sets).where(permission_sets.c.org_id == org_id, permission_sets.c.name == name)
    ).first()


def assign_permission_set(
    conn: Connection, org_id: str, permission_set_id: str, user_id: str, now_ms: int
) -> None:
    conn.execute(
        insert(permission_set_assignments).values(
            id=new_id(KeyPrefix.PERMISSION_SET_ASSIGNMENT),
            org_id=org_id,
            permission_set_id=permission_set_id,
            user_id=user_id,
            created_ms=now_ms,
        )
    )


def permission_set_names_for_user(conn: Connection, user_id: str) -> list[str]:
    rows = conn.execute(
        select(permission_sets.c.name)
        .join(
            permission_set_assignments, permission_set_assignments.c.permission_set_id == permission_sets.c.id
        )
        .where(permission_set_assignments.c.user_id == user_id)
        .order_by(permission_sets.c.name)
    )
    return [r.name for r in rows]


# --- users --------------------------------------------------------------------------------------


def users_with_permission_set(conn: Connection, permission_set_id: str) -> list[User]:
    """The users a permission set is assigned to, by username."""
    rows = conn.execute(
        select(users)
        .join(permission_set_assignments, permission_set_assignments.c.user_id == users.c.id)
        .where(permission_set_assignments.c.permission_set_id == permission_set_id)
        .order_by(users.c.username)
    )
    return [_user(r) for r in rows]


def _user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        org_id=row.org_id,
        username=row.username,
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        is_active=row.is_active,
        profile_id=row.profile_id,
        password_hash=row.password_hash,
        created_ms=row.created_ms,
        modified_ms=row.modified_ms,
        last_login_ms=row.last_login_ms,
        failed_login_attempts=row.failed_login_attempts,
        locked_until_ms=row.locked_until_ms,
    )


def insert_user(conn: Connection, values: dict[str, Any]) -> User:
    conn.execute(insert(users).values(**values))
    user = user_by_id(conn, values["id"])
    assert user is not None
    return user


_USER_BY_USERNAME = select(users).where(users.c.username == bindparam("username"))


def user_by_username(conn: Connection, username: str) -> User | None:
    row = conn.execute(_USER_BY_USERNAME, {"username": username_key(username)}).first()
    return _user(row) if row else None


_USER_BY_ID = select(users).where(users.c.id == bindparam("user_id"))


def user_by_id(conn: Connection, user_id: str) -> User | None:
    row = conn.execute(_USER_BY_ID, {"user_id": user_id}).first()
    return _user(row) if row else None


def list_users(conn: Connection, org_id: str) -> list[User]:
    return [
        _user(r)
        for r in conn.execute(select(users).where(users.c.org_id == org_id).order_by(users.c.username))
    ]


def update_user(conn: Connection, user_id: str, values: dict[str, Any]) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(**values))


def count_users(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(users)).scalar_one())


# --- connected apps -----------------------------------------------------------------------------


def _app(row: Row[Any]) -> ConnectedApp:
    return ConnectedApp(
        id=row.id,
        org_id=row.org_id,
        name=row.name,
        consumer_key=row.consumer_key,
        consumer_secret_encrypted=row.consumer_secret_encrypted,
        callback_urls=tuple(u for u in row.callback_urls.split("\n") if u),
        scopes=tuple(row.scopes.split()),
        is_enabled=row.is_enabled,
        require_secret_for_web_server=row.require_secret_for_web_server,
        require_pkce=row.require_pkce,
        access_token_lifetime_seconds=row.access_token_lifetime_seconds,
        created_ms=row.created_ms,
        modified_ms=row.modified_ms,
        user_agent_flow_enabled=row.user_agent_flow_enabled,
        device_flow_enabled=row.device_flow_enabled,
        client_credentials_enabled=row.client_credentials_enabled,
        client_credentials_user_id=row.client_credentials_user_id,
        certificate_pem=row.certificate_pem,
        permitted_users=row.permitted_users,
        refresh_token_policy=row.refresh_token_policy,
        refresh_token_validity_seconds=row.refresh_token_validity_seconds,
        refresh_token_rotation=row.refresh_token_rotation,
        jwt_access_tokens=row.jwt_access_tokens,
        contact_email=row.contact_email,
        description=row.description,
        ip_relaxation=row.ip_relaxation,
        previous_consumer_secret_encrypted=row.previous_consumer_secret_encrypted,
        consumer_secret_rotated_ms=row.consumer_secret_rotated_ms,
    )


def app_columns(app: ConnectedApp) -> dict[str, Any]:
    """The row form of an app (callback URLs newline-separated, scopes space-separated)."""
    return {
        "id": app.id,
        "org_id": app.org_id,
        "name": app.name,
        "consumer_key": app.consumer_key,
        "consumer_secret_encrypted": app.consumer_secret_encrypted,
        "callback_urls": "\n".join(app.callback_urls),
        "scopes": " ".join(app.scopes),
        "is_enabled": app.is_enabled,
        "require_secret_for_web_server": app.require_secret_for_web_server,
        "require_pkce": app.require_pkce,
        "access_token_lifetime_seconds": app.access_token_lifetime_seconds,
        "created_ms": app.created_ms,
        "modified_ms": app.modified_ms,
        "user_agent_flow_enabled": app.user_agent_flow_enabled,
        "device_flow_enabled": app.device_flow_enabled,
        "client_credentials_enabled": app.client_credentials_enabled,
        "client_credentials_user_id": app.client_credentials_user_id,
        "certificate_pem": app.certificate_pem,
        "permitted_users": app.permitted_users,
        "refresh_token_policy": app.refresh_token_policy,
        "refresh_token_validity_seconds": app.refresh_token_validity_seconds,
        "refresh_token_rotation": app.refresh_token_rotation,
        "jwt_access_tokens": app.jwt_access_tokens,
        "contact_email": app.contact_email,
        "description": app.description,
        "ip_relaxation": app.ip_relaxation,
        "previous_consumer_secret_encrypted": app.previous_consumer_secret_encrypted,
        "consumer_secret_rotated_ms": app.consumer_secret_rotated_ms,
    }


def insert_app(conn: Connection, app: ConnectedApp) -> None:
    conn.execute(insert(connected_apps).values(**app_columns(app)))


def replace_app(conn: Connection, app: ConnectedApp) -> None:
    conn.execute(update(connected_apps).where(connected_apps.c.id == app.id).values(**app_columns(app)))


_APP_BY_CONSUMER_KEY = select(connected_apps).where(connected_apps.c.consumer_key == bindparam("key"))


def app_by_consumer_key(conn: Connection, consumer_key: str) -> ConnectedApp | None:
    row = conn.execute(_APP_BY_CONSUMER_KEY, {"key": consumer_key}).first()
    return _app(row) if row else None


def app_by_id(conn: Connection, app_id: str) -> ConnectedApp | None:
    row = conn.execute(select(connected_apps).where(connected_apps.c.id == app_id)).first()
    return _app(row) if row else None


def app_by_name(conn: Connection, org_id: str, name: str) -> ConnectedApp | None:
    row = conn.execute(
        select(connected_apps).where(connected_apps.c.org_id == org_id, connected_apps.c.name == name)
    ).first()
    return _app(row) if row else None


def list_apps(conn: Connection, org_id: str) -> list[ConnectedApp]:
    rows = conn.execute(
        select(connected_apps).where(connected_apps.c.org_id == org_id).order_by(connected_apps.c.name)
    )
    return [_app(r) for r in rows]


def apps_last_used(conn: Connection, org_id: str, success: str) -> dict[str, int]:
    """Each app's last use that is on record without a write on the bearer check: its latest
    successful login (login history's ``success`` status: every grant writes one) or the latest use
    of one of its refresh tokens, whichever is later. Apps never used are absent."""
    logins = (
        select(login_history.c.app_id, func.max(login_history.c.login_ms))
        .where(
            login_history.c.org_id == org_id,
            login_history.c.status == success,
            login_history.c.app_id.is_not(None),
        )
        .group_by(login_history.c.app_id)
    )
    refreshes = (
        select(refresh_tokens.c.app_id, func.max(refresh_tokens.c.last_used_ms))
        .where(refresh_tokens.c.org_id == org_id, refresh_tokens.c.last_used_ms.is_not(None))
        .group_by(refresh_tokens.c.app_id)
    )
    latest: dict[str, int] = {}
    for query in (logins, refreshes):
        for app_id, ms in conn.execute(query):
            latest[app_id] = max(latest.get(app_id, 0), int(ms))
    return latest


def delete_app(conn: Connection, app_id: str) -> None:
    # Children first: SQLite enforces ON DELETE CASCADE only with foreign_keys=ON, PostgreSQL always;
    # deleting explicitly keeps both backends identical.
    for table in (
        access_tokens,
        refresh_tokens,
        authorization_codes,
        device_requests,
        jwt_assertions,
        app_profile_access,
        app_permission_set_access,
    ):
        conn.execute(delete(table).where(table.c.app_id == app_id))
    conn.execute(delete(authorizations).where(authorizations.c.app_id == app_id))
    conn.execute(delete(app_approvals).where(app_approvals.c.app_id == app_id))
    conn.execute(update(login_history).where(login_history.c.app_id == app_id).values(app_id=None))
    conn.execute(delete(connected_apps).where(connected_apps.c.id == app_id))


def all_app_secrets(conn: Connection) -> list[tuple[str, str]]:
    """(app id, encrypted consumer secret) of every app: for re-encryption under a new server key."""
    rows = conn.execute(select(connected_apps.c.id, connected_apps.c.consumer_secret_encrypted))
    return [(r.id, r.consumer_secret_encrypted) for r in rows]


def set_app_secret(conn: Connection, app_id: str, encrypted: str) -> None:
    conn.execute(
        update(connected_apps)
        .where(connected_apps.c.id == app_id)
        .values(consumer_secret_encrypted=encrypted)
    )


def all_previous_app_secrets(conn: Connection) -> list[tuple[str, str]]:
    """(app id, encrypted old consumer secret) of every app in a staged secret rotation."""
    rows = conn.execute(
        select(connected_apps.c.id, connected_apps.c.previous_consumer_secret_encrypted).where(
            connected_apps.c.previous_consumer_secret_encrypted.is_not(None)
        )
    )
    return [(r.id, r.previous_consumer_secret_encrypted) for r in rows]


def set_previous_app_secret(conn: Connection, app_id: str, encrypted: str) -> None:
    conn.execute(
        update(connected_apps)
        .where(connected_apps.c.id == app_id)
        .values(previous_consumer_secret_encrypted=encrypted)
    )


# --- admin-approved access (profiles and permission sets pre-authorized for an app) ------------------


def grant_profile_access(conn: Connection, org_id: str, app_id: str, profile_id: str) -> None:
    if not conn.execute(
        select(app_profile_access.c.app_id).where(
            app_profile_access.c.app_id == app_id, app_profile_access.c.profile_id == profile_id
        )
    ).first():
        conn.execute(insert(app_profile_access).values(app_id=app_id, profile_id=profile_id, org_id=org_id))


def grant_permission_set_access(conn: Connection, org_id: str, app_id: str, permission_set_id: str) -> None:
    table = app_permission_set_access
    if not conn.execute(
        select(table.c.app_id).where(table.c.app_id == app_id, table.c.permission_set_id == permission_set_id)
    ).first():
        conn.execute(insert(table).values(app_id=app_id, permission_set_id=permission_set_id, org_id=org_id))


def revoke_app_access(
    conn: Connection, app_id: str, *, profile_id: str | None, permission_set_id: str | None
) -> None:
    if profile_id:
        conn.execute(
            delete(app_profile_access).where(
                app_profile_access.c.app_id == app_id, app_profile_access.c.profile_id == profile_id
            )
        )
    if permission_set_id:
        conn.execute(
            delete(app_permission_set_access).where(
                app_permission_set_access.c.app_id == app_id,
                app_permission_set_access.c.permission_set_id == permission_set_id,
            )
        )


def app_access_names(conn: Connection, app_id: str) -> dict[str, list[str]]:
    """Names of the profiles and permission sets pre-authorized for an app."""
    profile_names = conn.execute(
        select(profiles.c.name)
        .join(app_profile_access, app_profile_access.c.profile_id == profiles.c.id)
        .where(app_profile_access.c.app_id == app_id)
        .order_by(profiles.c.name)
    )
    set_names = conn.execute(
        select(permission_sets.c.name)
        .join(
            app_permission_set_access, app_permission_set_access.c.permission_set_id == permission_sets.c.id
        )
        .where(app_permission_set_access.c.app_id == app_id)
        .order_by(permission_sets.c.name)
    )
    return {"profiles": [r.name for r in profile_names], "permission_sets": [r.name for r in set_names]}


def user_is_preauthorized(conn: Connection, app_id: str, user: User) -> bool:
    """Whether the user's profile, or one of their permission sets, is assigned to the app."""
    by_profile = select(app_profile_access.c.app_id).where(
        app_profile_access.c.app_id == app_id, app_profile_access.c.profile_id == user.profile_id
    )
    by_permission_set = (
        select(app_permission_set_access.c.app_id)
        .join(
            permission_set_assignments,
            permission_set_assignments.c.permission_set_id == app_permission_set_access.c.permission_set_id,
        )
        .where(app_permission_set_access.c.app_id == app_id, permission_set_assignments.c.user_id == user.id)
    )
    return conn.execute(by_profile.union_all(by_permission_set).limit(1)).first() is not None


def list_permission_sets(conn: Connection, org_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(permission_sets.c.id, permission_sets.c.name, permission_sets.c.label)
        .where(permission_sets.c.org_id == org_id)
        .order_by(permission_sets.c.name)
    )
    return [dict(r._mapping) for r in rows]


# --- approvals (remembered consent) ----------------------------------------------------------------


_APPROVED_SCOPES = select(app_approvals.c.scopes).where(
    app_approvals.c.user_id == bindparam("user_id"), app_approvals.c.app_id == bindparam("app_id")
)


def approved_scopes(conn: Connection, user_id: str, app_id: str) -> frozenset[str] | None:
    row = conn.execute(_APPROVED_SCOPES, {"user_id": user_id, "app_id": app_id}).first()
    return frozenset(row.scopes.split()) if row else None


def save_approval(
    conn: Connection, org_id: str, user_id: str, app_id: str, scopes: Iterable[str], now_ms: int
) -> None:
    previous = approved_scopes(conn, user_id, app_id)
    merged = " ".join(sorted(set(scopes) | (previous or frozenset())))
    if previous is None:
        conn.execute(
            insert(app_approvals).values(
                user_id=user_id, app_id=app_id, org_id=org_id, scopes=merged, approved_ms=now_ms
            )
        )
    else:
        conn.execute(
            update(app_approvals)
            .where(app_approvals.c.user_id == user_id, app_approvals.c.app_id == app_id)
            .values(scopes=merged, approved_ms=now_ms)
        )


# --- authorization codes ------------------------------------------------------------------------


# Update statements cannot reuse a column's name for a bind parameter: hence the b_ prefixes.
_INSERT_CODE = insert(authorization_codes)
_CODE_BY_HASH = select(authorization_codes).where(authorization_codes.c.code_hash == bindparam("code_hash"))


def insert_code(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(_INSERT_CODE, values)


def code_by_hash(conn: Connection, code_hash: str) -> AuthorizationCode | None:
    row = conn.execute(_CODE_BY_HASH, {"code_hash": code_hash}).first()
    if row is None:
        return None
    return AuthorizationCode(
        code_hash=row.code_hash,
        org_id=row.org_id,
        app_id=row.app_id,
        user_id=row.user_id,
        redirect_uri=row.redirect_uri,
        scopes=tuple(row.scopes.split()),
        code_challenge=row.code_challenge,
        nonce=row.nonce,
        auth_time_ms=row.auth_time_ms,
        expires_ms=row.expires_ms,
        consumed_ms=row.consumed_ms,
        authorization_id=row.authorization_id,
    )


_CONSUME_CODE = (
    update(authorization_codes)
    .where(
        authorization_codes.c.code_hash == bindparam("b_code_hash"),
        authorization_codes.c.consumed_ms.is_(None),
    )
    .values(consumed_ms=bindparam("b_now_ms"), authorization_id=bindparam("b_authorization_id"))
)


def consume_code(conn: Connection, code_hash: str, authorization_id: str, now_ms: int) -> bool:
    """Mark a code used; False when another request consumed it first (single use, race-free)."""
    result = conn.execute(
        _CONSUME_CODE, {"b_code_hash": code_hash, "b_now_ms": now_ms, "b_authorization_id": authorization_id}
    )
    return result.rowcount == 1


# --- authorizations and tokens --------------------------------------------------------------------


def insert_authorization(
    conn: Connection, org_id: str, app_id: str, user_id: str, flow: str, scopes: Iterable[str], now_ms: int
) -> str:
    authorization_id = new_id(KeyPrefix.OAUTH_TOKEN)
    conn.execute(
        _INSERT_AUTHORIZATION,
        {
            "id": authorization_id,
            "org_id": org_id,
            "app_id": app_id,
            "user_id": user_id,
            "flow": flow,
            "scopes": " ".join(scopes),
            "created_ms": now_ms,
        },
    )
    return authorization_id


_INSERT_AUTHORIZATION = insert(authorizations)
_INSERT_ACCESS_TOKEN = insert(access_tokens)
_INSERT_REFRESH_TOKEN = insert(refresh_tokens)


def insert_access_token(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(_INSERT_ACCESS_TOKEN, values)


def insert_refresh_token(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(_INSERT_REFRESH_TOKEN, values)


def revoke_authorization(conn: Connection, authorization_id: str, now_ms: int) -> None:
    """Revoke a whole token family: the authorization and every token issued under it."""
    conn.execute(
        update(authorizations)
        .where(authorizations.c.id == authorization_id, authorizations.c.revoked_ms.is_(None))
        .values(revoked_ms=now_ms)
    )
    for table in (access_tokens, refresh_tokens):
        conn.execute(
            update(table)
            .where(table.c.authorization_id == authorization_id, table.c.revoked_ms.is_(None))
            .values(revoked_ms=now_ms)
        )


# The hot path of every protected call: one indexed lookup joined with the user and the app, so a
# deactivated user or a disabled app loses access at once.
_bearer_query = (
    select(
        access_tokens.c.org_id,
        access_tokens.c.user_id,
        access_tokens.c.app_id,
        access_tokens.c.authorization_id,
        access_tokens.c.scopes,
        access_tokens.c.issued_ms,
        access_tokens.c.expires_ms,
    )
    .join(users, users.c.id == access_tokens.c.user_id)
    .join(connected_apps, connected_apps.c.id == access_tokens.c.app_id)
    .where(
        and_(
            access_tokens.c.token_hash == bindparam("token_hash"),
            access_tokens.c.expires_ms > bindparam("now_ms"),
            access_tokens.c.revoked_ms.is_(None),
            users.c.is_active.is_(True),
            connected_apps.c.is_enabled.is_(True),
        )
    )
)


def active_access_token(conn: Connection, token_hash: str, now_ms: int) -> AccessTokenGrant | None:
    row = conn.execute(_bearer_query, {"token_hash": token_hash, "now_ms": now_ms}).first()
    if row is None:
        return None
    return AccessTokenGrant(
        org_id=row.org_id,
        user_id=row.user_id,
        app_id=row.app_id,
        authorization_id=row.authorization_id,
        scopes=frozenset(row.scopes.split()),
        issued_ms=row.issued_ms,
        expires_ms=row.expires_ms,
    )


# --- browser sessions ---------------------------------------------------------------------------


def insert_browser_session(
    conn: Connection, session_hash: str, org_id: str, user_id: str, now_ms: int, expires_ms: int
) -> None:
    conn.execute(
        insert(browser_sessions).values(
            session_hash=session_hash,
            org_id=org_id,
            user_id=user_id,
            created_ms=now_ms,
            expires_ms=expires_ms,
        )
    )


def browser_session(conn: Connection, session_hash: str, now_ms: int) -> tuple[User, int] | None:
    """The active user of a login session and when they logged in."""
    row = conn.execute(
        select(users, browser_sessions.c.created_ms.label("session_created_ms"))
        .join(browser_sessions, browser_sessions.c.user_id == users.c.id)
        .where(
            browser_sessions.c.session_hash == session_hash,
            browser_sessions.c.expires_ms > now_ms,
            users.c.is_active.is_(True),
        )
    ).first()
    return (_user(row), row.session_created_ms) if row else None


def delete_browser_session(conn: Connection, session_hash: str) -> None:
    conn.execute(delete(browser_sessions).where(browser_sessions.c.session_hash == session_hash))


# --- login history ------------------------------------------------------------------------------


_INSERT_LOGIN = insert(login_history)


def _fitted(text: str, length: int) -> str:
    """Cut to a column's length, visibly."""
    return text if len(text) <= length else text[: length - 1] + "…"


def insert_login(conn: Connection, attempt: LoginAttempt, now_ms: int) -> None:
    conn.execute(
        _INSERT_LOGIN,
        {
            "id": new_id(KeyPrefix.LOGIN_HISTORY),
            "org_id": attempt.org_id,
            "user_id": attempt.user_id,
            "username": attempt.username[:255],
            "app_id": attempt.app_id,
            "app_name": attempt.app_name,
            "login_type": attempt.login_type,
            "flow": attempt.flow,
            "source_ip": attempt.source_ip[:45],
            "user_agent": attempt.user_agent[:512],
            "login_ms": now_ms,
            "status": _fitted(attempt.status, LOGIN_STATUS_LENGTH),
        },
    )


@dataclass(frozen=True)
class LoginFilter:
    """Which login history rows a list wants; None (or False) leaves a column unfiltered."""

    user_id: str | None = None  # a user's logins: the rows recorded with their record ID
    username: str | None = None  # attempts naming a username no user has: the rows as typed
    app_id: str | None = None
    status: str | None = None  # an exact status ("Success", "Invalid Password", ...)
    failures: bool = False  # every status but Success
    flow: str | None = None
    since_ms: int | None = None  # inclusive
    until_ms: int | None = None  # exclusive


def recent_logins(
    conn: Connection, org_id: str, limit: int = 100, *, offset: int = 0, where: LoginFilter = LoginFilter()
) -> list[dict[str, Any]]:
    """The org's login history rows that match ``where``, newest first. Values are bound parameters;
    migration 0011's indexes serve a user's, a username's and an app's rows in time order."""
    table = login_history.c
    query = select(login_history).where(table.org_id == org_id)
    if where.user_id is not None:
        query = query.where(table.user_id == where.user_id)
    if where.username is not None:
        query = query.where(table.username == where.username)
    if where.app_id is not None:
        query = query.where(table.app_id == where.app_id)
    if where.status is not None:
        query = query.where(table.status == where.status)
    if where.failures:
        query = query.where(table.status != LOGIN_SUCCESS)
    if where.flow is not None:
        query = query.where(table.flow == where.flow)
    if where.since_ms is not None:
        query = query.where(table.login_ms >= where.since_ms)
    if where.until_ms is not None:
        query = query.where(table.login_ms < where.until_ms)
    rows = conn.execute(query.order_by(table.login_ms.desc(), table.id).limit(limit).offset(offset))
    return [dict(r._mapping) for r in rows]


# --- the Setup Audit Trail ------------------------------------------------------------------------


def insert_audit_entry(conn: Connection, entry: dict[str, Any]) -> None:
    conn.execute(insert(setup_audit_trail).values(id=new_id(KeyPrefix.SETUP_AUDIT_TRAIL), **entry))


def audit_sections(conn: Connection, org_id: str) -> list[str]:
    """The sections the org's entries name (a standard object's fields are filed under its own
    "Customize ..." section), in order."""
    table = setup_audit_trail.c
    query = select(table.section).where(table.org_id == org_id).distinct().order_by(table.section)
    return list(conn.scalars(query))


def audit_entries(
    conn: Connection,
    org_id: str,
    *,
    actor: str | None = None,
    section: str | None = None,
    action: str | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The org's entries, newest first, filtered by each criterion given (actor and section compared
    case-insensitively; ``until_ms`` exclusive)."""
    table = setup_audit_trail.c
    query = select(setup_audit_trail).where(table.org_id == org_id)
    if actor is not None:
        query = query.where(func.lower(table.actor) == actor.lower())
    if section is not None:
        query = query.where(func.lower(table.section) == section.lower())
    if action is not None:
        query = query.where(table.action == action)
    if since_ms is not None:
        query = query.where(table.created_ms >= since_ms)
    if until_ms is not None:
        query = query.where(table.created_ms < until_ms)
    # Entries of one millisecond (one change's) keep a stable order for paging, by their random id.
    query = query.order_by(table.created_ms.desc(), table.id.desc()).limit(limit).offset(offset)
    return [dict(r._mapping) for r in conn.execute(query)]
