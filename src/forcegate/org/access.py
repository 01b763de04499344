"""Who may use a connected app (Salesforce's "Permitted Users"), and the org's security settings.

"All users may self-authorize": any user, after approving the app (consent page) — flows without a
page (JWT bearer) need that earlier approval. "Admin approved users are pre-authorized": only users
whose profile or a permission set is assigned to the app, with no consent page.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.domain import PERMITTED_ADMIN_APPROVED, ConnectedApp, Org, User
from forcegate.org import audit
from forcegate.org.audit import Actor
from forcegate.org.errors import Conflict, NotFound, ValidationFailed
from forcegate.resources import org_settings as declared_org
from forcegate.resources import permissions as declared_permissions
from forcegate.storage import repositories as repo

__all__ = [
    "ORG_SETTINGS",
    "assign_permission_set",
    "create_permission_set",
    "grant_access",
    "ip_is_trusted",
    "org_view",
    "update_org",
    "user_may_use_app",
]

# Org settings an admin may change: declared, with their rules, in forcegate.resources.org_settings.
ORG_SETTINGS = tuple(declared_org.UPDATE.model.model_fields)


def user_may_use_app(conn: Connection, app: ConnectedApp, user: User) -> bool | None:
    """True: pre-authorized or approved. False: an admin-approved app the user is not assigned to.
    None: a self-authorize app the user has not approved yet (a page can ask; other flows refuse)."""
    if app.permitted_users == PERMITTED_ADMIN_APPROVED:
        return repo.user_is_preauthorized(conn, app.id, user)
    return True if repo.approved_scopes(conn, user.id, app.id) is not None else None


def grant_access(
    ctx: Context,
    conn: Connection,
    app: ConnectedApp,
    *,
    profile: str | None = None,
    permission_set: str | None = None,
    revoke: bool = False,
    actor: Actor,
) -> dict[str, list[str]]:
    """Assign (or with ``revoke``, unassign) a profile or permission set to an admin-approved app."""
    profile_id = permission_set_id = None
    if profile:
        found = repo.profile_by_name(conn, app.org_id, profile)
        if found is None:
            raise NotFound(f"no profile named {profile!r}")
        profile_id = found.id
    if permission_set:
        row = repo.permission_set_by_name(conn, app.org_id, permission_set)
        if row is None:
            raise NotFound(f"no permission set named {permission_set!r}")
        permission_set_id = row.id
    if profile_id is None and permission_set_id is None:
        raise ValidationFailed("name a profile or a permission set")
    before = repo.app_access_names(conn, app.id)
    if revoke:
        repo.revoke_app_access(conn, app.id, profile_id=profile_id, permission_set_id=permission_set_id)
    else:
        if profile_id:
            repo.grant_profile_access(conn, app.org_id, app.id, profile_id)
        if permission_set_id:
            repo.grant_permission_set_access(conn, app.org_id, app.id, permission_set_id)
    after = repo.app_access_names(conn, app.id)
    changed = audit.diff(before, after, sorted(after))
    if changed:
        named = " and ".join(
            f'{kind} "{name}"'
            for kind, name in (("profile", profile), ("permission set", permission_set))
            if name
        )
        verb, action = ("Removed", "revoked") if revoke else ("Pre-authorized", "granted")
        audit.record(
            conn, ctx.now_ms(), app.org_id, actor, section=audit.CONNECTED_APPS,
            action=f"connected_app.access_{action}", target=app.name,
            display=f'{verb} {named} {"from" if revoke else "for"} connected app "{app.name}"',
            changes=changed,
        )  # fmt: skip
    return after


def create_permission_set(
    ctx: Context, conn: Connection, org_id: str, name: str, label: str | None, *, actor: Actor
) -> str:
    given = declared_permissions.PERMISSION_SET_CREATE.validate({"name": name, "label": label})
    name, label = given["name"], given["label"]
    if repo.permission_set_by_name(conn, org_id, name) is not None:
        raise Conflict(f"a permission set named {name!r} already exists", "name")
    now = ctx.now_ms()
    created = repo.insert_permission_set(conn, org_id, name, label or name, now)
    audit.record(
        conn, now, org_id, actor, section=audit.MANAGE_USERS, action="permission_set.created",
        target=name, display=f'Created permission set "{name}"',
        changes=audit.diff({}, {"name": name, "label": label or name}, ("name", "label")),
    )  # fmt: skip
    return created


def assign_permission_set(
    ctx: Context, conn: Connection, org_id: str, name: str, user: User, *, actor: Actor
) -> None:
    row = repo.permission_set_by_name(conn, org_id, name)
    if row is None:
        raise NotFound(f"no permission set named {name!r}")
    if name in repo.permission_set_names_for_user(conn, user.id):
        return
    now = ctx.now_ms()
    repo.assign_permission_set(conn, org_id, row.id, user.id, now)
    audit.record(
        conn, now, org_id, actor, section=audit.MANAGE_USERS, action="permission_set.assigned",
        target=user.username, display=f'Assigned permission set "{name}" to user {user.username}',
    )  # fmt: skip


def ip_is_trusted(org: Org, ip: str) -> bool:
    """Inside the org's trusted IP ranges (where the password flows need no security token)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(r, strict=False) for r in org.trusted_ip_ranges)


def _validated_ranges(ranges: list[Any]) -> str:
    try:
        return ",".join(str(ipaddress.ip_network(str(r).strip(), strict=False)) for r in ranges)
    except ValueError as exc:
        raise ValidationFailed(f"trusted_ip_ranges: {exc}", "trusted_ip_ranges") from exc


def update_org(ctx: Context, conn: Connection, org: Org, changes: dict[str, Any], *, actor: Actor) -> Org:
    values = declared_org.UPDATE.validate(changes)
    if "trusted_ip_ranges" in values:
        values["trusted_ip_ranges"] = _validated_ranges(values["trusted_ip_ranges"])
    repo.update_org(conn, org.id, values)
    updated = repo.org_by_id(conn, org.id)
    assert updated is not None
    changed = audit.diff(org_view(org), org_view(updated), ORG_SETTINGS)
    if changed:
        audit.record(
            conn, ctx.now_ms(), org.id, actor, section=audit.SECURITY_CONTROLS, action="org.updated",
            target=org.name, display=audit.described("the org's security settings", changed),
            changes=changed,
        )  # fmt: skip
    return updated


def org_view(org: Org) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "allow_username_password_flows": org.allow_username_password_flows,
        "allow_soap_login": org.allow_soap_login,
        "trusted_ip_ranges": list(org.trusted_ip_ranges),
        "max_login_attempts": org.max_login_attempts,
        "lockout_minutes": org.lockout_minutes,
        "daily_api_requests": org.daily_api_requests,
        "admin_session_minutes": org.admin_session_minutes,
    }
