"""Object and field permissions granted by profiles and permission sets, and the system permissions
("API Enabled", "View All Data", "Modify All Data", and the administrative rights "Manage Connected
Apps" and "Manage Users") both carry.

A *parent* is a profile or a permission set; its key prefix (00e / 0PS) says which. Loading a user's
access is three indexed statements in the caller's transaction: the parents (the profile and every
assigned permission set), their object rows, their field rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, literal, select, union_all, update
from sqlalchemy.sql.elements import BindParameter

from forcegate.ids import KeyPrefix
from forcegate.storage.schema import (
    field_permissions,
    object_permissions,
    permission_set_assignments,
    permission_sets,
    profiles,
    users,
)

__all__ = [
    "OBJECT_FLAGS",
    "SYSTEM_PERMISSIONS",
    "Parent",
    "delete_field_permission",
    "delete_object_permission",
    "field_rows",
    "object_rows",
    "parent_by_name",
    "parents_of_user",
    "set_field_permission",
    "set_object_permission",
    "set_system_permissions",
    "unassign_permission_set",
]

SYSTEM_PERMISSIONS = (
    "api_enabled",
    "view_all_data",
    "modify_all_data",
    "manage_connected_apps",
    "manage_users",
)
# Wire names (admin API, CLI) -> columns of ``object_permissions``.
OBJECT_FLAGS = {
    "read": "can_read",
    "create": "can_create",
    "edit": "can_edit",
    "delete": "can_delete",
    "view_all": "view_all",
    "modify_all": "modify_all",
}


@dataclass(frozen=True)
class Parent:
    """A profile or a permission set, with its system permissions."""

    id: str
    kind: str  # "profile" or "permission_set"
    org_id: str
    name: str
    label: str
    api_enabled: bool
    view_all_data: bool
    modify_all_data: bool
    manage_connected_apps: bool
    manage_users: bool


def _table(parent_id: str) -> Table:
    return profiles if parent_id.startswith(KeyPrefix.PROFILE) else permission_sets


def _parent(row: Any, kind: str) -> Parent:
    return Parent(
        row.id, kind, row.org_id, row.name, row.label, *(row._mapping[c] for c in SYSTEM_PERMISSIONS)
    )


def parent_by_name(conn: Connection, org_id: str, kind: str, name: str) -> Parent | None:
    table = profiles if kind == "profile" else permission_sets
    name_match = func.lower(table.c.name) == name.lower() if kind == "profile" else table.c.name == name
    label = table.c.label if kind == "permission_set" else table.c.name.label("label")
    row = conn.execute(
        select(
            table.c.id, table.c.org_id, table.c.name, label, *(table.c[c] for c in SYSTEM_PERMISSIONS)
        ).where(table.c.org_id == org_id, name_match)
    ).first()
    return _parent(row, kind) if row else None


def _parents_statement() -> Any:
    columns = ("id", "org_id", "name", *SYSTEM_PERMISSIONS)
    user_id: BindParameter[str] = bindparam("user_id")
    by_profile = (
        select(
            literal("profile").label("kind"),
            *(profiles.c[c] for c in columns),
            profiles.c.name.label("label"),
            literal(0).label("rank"),
        )
        .join(users, users.c.profile_id == profiles.c.id)
        .where(users.c.id == user_id)
    )
    by_set = (
        select(
            literal("permission_set").label("kind"),
            *(permission_sets.c[c] for c in columns),
            permission_sets.c.label,
            literal(1).label("rank"),
        )
        .join(
            permission_set_assignments,
            permission_set_assignments.c.permission_set_id == permission_sets.c.id,
        )
        .where(permission_set_assignments.c.user_id == user_id)
    )
    return union_all(by_profile, by_set)


# Built once: every data-API call runs these, and building SQLAlchemy constructs costs more than
# executing them on SQLite.
_PARENTS = _parents_statement()
_OBJECT_ROWS = select(object_permissions).where(
    object_permissions.c.parent_id.in_(bindparam("ids", expanding=True))
)
_FIELD_ROWS = select(field_permissions).where(
    field_permissions.c.parent_id.in_(bindparam("ids", expanding=True))
)


def parents_of_user(conn: Connection, user_id: str) -> list[Parent]:
    """The user's profile first, then their permission sets: one statement."""
    rows = conn.execute(_PARENTS, {"user_id": user_id}).all()
    return [_parent(r, r.kind) for r in sorted(rows, key=lambda r: (r.rank, r.name))]


def object_rows(conn: Connection, parent_ids: list[str]) -> list[Any]:
    if not parent_ids:
        return []
    return list(conn.execute(_OBJECT_ROWS, {"ids": parent_ids}).all())


def field_rows(conn: Connection, parent_ids: list[str]) -> list[Any]:
    if not parent_ids:
        return []
    return list(conn.execute(_FIELD_ROWS, {"ids": parent_ids}).all())


def set_system_permissions(conn: Connection, parent_id: str, values: dict[str, bool]) -> None:
    table = _table(parent_id)
    conn.execute(update(table).where(table.c.id == parent_id).values(**values))


def set_object_permission(
    conn: Connection, org_id: str, parent_id: str, object_name: str, flags: dict[str, bool]
) -> None:
    """Replace the parent's permissions on one object (``flags`` has every column of OBJECT_FLAGS)."""
    delete_object_permission(conn, parent_id, object_name)
    conn.execute(
        insert(object_permissions).values(
            parent_id=parent_id, object_name=object_name, org_id=org_id, **flags
        )
    )


def delete_object_permission(conn: Connection, parent_id: str, object_name: str) -> None:
    conn.execute(
        delete(object_permissions).where(
            object_permissions.c.parent_id == parent_id,
            func.lower(object_permissions.c.object_name) == object_name.lower(),
        )
    )


def set_field_permission(
    conn: Connection, org_id: str, parent_id: str, object_name: str, field_name: str, read: bool, edit: bool
) -> None:
    delete_field_permission(conn, parent_id, object_name, field_name)
    conn.execute(
        insert(field_permissions).values(
            parent_id=parent_id,
            object_name=object_name,
            field_name=field_name,
            org_id=org_id,
            can_read=read,
            can_edit=edit,
        )
    )


def delete_field_permission(conn: Connection, parent_id: str, object_name: str, field_name: str) -> None:
    conn.execute(
        delete(field_permissions).where(
            field_permissions.c.parent_id == parent_id,
            func.lower(field_permissions.c.object_name) == object_name.lower(),
            func.lower(field_permissions.c.field_name) == field_name.lower(),
        )
    )


def unassign_permission_set(conn: Connection, permission_set_id: str, user_id: str) -> int:
    result = conn.execute(
        delete(permission_set_assignments).where(
            permission_set_assignments.c.permission_set_id == permission_set_id,
            permission_set_assignments.c.user_id == user_id,
        )
    )
    return result.rowcount
