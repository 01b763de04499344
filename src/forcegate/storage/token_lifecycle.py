"""Tokens after they are issued: lookup by hash for revocation and introspection, revoking one
access token, revoking everything a user, an app, or a user for one app holds, and who holds live
tokens for which app (Setup's "Connected Apps OAuth Usage").

Revoking a refresh token revokes its family (``repositories.revoke_authorization``); revoking "by
scope of damage" marks the authorizations, both token tables, the codes not yet exchanged and the
device requests not yet collected in one transaction: a code or device approval issued before the
incident cannot mint tokens after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, delete, func, literal, or_, select, union_all, update
from sqlalchemy.sql.elements import ColumnElement

from forcegate.domain import REFRESH_EXPIRE_AFTER, REFRESH_EXPIRE_IF_UNUSED
from forcegate.storage import device_requests as device_store
from forcegate.storage.schema import (
    access_tokens,
    authorization_codes,
    authorizations,
    browser_sessions,
    connected_apps,
    device_requests,
    refresh_tokens,
    users,
)

__all__ = [
    "ACCESS_TOKEN",
    "REFRESH_TOKEN",
    "OAuthUsage",
    "RevokedCounts",
    "StoredToken",
    "end_browser_sessions",
    "find_token",
    "oauth_usage",
    "refresh_token_expired",
    "revoke_access_token",
    "revoke_matching",
]

ACCESS_TOKEN = "access_token"
REFRESH_TOKEN = "refresh_token"


@dataclass(frozen=True)
class StoredToken:
    """An access or refresh token found by its hash, with the state of its family and its user."""

    kind: str  # ACCESS_TOKEN or REFRESH_TOKEN (RFC 7662's token_type values, as Salesforce uses them)
    token_hash: str
    org_id: str
    app_id: str
    user_id: str
    authorization_id: str
    scopes: tuple[str, ...]
    issued_ms: int
    expires_ms: int | None  # access tokens; a refresh token's expiry depends on its app's policy
    revoked_ms: int | None
    rotated_ms: int | None  # refresh tokens retired by rotation
    last_used_ms: int | None
    family_created_ms: int
    family_revoked_ms: int | None
    flow: str
    username: str
    user_is_active: bool

    @property
    def is_revoked(self) -> bool:
        return self.revoked_ms is not None or self.family_revoked_ms is not None


def _lookup(table: Any, *extra: Any) -> Any:
    return (
        select(
            table.c.token_hash,
            table.c.org_id,
            table.c.app_id,
            table.c.user_id,
            table.c.authorization_id,
            table.c.scopes,
            table.c.issued_ms,
            table.c.revoked_ms,
            *extra,
            authorizations.c.created_ms.label("family_created_ms"),
            authorizations.c.revoked_ms.label("family_revoked_ms"),
            authorizations.c.flow,
            users.c.username,
            users.c.is_active,
        )
        .join(authorizations, authorizations.c.id == table.c.authorization_id)
        .join(users, users.c.id == table.c.user_id)
        .where(table.c.token_hash == bindparam("token_hash"))
    )


_FIND_ACCESS = _lookup(access_tokens, access_tokens.c.expires_ms)
_FIND_REFRESH = _lookup(refresh_tokens, refresh_tokens.c.rotated_ms, refresh_tokens.c.last_used_ms)


def _stored(kind: str, row: Row[Any]) -> StoredToken:
    mapping = row._mapping
    return StoredToken(
        kind=kind,
        token_hash=row.token_hash,
        org_id=row.org_id,
        app_id=row.app_id,
        user_id=row.user_id,
        authorization_id=row.authorization_id,
        scopes=tuple(row.scopes.split()),
        issued_ms=row.issued_ms,
        expires_ms=mapping.get("expires_ms"),
        revoked_ms=row.revoked_ms,
        rotated_ms=mapping.get("rotated_ms"),
        last_used_ms=mapping.get("last_used_ms"),
        family_created_ms=row.family_created_ms,
        family_revoked_ms=row.family_revoked_ms,
        flow=row.flow,
        username=row.username,
        user_is_active=row.is_active,
    )


def find_token(conn: Connection, token_hash: str, hint: str | None = None) -> StoredToken | None:
    """The access or refresh token with this hash, whatever its state. ``hint`` (RFC 7009 §2.1
    ``token_type_hint``) only decides which table is searched first."""
    order = [(ACCESS_TOKEN, _FIND_ACCESS), (REFRESH_TOKEN, _FIND_REFRESH)]
    if hint == REFRESH_TOKEN:
        order.reverse()
    for kind, statement in order:
        row = conn.execute(statement, {"token_hash": token_hash}).first()
        if row is not None:
            return _stored(kind, row)
    return None


_REVOKE_ACCESS = (
    update(access_tokens)
    .where(access_tokens.c.token_hash == bindparam("b_token_hash"), access_tokens.c.revoked_ms.is_(None))
    .values(revoked_ms=bindparam("b_now_ms"))
)


def revoke_access_token(conn: Connection, token_hash: str, now_ms: int) -> bool:
    """Revoke one access token (its session only: the family's other tokens stay valid)."""
    return conn.execute(_REVOKE_ACCESS, {"b_token_hash": token_hash, "b_now_ms": now_ms}).rowcount == 1


@dataclass(frozen=True)
class RevokedCounts:
    authorizations: int
    access_tokens: int
    refresh_tokens: int
    authorization_codes: int
    device_requests: int
    browser_sessions: int

    def as_json(self) -> dict[str, int]:
        return {
            "authorizations": self.authorizations,
            "access_tokens": self.access_tokens,
            "refresh_tokens": self.refresh_tokens,
            "authorization_codes": self.authorization_codes,
            "device_requests": self.device_requests,
            "browser_sessions": self.browser_sessions,
        }


def _matching(table: Any, org_id: str, user_id: str | None, app_id: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [table.c.org_id == org_id]
    if user_id is not None:
        conditions.append(table.c.user_id == user_id)
    if app_id is not None:
        conditions.append(table.c.app_id == app_id)
    return conditions


def revoke_matching(
    conn: Connection, org_id: str, now_ms: int, *, user_id: str | None = None, app_id: str | None = None
) -> RevokedCounts:
    """Revoke every grant of a user, of an app, or of a user for one app (at least one is given).

    Counts are of what was live and is now revoked. Codes not yet exchanged are marked consumed and
    device requests not yet collected are denied, so neither can mint tokens later; revoking all of a
    user's grants also ends their browser login sessions.
    """
    if user_id is None and app_id is None:
        raise ValueError("revoke_matching needs a user, an app or both")
    counts: dict[str, int] = {}
    for name, table in (
        ("authorizations", authorizations),
        ("access_tokens", access_tokens),
        ("refresh_tokens", refresh_tokens),
    ):
        result = conn.execute(
            update(table)
            .where(*_matching(table, org_id, user_id, app_id), table.c.revoked_ms.is_(None))
            .values(revoked_ms=now_ms)
        )
        counts[name] = result.rowcount
    codes = conn.execute(
        update(authorization_codes)
        .where(
            *_matching(authorization_codes, org_id, user_id, app_id),
            authorization_codes.c.consumed_ms.is_(None),
            authorization_codes.c.expires_ms > now_ms,
        )
        .values(consumed_ms=now_ms)
    )
    # A device request has a user once someone approved it; by app, pending ones are denied too.
    waiting = (
        [device_store.APPROVED] if user_id is not None else [device_store.APPROVED, device_store.PENDING]
    )
    devices = conn.execute(
        update(device_requests)
        .where(
            *_matching(device_requests, org_id, user_id, app_id),
            device_requests.c.status.in_(waiting),
            device_requests.c.expires_ms > now_ms,
        )
        .values(status=device_store.DENIED)
    )
    # All of a user's grants: their login sessions go too, or a stolen session cookie would let the
    # remembered consent mint new codes at once.
    sessions = 0
    if user_id is not None and app_id is None:
        sessions = end_browser_sessions(conn, org_id, user_id)
    return RevokedCounts(
        authorizations=counts["authorizations"],
        access_tokens=counts["access_tokens"],
        refresh_tokens=counts["refresh_tokens"],
        authorization_codes=codes.rowcount,
        device_requests=devices.rowcount,
        browser_sessions=sessions,
    )


def end_browser_sessions(conn: Connection, org_id: str, user_id: str) -> int:
    """Log the user out of every browser (the session cookies stop working at once); returns how many
    sessions there were."""
    return conn.execute(
        delete(browser_sessions).where(
            browser_sessions.c.user_id == user_id, browser_sessions.c.org_id == org_id
        )
    ).rowcount


# --- who holds live tokens (Setup's "Connected Apps OAuth Usage") -------------------------------


def refresh_token_expired(now_ms: int) -> ColumnElement[bool]:
    """SQL for "the app's refresh token policy has expired this token at ``now_ms``", the database's
    reading of ``flows.refresh_token.refresh_token_expiry_ms``: "expire after" counts from the grant's
    creation, "expire if unused" from the token's last use (or issue). The query must join the token's
    ``authorizations`` and ``connected_apps`` rows."""
    validity_ms = func.coalesce(connected_apps.c.refresh_token_validity_seconds, 0) * 1000
    last_activity = func.coalesce(refresh_tokens.c.last_used_ms, refresh_tokens.c.issued_ms)
    return or_(
        and_(
            connected_apps.c.refresh_token_policy == REFRESH_EXPIRE_AFTER,
            authorizations.c.created_ms + validity_ms <= now_ms,
        ),
        and_(
            connected_apps.c.refresh_token_policy == REFRESH_EXPIRE_IF_UNUSED,
            last_activity + validity_ms <= now_ms,
        ),
    )


@dataclass(frozen=True)
class OAuthUsage:
    """One user's live tokens for one app."""

    app_id: str
    app_name: str
    app_user_count: int  # users holding live tokens for this app (all of them, not just this page's)
    user_id: str
    username: str
    user_name: str  # first and last name
    access_tokens: int
    refresh_tokens: int
    first_issued_ms: int  # when the oldest grant they still hold tokens of was made
    # The last time a token of theirs was issued or a refresh token of theirs was used. A call with an
    # access token is not recorded: the bearer check writes nothing, so the data API stays read-only.
    last_used_ms: int


def _live_tokens(org_id: str, now_ms: int) -> Any:
    """Each live token of the org as (app, user, grant, is access, is refresh, last activity): access
    tokens neither revoked nor expired, refresh tokens neither revoked, rotated nor expired by their
    app's policy, both of a grant not revoked."""
    live_access = select(
        access_tokens.c.app_id,
        access_tokens.c.user_id,
        access_tokens.c.authorization_id,
        literal(1).label("access"),
        literal(0).label("refresh"),
        access_tokens.c.issued_ms.label("activity_ms"),
    ).where(
        access_tokens.c.org_id == org_id,
        access_tokens.c.expires_ms > now_ms,  # the expiry index finds them
        access_tokens.c.revoked_ms.is_(None),
    )
    live_refresh = (
        select(
            refresh_tokens.c.app_id,
            refresh_tokens.c.user_id,
            refresh_tokens.c.authorization_id,
            literal(0).label("access"),
            literal(1).label("refresh"),
            func.coalesce(refresh_tokens.c.last_used_ms, refresh_tokens.c.issued_ms).label("activity_ms"),
        )
        .join(authorizations, authorizations.c.id == refresh_tokens.c.authorization_id)
        .join(connected_apps, connected_apps.c.id == refresh_tokens.c.app_id)
        .where(
            refresh_tokens.c.org_id == org_id,
            refresh_tokens.c.revoked_ms.is_(None),
            refresh_tokens.c.rotated_ms.is_(None),
            ~refresh_token_expired(now_ms),
        )
    )
    return union_all(live_access, live_refresh).subquery("live")


def oauth_usage(
    conn: Connection, org_id: str, now_ms: int, *, limit: int, offset: int = 0
) -> list[OAuthUsage]:
    """Who holds live tokens for which app, a row per app and user, by app name then username: one
    statement, whatever the number of apps and users."""
    live = _live_tokens(org_id, now_ms)
    user_name = func.trim(users.c.first_name + " " + users.c.last_name)
    grouped = (live.c.app_id, connected_apps.c.name, live.c.user_id, users.c.username)
    statement = (
        select(
            live.c.app_id,
            connected_apps.c.name.label("app_name"),
            func.count().over(partition_by=live.c.app_id).label("app_user_count"),
            live.c.user_id,
            users.c.username,
            func.max(user_name).label("user_name"),
            func.sum(live.c.access).label("access_tokens"),
            func.sum(live.c.refresh).label("refresh_tokens"),
            func.min(authorizations.c.created_ms).label("first_issued_ms"),
            func.max(live.c.activity_ms).label("last_used_ms"),
        )
        .select_from(live)
        .join(authorizations, authorizations.c.id == live.c.authorization_id)
        .join(connected_apps, connected_apps.c.id == live.c.app_id)
        .join(users, users.c.id == live.c.user_id)
        .where(authorizations.c.revoked_ms.is_(None))
        .group_by(*grouped)
        .order_by(connected_apps.c.name, live.c.app_id, users.c.username, live.c.user_id)
        .limit(limit)
        .offset(offset)
    )
    return [
        OAuthUsage(
            app_id=row.app_id,
            app_name=row.app_name,
            app_user_count=int(row.app_user_count),
            user_id=row.user_id,
            username=row.username,
            user_name=row.user_name,
            access_tokens=int(row.access_tokens),
            refresh_tokens=int(row.refresh_tokens),
            first_issued_ms=int(row.first_issued_ms),
            last_used_ms=int(row.last_used_ms),
        )
        for row in conn.execute(statement)
    ]
