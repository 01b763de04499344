"""The permission model's rules (org/permissions.py), without a server: implied object permissions,
the union of profile and permission sets, field-level defaults."""

from __future__ import annotations

from forcegate.data.access import FieldPermissions, ObjectAccess, ObjectPermissions
from forcegate.org.permissions import ObjectAccess as Granted
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
