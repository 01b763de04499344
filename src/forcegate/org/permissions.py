"""Least privilege for the data API: what a user's profile and permission sets let them do.

Salesforce's model, as far as the data API shows it:

* **System permissions** on a profile or permission set: "API Enabled" (without it no data-API call is
  served), "View All Data" (read every object, field and record) and "Modify All Data" (everything).
* **Object permissions** per object: Read, Create, Edit, Delete, View All, Modify All. As in Setup, the
  dependencies are implied: Create, Edit and View All need Read; Delete needs Edit; Modify All implies
  all of them.
* **Field-level security** per field: Read and Edit. A field's default, when none of the user's profile
  and permission sets names it: standard fields follow the object (readable and editable where the object
  is readable), custom fields (``__c``) are hidden. Once any of them names the field, only their rows
  count. Fields the platform always shows (Id, Name, system fields) are the data layer's to exempt.
* Permission sets only **add**: every answer is the union over the profile and the assigned sets.

The org-wide sharing default is Public Read/Write, so a user who may read an object reads all its rows;
View All and Modify All matter through what they imply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from forcegate.context import Context
from forcegate.data import metadata
from forcegate.domain import User
from forcegate.model.access import (
    ALL_OBJECT_PERMISSIONS,
    NO_OBJECT_PERMISSIONS,
    FieldPermissions,
    ObjectPermissions,
)
from forcegate.model.objects import OrgSchema
from forcegate.org import audit
from forcegate.org.audit import Actor
from forcegate.org.errors import Conflict, NotFound, ValidationFailed
from forcegate.resources import permissions as declared
from forcegate.resources.base import Declaration
from forcegate.storage import permissions as store
from forcegate.storage import repositories as repo

__all__ = [
    "MINIMUM_ACCESS",
    "STANDARD_USER_OBJECTS",
    "UserAccess",
    "admin_rights",
    "apply_changes",
    "create_profile",
    "ensure_standard_profiles",
    "find_parent",
    "load_user_access",
    "parent_view",
    "user_may",
]

MANAGE_CONNECTED_APPS = "manage_connected_apps"
MANAGE_USERS = "manage_users"
ADMIN_PERMISSIONS = (MANAGE_CONNECTED_APPS, MANAGE_USERS)

SYSTEM_ADMINISTRATOR = "System Administrator"
STANDARD_USER = "Standard User"
MINIMUM_ACCESS = "Minimum Access"


EVERYTHING = ALL_OBJECT_PERMISSIONS
READ_ONLY = ObjectPermissions(read=True)
NOTHING = NO_OBJECT_PERMISSIONS
READ_CREATE_EDIT = ObjectPermissions(read=True, create=True, edit=True)

# The standard objects a Standard User works with; User and Organization are read-only platform objects.
STANDARD_USER_OBJECTS: dict[str, ObjectPermissions] = {
    "Account": READ_CREATE_EDIT,
    "Contact": READ_CREATE_EDIT,
    "Opportunity": READ_CREATE_EDIT,
    "Lead": READ_CREATE_EDIT,
    "Case": READ_CREATE_EDIT,
    "User": READ_ONLY,
    "Organization": READ_ONLY,
}


def admin_rights(conn: Connection, user_id: str) -> frozenset[str]:
    """The administrative permissions (``manage_connected_apps``, ``manage_users``) the user's profile
    and permission sets grant together: read on every request, so removing an assignment shuts the
    user out at their next one."""
    return frozenset(
        what
        for parent in store.parents_of_user(conn, user_id)
        for what in ADMIN_PERMISSIONS
        if getattr(parent, what)
    )


def user_may(conn: Connection, user_id: str, what: str | None = None) -> bool:
    """The one rule of the admin API (``what``: the route's permission) and Setup (``None``: any of
    them): whether the user's profile or one of their permission sets has it."""
    rights = admin_rights(conn, user_id)
    return bool(rights) if what is None else what in rights


def _is_custom(name: str) -> bool:
    return name.lower().endswith("__c")


@dataclass(frozen=True)
class UserAccess:
    """The caller's effective permissions, loaded once per request: implements the data layer's
    :class:`forcegate.model.access.ObjectAccess`. Names are compared case-insensitively."""

    user_id: str
    api_enabled: bool
    view_all_data: bool
    modify_all_data: bool
    objects: dict[str, ObjectPermissions] = field(default_factory=dict)  # lower-cased object name
    # (object, field) lower-cased -> (read, edit), the union of the rows that name the field
    field_rows: dict[tuple[str, str], tuple[bool, bool]] = field(default_factory=dict)

    def access_to(self, object_name: str) -> ObjectPermissions:
        if self.modify_all_data:
            return EVERYTHING
        granted = self.objects.get(object_name.lower(), NOTHING)
        return granted | READ_ONLY if self.view_all_data else granted

    def object_permissions(self, object_name: str) -> ObjectPermissions:
        return self.access_to(object_name)

    def field_permissions(self, object_name: str, field_name: str) -> FieldPermissions:
        if self.modify_all_data:
            return FieldPermissions(readable=True, editable=True)
        row = self.field_rows.get((object_name.lower(), field_name.lower()))
        if row is not None:
            read, edit = row
        elif _is_custom(field_name):
            read = edit = False
        else:
            read = edit = self.access_to(object_name).read
        return FieldPermissions(readable=read or self.view_all_data, editable=read and edit)


def load_user_access(conn: Connection, user_id: str) -> UserAccess:
    parents = store.parents_of_user(conn, user_id)
    api_enabled = any(p.api_enabled for p in parents)
    if any(p.modify_all_data for p in parents):  # grants everything: no object or field row matters
        return UserAccess(user_id, api_enabled, view_all_data=True, modify_all_data=True)
    ids = [p.id for p in parents]
    objects: dict[str, ObjectPermissions] = {}
    for row in store.object_rows(conn, ids):
        granted = ObjectPermissions(
            row.can_read, row.can_create, row.can_edit, row.can_delete, row.view_all, row.modify_all
        ).implied()
        key = row.object_name.lower()
        objects[key] = objects.get(key, NOTHING) | granted
    field_rows: dict[tuple[str, str], tuple[bool, bool]] = {}
    for row in store.field_rows(conn, ids):
        key = (row.object_name.lower(), row.field_name.lower())
        read, edit = field_rows.get(key, (False, False))
        field_rows[key] = (read or row.can_read or row.can_edit, edit or row.can_edit)
    return UserAccess(
        user_id=user_id,
        api_enabled=api_enabled,
        view_all_data=any(p.view_all_data for p in parents),
        modify_all_data=False,
        objects=objects,
        field_rows=field_rows,
    )


# --- standard profiles ---------------------------------------------------------------------------


def ensure_standard_profiles(ctx: Context, conn: Connection, org_id: str) -> None:
    """System Administrator (everything), Standard User (read/create/edit on the standard objects,
    no delete, no View/Modify All) and Minimum Access (no object access, API disabled): created when
    missing. Migration 0006 does the same for orgs that existed before it."""
    now = ctx.now_ms()
    existing = {p.name for p in repo.list_profiles(conn, org_id)}
    if SYSTEM_ADMINISTRATOR not in existing:
        repo.insert_profile(
            conn, org_id, SYSTEM_ADMINISTRATOR, manage_connected_apps=True, manage_users=True, now_ms=now
        )
    if STANDARD_USER not in existing:
        repo.insert_profile(
            conn, org_id, STANDARD_USER, manage_connected_apps=False, manage_users=False, now_ms=now
        )
        standard = store.parent_by_name(conn, org_id, "profile", STANDARD_USER)
        assert standard is not None
        store.set_system_permissions(conn, standard.id, {"api_enabled": True})
        for name, access in STANDARD_USER_OBJECTS.items():
            store.set_object_permission(conn, org_id, standard.id, name, _columns(access))
    if SYSTEM_ADMINISTRATOR not in existing:
        admin = store.parent_by_name(conn, org_id, "profile", SYSTEM_ADMINISTRATOR)
        assert admin is not None
        store.set_system_permissions(
            conn, admin.id, {"api_enabled": True, "view_all_data": True, "modify_all_data": True}
        )
    if MINIMUM_ACCESS not in existing:
        repo.insert_profile(
            conn, org_id, MINIMUM_ACCESS, manage_connected_apps=False, manage_users=False, now_ms=now
        )


def _columns(access: ObjectPermissions) -> dict[str, bool]:
    return {store.OBJECT_FLAGS[k]: v for k, v in access.implied().as_dict().items()}


# --- administration (CLI and admin API) ----------------------------------------------------------

KINDS = {"profile": "profile", "permission_set": "permission set"}


def find_parent(conn: Connection, org_id: str, kind: str, name: str) -> store.Parent:
    found = store.parent_by_name(conn, org_id, kind, name)
    if found is None:
        raise NotFound(f"no {KINDS[kind]} named {name!r}")
    return found


def create_profile(ctx: Context, conn: Connection, org_id: str, name: str, *, actor: Actor) -> store.Parent:
    """A custom profile: nothing granted until an admin grants it (like cloning Minimum Access)."""
    name = declared.PROFILE_CREATE.validate({"name": name})["name"]
    if repo.profile_by_name(conn, org_id, name) is not None:
        raise Conflict(f"a profile named {name!r} already exists", "name")
    now = ctx.now_ms()
    repo.insert_profile(conn, org_id, name, manage_connected_apps=False, manage_users=False, now_ms=now)
    audit.record(
        conn, now, org_id, actor, section=audit.MANAGE_USERS, action="profile.created", target=name,
        display=f'Created profile "{name}"',
    )  # fmt: skip
    return find_parent(conn, org_id, "profile", name)


def _api_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 80:
        raise ValidationFailed(f"{what} must be an API name of 1 to 80 characters", what)
    if not (value[0].isalpha() and all(c.isalnum() or c == "_" for c in value)):
        raise ValidationFailed(f"{what} {value!r} is not a valid API name", what)
    return value


def _object_name(schema: OrgSchema, name: Any) -> str:
    """The object's canonical API name; refuses objects the org does not have."""
    found = schema.object(_api_name(name, "object"))
    if found is None:
        raise ValidationFailed(f"no object named {name!r}", "object_permissions")
    return found.name


def _field_name(schema: OrgSchema, object_name: str, field_name: str) -> tuple[str, str]:
    """Canonical names of a field whose security an admin may set: not a system field (always
    visible) nor a required one (Salesforce keeps those readable and editable for everyone)."""
    canonical_object = _object_name(schema, object_name)
    obj = schema.object(canonical_object)
    assert obj is not None
    found = obj.field(_api_name(field_name, "field"))
    if found is None:
        raise ValidationFailed(f"no field named {field_name!r} on {canonical_object}", "field_permissions")
    if found.system or found.required:
        raise ValidationFailed(
            f"{canonical_object}.{found.name} is always visible: its field-level security cannot change",
            "field_permissions",
        )
    return canonical_object, found.name


def _flags(value: Any, flags: Declaration, where: str) -> dict[str, bool]:
    """An object's or field's flags, as declared (missing flags are false), named by ``where``."""
    if not isinstance(value, dict):
        raise ValidationFailed(f"{where} must be an object of booleans", where)
    try:
        given = flags.validate(value)
    except ValidationFailed as refused:
        if refused.field is None:  # unknown flags
            unknown = set(value) - set(flags.model.model_fields)
            raise ValidationFailed(
                f"{where}: unknown permission(s) {', '.join(sorted(unknown))}", where
            ) from None
        raise ValidationFailed(f"{where}: permissions must be booleans", where) from None
    return {f.name: bool(given.get(f.name, False)) for f in flags.fields()}


def apply_changes(
    ctx: Context,
    conn: Connection,
    org_id: str,
    parent: store.Parent,
    changes: dict[str, Any],
    *,
    actor: Actor,
) -> None:
    """Change a profile's or permission set's permissions. ``changes`` may carry:

    * ``api_enabled``, ``view_all_data``, ``modify_all_data``: booleans;
    * ``object_permissions``: ``{"Account": {"read": true, "create": true, …}}`` — replaces the flags
      on each named object (missing flags are false; all false removes the row);
    * ``field_permissions``: ``{"Account.Phone": {"read": true, "edit": false}}`` — likewise.
    """
    changes = declared.CHANGES.validate(changes)
    system = {name: changes[name] for name in declared.SYSTEM_PERMISSIONS if name in changes}
    objects = changes.get("object_permissions", {})
    schema = metadata.load_schema(conn, org_id)
    object_changes = [
        (_object_name(schema, name), ObjectPermissions(**_flags(flags, declared.OBJECT_FLAGS, name)))
        for name, flags in objects.items()
    ]
    field_specs = changes.get("field_permissions", {})
    field_changes = []
    for qualified, flags in field_specs.items():
        object_name, dot, field_name = str(qualified).partition(".")
        if not dot:
            raise ValidationFailed(f"field {qualified!r} must be named Object.Field", "field_permissions")
        granted = _flags(flags, declared.FIELD_FLAGS, qualified)
        field_changes.append((*_field_name(schema, object_name, field_name), granted))
    # Validated everything before writing anything: a bad entry leaves the parent as it was.
    before = _granted(conn, parent)
    if system:
        store.set_system_permissions(conn, parent.id, system)
    for name, access in object_changes:
        if access == NOTHING:
            store.delete_object_permission(conn, parent.id, name)
        else:
            store.set_object_permission(conn, org_id, parent.id, name, _columns(access))
    for object_name, field_name, granted in field_changes:
        if not granted["read"] and not granted["edit"]:
            # An explicit "no access" row hides a standard field, so it is kept rather than deleted.
            store.set_field_permission(conn, org_id, parent.id, object_name, field_name, False, False)
        else:
            store.set_field_permission(
                conn, org_id, parent.id, object_name, field_name, True, granted["edit"]
            )
    after = _granted(conn, find_parent(conn, org_id, parent.kind, parent.name))
    changed = audit.diff(before, after, sorted(before.keys() | after.keys(), key=str.lower))
    if changed:
        what = f'{KINDS[parent.kind]} "{parent.name}"'
        audit.record(
            conn, ctx.now_ms(), org_id, actor, section=audit.MANAGE_USERS,
            action=f"{parent.kind}.permissions_changed", target=parent.name,
            display=audit.described(f"permissions of {what}", changed), changes=changed,
        )  # fmt: skip


def _granted(conn: Connection, parent: store.Parent) -> dict[str, str]:
    """What a profile or permission set grants, one entry per permission, object or field, its
    flags in words ("read, create"), for the audit trail to compare."""
    view = parent_view(conn, parent)
    flat = {name: str(view[name]).lower() for name in declared.SYSTEM_PERMISSIONS}
    for kind in ("object_permissions", "field_permissions"):
        for name, flags in view[kind].items():
            flat[name] = ", ".join(flag for flag, on in flags.items() if on) or "no access"
    return flat


def parent_view(conn: Connection, parent: store.Parent) -> dict[str, Any]:
    view: dict[str, Any] = {"id": parent.id, "name": parent.name}
    if parent.kind == "permission_set":
        view["label"] = parent.label
    view.update({name: getattr(parent, name) for name in store.SYSTEM_PERMISSIONS})
    view.update(
        {
            "object_permissions": {
                r.object_name: {k: getattr(r, c) for k, c in store.OBJECT_FLAGS.items()}
                for r in sorted(store.object_rows(conn, [parent.id]), key=lambda r: r.object_name.lower())
            },
            "field_permissions": {
                f"{r.object_name}.{r.field_name}": {"read": r.can_read, "edit": r.can_edit}
                for r in sorted(
                    store.field_rows(conn, [parent.id]),
                    key=lambda r: (r.object_name.lower(), r.field_name.lower()),
                )
            },
        }
    )
    return view


# --- Setup's matrices ------------------------------------------------------------------------------

STANDARD_PROFILES = (SYSTEM_ADMINISTRATOR, STANDARD_USER, MINIMUM_ACCESS)


def is_standard(parent: store.Parent) -> bool:
    """A standard profile: Setup shows it but does not change it (clone it as a custom profile);
    Salesforce lets few of a standard profile's permissions change, and none of its system ones."""
    return parent.kind == "profile" and parent.name in STANDARD_PROFILES


@dataclass(frozen=True)
class MatrixRow:
    """One row of Setup's permission matrix: an object (``name``: its API name) or a field
    (``Object.Field``), and its flags as stored, i.e. after Setup's implications."""

    name: str
    label: str
    flags: dict[str, bool]


def object_matrix(conn: Connection, org_id: str, parent: store.Parent) -> list[MatrixRow]:
    """Every object of the org (custom ones too), by label, with what ``parent`` grants on it."""
    granted = {r.object_name.lower(): r for r in store.object_rows(conn, [parent.id])}
    rows = []
    for obj in sorted(metadata.load_schema(conn, org_id).objects.values(), key=lambda o: o.label.lower()):
        row = granted.get(obj.name.lower())
        flags = {k: bool(row is not None and getattr(row, c)) for k, c in store.OBJECT_FLAGS.items()}
        rows.append(MatrixRow(obj.name, obj.label, flags))
    return rows


def field_matrix(conn: Connection, org_id: str, parent: store.Parent, object_name: str) -> list[MatrixRow]:
    """The fields of an object whose security may change, with what ``parent`` grants: its row, or
    without one the default (a standard field follows the object, a custom one is hidden)."""
    schema = metadata.load_schema(conn, org_id)
    obj = schema.object(_object_name(schema, object_name))
    assert obj is not None
    on_object = next((r for r in object_matrix(conn, org_id, parent) if r.name == obj.name), None)
    object_flags = on_object.flags if on_object else {}
    rows_of = {
        r.field_name.lower(): r
        for r in store.field_rows(conn, [parent.id])
        if r.object_name.lower() == obj.name.lower()
    }
    rows = []
    for spec in sorted(obj.fields, key=lambda f: f.label.lower()):
        if spec.system or spec.required:
            continue
        row = rows_of.get(spec.name.lower())
        if row is not None:
            read, edit = bool(row.can_read), bool(row.can_edit)
        elif spec.custom:
            read = edit = False
        else:
            read, edit = object_flags.get("read", False), object_flags.get("edit", False)
        rows.append(MatrixRow(f"{obj.name}.{spec.name}", spec.label, {"read": read, "edit": edit}))
    return rows


def assigned_users(conn: Connection, permission_set: store.Parent) -> list[User]:
    return repo.users_with_permission_set(conn, permission_set.id)


def unassign(
    ctx: Context, conn: Connection, permission_set: store.Parent, user: User, *, actor: Actor
) -> None:
    if not store.unassign_permission_set(conn, permission_set.id, user.id):
        raise NotFound(f"the permission set {permission_set.name!r} is not assigned to that user")
    audit.record(
        conn, ctx.now_ms(), permission_set.org_id, actor, section=audit.MANAGE_USERS,
        action="permission_set.unassigned", target=user.username,
        display=f'Unassigned permission set "{permission_set.name}" from user {user.username}',
    )  # fmt: skip
