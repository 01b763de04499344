"""Profiles, permission sets and their assignments: what an admin grants in the data API (admin API
``/profiles``, ``/permission-sets``; ``forcegate profiles|permission-sets``). The service
(``org.permissions``) checks what needs the org's schema: that the objects and fields exist and that a
field's security may change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import Field, StringConstraints, WithJsonSchema

from forcegate.resources.base import Declaration, Flag, Resource, Says

__all__ = [
    "ASSIGNMENT",
    "CHANGES",
    "FIELD_FLAGS",
    "OBJECT_FLAGS",
    "PERMISSION_SET_CREATE",
    "PROFILE_CREATE",
    "SYSTEM_PERMISSIONS",
]


class ObjectFlags(Resource):
    """An object's permissions; Modify All implies all, Delete implies Edit, and Create/Edit/View All
    imply Read (as in Setup). Missing flags are false."""

    read: bool = False
    create: bool = False
    edit: bool = False
    delete: bool = False
    view_all: bool = False
    modify_all: bool = False


class FieldFlags(Resource):
    """A field's field-level security. Missing flags are false; all false hides the field."""

    read: bool = False
    edit: bool = False


OBJECT_FLAGS = Declaration(ObjectFlags)
FIELD_FLAGS = Declaration(FieldFlags)


def _map_of(flags: Declaration, example: dict[str, Any]) -> WithJsonSchema:
    """The document's schema of a name -> flags object. Validated entry by entry by the service,
    which checks the names against the org's schema before the flags (``FLAGS``)."""
    return WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": flags.json_schema(),
            "examples": [example],
        }
    )


ApiEnabled = Annotated[
    bool,
    Field(description='"API Enabled": without it no data-API call is served'),
    Flag(("--api-enabled/--api-disabled",), help='"API Enabled".'),
]
ViewAllData = Annotated[
    bool,
    Field(description='"View All Data": read every object and field'),
    Flag(("--view-all-data/--no-view-all-data",), help='"View All Data".'),
]
ModifyAllData = Annotated[
    bool,
    Field(description='"Modify All Data": everything on every object'),
    Flag(("--modify-all-data/--no-modify-all-data",), help='"Modify All Data".'),
]
# The administrative rights: Setup and the admin API let in a user whose profile or a permission set
# has one of them (``org.permissions.user_may``).
ManageConnectedApps = Annotated[
    bool,
    Field(description='"Manage Connected Apps": App Manager, OAuth usage, signing keys and org settings'),
    Flag(("--manage-connected-apps/--no-manage-connected-apps",), help='"Manage Connected Apps".'),
]
ManageUsers = Annotated[
    bool,
    Field(description='"Manage Users": users, profiles, permission sets and login history'),
    Flag(("--manage-users/--no-manage-users",), help='"Manage Users".'),
]
ObjectPermissions = Annotated[
    dict[str, Any],
    _map_of(OBJECT_FLAGS, {"Account": {"read": True, "create": True, "edit": True}}),
    Field(
        description="object API name -> permissions; Modify All implies all, Delete implies Edit, and "
        "Create/Edit/View All imply Read (as in Setup)"
    ),
    Says(type="object_permissions must be an object"),
    Flag(
        ("--object",),
        name="objects",
        metavar="OBJECT:PERMS",
        help="Set an object's permissions to exactly PERMS, from read,create,edit,delete,view_all,"
        "modify_all (e.g. Account:read,create,edit; Account: removes them). Repeatable.",
    ),
]
FieldPermissions = Annotated[
    dict[str, Any],
    _map_of(FIELD_FLAGS, {"Account.Phone": {"read": True, "edit": False}}),
    Field(
        description="`Object.Field` -> field-level security; a field no row names follows the object "
        "when standard and is hidden when custom (`__c`)"
    ),
    Says(type="field_permissions must be an object"),
    Flag(
        ("--field",),
        name="fields",
        metavar="OBJECT.FIELD:PERMS",
        help="Set a field's field-level security to PERMS from read,edit (e.g. Account.Phone:read; "
        "Account.Phone: hides it). Repeatable.",
    ),
]


class PermissionChanges(Resource):
    """System permissions to set, and object/field permissions to replace."""

    unknown_message: ClassVar[str] = "unknown or read-only field(s): {names}"

    api_enabled: ApiEnabled = False
    view_all_data: ViewAllData = False
    modify_all_data: ModifyAllData = False
    manage_connected_apps: ManageConnectedApps = False
    manage_users: ManageUsers = False
    object_permissions: ObjectPermissions = {}
    field_permissions: FieldPermissions = {}


# Its booleans: the system permissions a profile or permission set carries.
SYSTEM_PERMISSIONS = tuple(n for n, f in PermissionChanges.model_fields.items() if f.annotation is bool)


class ProfileCreate(PermissionChanges):
    """A custom profile granting only what the body grants."""

    says: ClassVar[Mapping[str, Says]] = {
        "name": Says(type="name must be a string", bounds="name must be 1 to 255 characters")
    }

    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
        Flag(help="Unique in the org."),
    ]


class PermissionSetCreate(PermissionChanges):
    """A permission set: it adds to what its users' profiles grant."""

    says: ClassVar[Mapping[str, Says]] = {
        "name": Says(type="name must be a string", bounds="name must be 1 to 80 characters"),
        "label": Says(type="label must be a string"),
    }

    name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=80),
        Field(description="API name, unique in the org"),
        Flag(help="API name, unique in the org."),
    ]
    label: Annotated[str | None, Field(description="defaults to the name")] = None


class Assignment(Resource):
    """The user to assign the permission set to (assigning it twice changes nothing)."""

    says: ClassVar[Mapping[str, Says]] = {"user": Says(type="user must be a string")}

    user: Annotated[
        str, Field(description="record ID or username"), Flag(name="user_ref", help="Record ID or username.")
    ]


CHANGES = Declaration(PermissionChanges, partial=True)
PROFILE_CREATE = Declaration(ProfileCreate)
PERMISSION_SET_CREATE = Declaration(PermissionSetCreate)
ASSIGNMENT = Declaration(Assignment)
