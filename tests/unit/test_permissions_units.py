"""The permission model's rules (org/permissions.py), without a server: implied object permissions,
the union of profile and permission sets, field-level defaults."""

from __future__ import annotations

import pytest

from forcegate.model.access import FieldPermissions, ObjectAccess, ObjectPermissions
from forcegate.model.access import ObjectPermissions as Granted
from forcegate.model.objects import ChildRelationship, FieldInfo, ObjectInfo, OrgSchema
from forcegate.model.visible import (
    child_relationships,
    field_visible,
    parent_object,
    readable_child,
    readable_field,
    readable_object,
)
from forcegate.org.permissions import UserAccess


def test_when_flags_set_then_setup_dependencies_are_implied() -> None:
    assert Granted(delete=True).implied() == Granted(read=True, edit=True, delete=True)
    assert Granted(create=True).implied() == Granted(read=True, create=True)
    assert Granted(view_all=True).implied() == Granted(read=True, view_all=True)
    assert Granted(modify_all=True).implied() == Granted(True, True, True, True, True, True)
    assert Granted().implied() == Granted()
    assert Granted(read=True) | Granted(edit=True) == Granted(read=True, edit=True)


def test_when_user_access_built_then_it_is_the_data_layers_object_access() -> None:
    access = UserAccess(
        "005000000000000AAA",
        api_enabled=True,
        view_all_data=False,
        modify_all_data=False,
        objects={"account": Granted(read=True, edit=True)},
        field_rows={("account", "phone"): (False, False), ("account", "tier__c"): (True, False)},
    )
    assert isinstance(access, ObjectAccess)
    assert access.object_permissions("ACCOUNT") == ObjectPermissions(read=True, edit=True)
    assert access.object_permissions("Lead") == ObjectPermissions()
    assert access.field_permissions("Account", "Name") == FieldPermissions(True, True)  # standard: follows
    assert access.field_permissions("Account", "Phone") == FieldPermissions(False, False)  # a row hides it
    assert access.field_permissions("Account", "Tier__c") == FieldPermissions(True, False)  # granted read
    assert access.field_permissions("Account", "Other__c") == FieldPermissions(False, False)  # custom: hidden
    assert access.field_permissions("Lead", "Company") == FieldPermissions(False, False)  # object unreadable


def test_when_view_or_modify_all_data_then_everything_is_readable_or_granted() -> None:
    viewer = UserAccess("005000000000000AAA", True, view_all_data=True, modify_all_data=False)
    assert viewer.object_permissions("Thing__c") == ObjectPermissions(read=True)
    assert viewer.field_permissions("Thing__c", "Secret__c") == FieldPermissions(True, False)
    admin = UserAccess("005000000000000AAA", True, view_all_data=True, modify_all_data=True)
    assert admin.object_permissions("Thing__c").can_delete
    assert admin.field_permissions("Thing__c", "Secret__c") == FieldPermissions(True, True)


# --- the schema one caller sees (model/visible.py)--------------------------------------------------


class _Grants:
    """Reads exactly the objects and fields named (canonical names), nothing else."""

    def __init__(self, objects: set[str], fields: set[tuple[str, str]]) -> None:
        self.objects, self.fields = objects, fields

    def object_permissions(self, object_name: str) -> ObjectPermissions:
        return ObjectPermissions(read=object_name in self.objects)

    def field_permissions(self, object_name: str, field_name: str) -> FieldPermissions:
        readable = (object_name, field_name) in self.fields
        return FieldPermissions(readable, readable)


def _field(name: str, reference_to: str | None = None) -> FieldInfo:
    return FieldInfo(
        name, name, "reference" if reference_to else "string", 18, 0, 0, True, True, True, False,
        name.lower(), None, reference_to, None, None, (), None, name.endswith("__c"), False, False,
    )  # fmt: skip


def _object(name: str, fields: list[FieldInfo], children: tuple[ChildRelationship, ...] = ()) -> ObjectInfo:
    return ObjectInfo(
        name, name, name, name, "a00", name.lower(), "org_id", name.endswith("__c"), True, True, True, True,
        fields=fields, by_lower={f.name.lower(): f for f in fields}, children=list(children),
    )  # fmt: skip


def _schema() -> OrgSchema:
    vaults = ChildRelationship("Vaults__r", "Vault__c", "Account__c")
    account = _object("Account", [_field("Id"), _field("Name")], (vaults,))
    vault = _object(
        "Vault__c", [_field("Id"), _field("Name"), _field("Account__c", "Account"), _field("Free__c")]
    )
    return OrgSchema("00D000000000001AAA", 1, {"account": account, "vault__c": vault})


def test_when_an_object_is_asked_for_then_only_a_readable_one_exists_in_any_case() -> None:
    schema = _schema()
    reader = _Grants({"Account"}, set())
    assert readable_object(schema, reader, "ACCOUNT") is schema.objects["account"]
    assert readable_object(schema, reader, "Vault__c") is None  # exists, not readable
    assert readable_object(schema, reader, "Nothing__c") is None


@pytest.mark.parametrize(
    "name",
    [
        "Id",
        "CreatedDate",
        "createdbyid",
        "LastModifiedDate",
        "LastModifiedById",
        "SystemModstamp",
        "IsDeleted",
    ],
)
def test_when_field_security_hides_everything_then_id_and_audit_fields_stay_readable(name: str) -> None:
    vault = _object("Vault__c", [_field(name)])
    assert field_visible(_Grants({"Vault__c"}, set()), vault, vault.fields[0])
    assert readable_field(_Grants({"Vault__c"}, set()), vault, name.upper()) is vault.fields[0]


def test_when_a_field_is_asked_for_then_only_an_existing_readable_one_is_found() -> None:
    vault = _schema().objects["vault__c"]
    reader = _Grants({"Vault__c"}, {("Vault__c", "Free__c")})
    assert readable_field(reader, vault, "free__C") is vault.field("Free__c")
    name = vault.field("Name")
    assert name is not None and not field_visible(reader, vault, name)
    assert readable_field(reader, vault, "Name") is None
    assert readable_field(reader, vault, "Missing__c") is None


def test_when_a_lookup_is_followed_then_both_the_lookup_field_and_the_parent_must_be_readable() -> None:
    schema = _schema()
    vault = schema.objects["vault__c"]
    lookup, free = vault.field("Account__c"), vault.field("Free__c")
    assert lookup is not None and free is not None
    both = _Grants({"Account", "Vault__c"}, {("Vault__c", "Account__c"), ("Vault__c", "Free__c")})
    assert parent_object(schema, both, vault, lookup) is schema.objects["account"]
    assert parent_object(schema, both, vault, free) is None  # not a lookup
    hidden_lookup = _Grants({"Account", "Vault__c"}, set())
    assert parent_object(schema, hidden_lookup, vault, lookup) is None
    hidden_parent = _Grants({"Vault__c"}, {("Vault__c", "Account__c")})
    assert parent_object(schema, hidden_parent, vault, lookup) is None


def test_when_a_child_relationship_is_followed_then_the_child_and_its_lookup_field_must_be_readable() -> None:
    schema = _schema()
    account, vault = schema.objects["account"], schema.objects["vault__c"]
    (vaults,) = account.children
    both = _Grants({"Account", "Vault__c"}, {("Vault__c", "Account__c")})
    assert readable_child(schema, both, vaults) == (vault, vault.field("Account__c"))
    assert child_relationships(schema, both, account) == [vaults]
    for hidden in (
        _Grants({"Account", "Vault__c"}, set()),
        _Grants({"Account"}, {("Vault__c", "Account__c")}),
    ):
        assert readable_child(schema, hidden, vaults) is None
        assert child_relationships(schema, hidden, account) == []
