"""The org's schema as one caller sees it: the single rule SOQL and describe both apply.

What a caller may not read does not exist for them. An object they cannot read has no fields, no
relationships to it and none from it; a field they cannot read is absent; and a relationship exists
only while both of its ends and the lookup field joining them are readable, in both directions:

* a parent relationship (``Contact.Account``) needs the lookup field (``Contact.AccountId``) and the
  parent object (``Account``);
* a child relationship (``Account.Contacts``) needs the child object (``Contact``) and its lookup
  field (``Contact.AccountId``).

Otherwise SOQL answers as for a name that does not exist ("Didn't understand relationship …") and
describe leaves the relationship out (``childRelationships``, a lookup's ``relationshipName`` and
``referenceTo``), so a hidden lookup's values cannot be read back through the records it joins.
"""

from __future__ import annotations

from forcegate.model.access import ObjectAccess
from forcegate.model.objects import ChildRelationship, FieldInfo, ObjectInfo, OrgSchema

__all__ = [
    "SYSTEM_ALWAYS_READABLE",
    "child_relationships",
    "field_visible",
    "parent_object",
    "readable_child",
    "readable_field",
    "readable_object",
]

# Id and the audit fields: readable wherever the object is (Salesforce offers no field-level security
# on them).
SYSTEM_ALWAYS_READABLE = frozenset(
    {
        "id",
        "createddate",
        "createdbyid",
        "lastmodifieddate",
        "lastmodifiedbyid",
        "systemmodstamp",
        "isdeleted",
    }
)


def readable_object(schema: OrgSchema, access: ObjectAccess, name: str) -> ObjectInfo | None:
    """The object by name in any case, or None when the org has none or the caller may not read it."""
    info = schema.object(name)
    if info is None or not access.object_permissions(info.name).can_read:
        return None
    return info


def field_visible(access: ObjectAccess, obj: ObjectInfo, f: FieldInfo) -> bool:
    """Whether the caller may read the field of an object they can read."""
    if f.name.lower() in SYSTEM_ALWAYS_READABLE:
        return True
    return access.field_permissions(obj.name, f.name).readable


def readable_field(access: ObjectAccess, obj: ObjectInfo, name: str) -> FieldInfo | None:
    """The field by name in any case, or None when it does not exist or is hidden from the caller."""
    f = obj.field(name)
    return f if f is not None and field_visible(access, obj, f) else None


def parent_object(
    schema: OrgSchema, access: ObjectAccess, obj: ObjectInfo, lookup: FieldInfo
) -> ObjectInfo | None:
    """The object a lookup field leads to, or None when the caller cannot follow it: the lookup field
    or the parent object is hidden from them."""
    if lookup.reference_to is None or not field_visible(access, obj, lookup):
        return None
    return readable_object(schema, access, lookup.reference_to)


def readable_child(
    schema: OrgSchema, access: ObjectAccess, relationship: ChildRelationship
) -> tuple[ObjectInfo, FieldInfo] | None:
    """The child object and its lookup field behind a child relationship, or None when either is
    hidden from the caller."""
    child = readable_object(schema, access, relationship.child_object)
    if child is None:
        return None
    lookup = readable_field(access, child, relationship.field)
    return (child, lookup) if lookup is not None else None


def child_relationships(schema: OrgSchema, access: ObjectAccess, obj: ObjectInfo) -> list[ChildRelationship]:
    """The object's child relationships the caller can follow."""
    return [c for c in obj.children if readable_child(schema, access, c) is not None]
