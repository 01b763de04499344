"""What a caller may see and change: the seam between the data layer and the permission model.

The data layer (describe, records, SOQL) asks an :class:`ObjectAccess` before it touches an object or
a field; the permission model (profiles, permission sets, "API Enabled") builds one per request. The
data layer never looks at profiles itself, so the same code serves the admin CLI (``FULL_ACCESS``)
and an API user with "Minimum Access".

Salesforce's answers, which the data layer produces from these permissions:

* an object the caller cannot read does not exist for them: SOQL says ``INVALID_TYPE``, describe and
  record URLs say ``NOT_FOUND``; it is left out of describe global;
* a field the caller cannot read does not exist for them: SOQL and ``?fields=`` say ``INVALID_FIELD``,
  describe leaves it out;
* create / edit / delete without the object permission: ``INSUFFICIENT_ACCESS_OR_READONLY`` (403);
* writing a field that is readable but not editable: ``INVALID_FIELD_FOR_INSERT_UPDATE`` (400).

Org-wide defaults are "Public Read/Write": every record of an object is visible to whoever can read
the object, so "View All" and "Modify All" only matter as implying read (and edit/delete).
"""

from __future__ import annotations

from dataclasses import asdict, astuple, dataclass
from typing import Protocol, runtime_checkable

__all__ = [
    "FULL_ACCESS",
    "NO_ACCESS",
    "Caller",
    "FieldPermissions",
    "FullAccess",
    "NoAccess",
    "ObjectAccess",
    "ObjectPermissions",
]


@dataclass(frozen=True)
class ObjectPermissions:
    """Salesforce's six object permissions. ``view_all`` implies read; ``modify_all`` implies all."""

    read: bool = False
    create: bool = False
    edit: bool = False
    delete: bool = False
    view_all: bool = False
    modify_all: bool = False

    @property
    def can_read(self) -> bool:
        return self.read or self.view_all or self.modify_all

    @property
    def can_create(self) -> bool:
        return self.can_read and (self.create or self.modify_all)

    @property
    def can_edit(self) -> bool:
        return self.can_read and (self.edit or self.modify_all)

    @property
    def can_delete(self) -> bool:
        return self.can_read and (self.delete or self.modify_all)

    def implied(self) -> ObjectPermissions:
        """With Setup's dependencies filled in (Modify All ⇒ everything, Delete ⇒ Edit, … ⇒ Read), as a
        profile or permission set stores them."""
        modify_all = self.modify_all
        delete = self.delete or modify_all
        edit = self.edit or delete
        view_all = self.view_all or modify_all
        create = self.create or modify_all
        read = self.read or edit or create or view_all
        return ObjectPermissions(read, create, edit, delete, view_all, modify_all)

    def __or__(self, other: ObjectPermissions) -> ObjectPermissions:
        """What two grants give together (a profile and a permission set)."""
        return ObjectPermissions(*(a or b for a, b in zip(astuple(self), astuple(other), strict=True)))

    def as_dict(self) -> dict[str, bool]:
        return asdict(self)


@dataclass(frozen=True)
class FieldPermissions:
    """Field-level security: ``editable`` without ``readable`` is treated as neither."""

    readable: bool = False
    editable: bool = False


ALL_OBJECT_PERMISSIONS = ObjectPermissions(True, True, True, True, True, True)
NO_OBJECT_PERMISSIONS = ObjectPermissions()


@runtime_checkable
class ObjectAccess(Protocol):
    """The caller's effective permissions (profile plus permission sets), asked per object and field.

    ``object_name`` and ``field_name`` are always the canonical API names from the org's schema
    (``Account``, ``Thing__c``, ``AccountId``, ``Name__c``), never the spelling the client used.
    Implementations should be cheap to call repeatedly (answer from memory once built): one SOQL
    query asks for every field it names.

    System fields (``Id``, and the audit fields ``CreatedDate``, ``CreatedById``,
    ``LastModifiedDate``, ``LastModifiedById``, ``SystemModstamp``, ``IsDeleted``) are always readable
    when the object is; the data layer does not ask about them. Salesforce's required fields (like
    ``Account.Name``) are always readable and editable as far as field-level security goes; the data
    layer asks anyway, implementations should answer True for them.
    """

    def object_permissions(self, object_name: str) -> ObjectPermissions:
        """The caller's permissions on the object (all False when none is granted)."""
        ...

    def field_permissions(self, object_name: str, field_name: str) -> FieldPermissions:
        """Field-level security of one field of an object the caller can read."""
        ...


class FullAccess:
    """Everything: the admin CLI, the demo seed, benchmarks, and "System Administrator"-like callers."""

    def object_permissions(self, object_name: str) -> ObjectPermissions:
        return ALL_OBJECT_PERMISSIONS

    def field_permissions(self, object_name: str, field_name: str) -> FieldPermissions:
        return FieldPermissions(readable=True, editable=True)


class NoAccess:
    """Nothing at all ("Minimum Access" with no permission set)."""

    def object_permissions(self, object_name: str) -> ObjectPermissions:
        return NO_OBJECT_PERMISSIONS

    def field_permissions(self, object_name: str, field_name: str) -> FieldPermissions:
        return FieldPermissions()


FULL_ACCESS: ObjectAccess = FullAccess()
NO_ACCESS: ObjectAccess = NoAccess()


@dataclass(frozen=True)
class Caller:
    """Who calls: the org whose data it is, the user recorded as CreatedById / LastModifiedById, and
    what that user may do. ``user_id`` may be None only for system work (demo seed, benchmarks): the
    org's first System Administrator user is then recorded."""

    org_id: str
    user_id: str | None
    access: ObjectAccess = FULL_ACCESS
